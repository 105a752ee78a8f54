import { z } from 'zod';
import { partitionIdSchema } from '../../schemas.ts';

export const onEventInput = z.object({
  partitionId: partitionIdSchema,
  /** Set by the client (tRPC fills it in on reconnect from the last tracked id). */
  lastEventId: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
});
export type OnEventInput = z.infer<typeof onEventInput>;
