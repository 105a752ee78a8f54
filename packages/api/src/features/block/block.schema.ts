import { z } from 'zod';
import { opIdSchema, userIdSchema } from '../../schemas.ts';

/** Blocking sets a state (blocked or not): repeating it changes nothing; `opId` is accepted for the client's outbox. */
export const blockInput = z.object({ userId: userIdSchema, opId: opIdSchema.optional() });
export type BlockInput = z.infer<typeof blockInput>;
