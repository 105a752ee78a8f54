import { z } from 'zod';
import { DM_MAX_MEMBERS, REFUSAL } from '@parley/rules';
import { opIdSchema, userIdSchema } from '../../schemas.ts';

/** People in one direct message, you included. */
export { DM_MAX_MEMBERS } from '@parley/rules';

export const openDmInput = z.object({
  /** The others (you are added): 1 to 7 people of the workspace. */
  userIds: z
    .array(userIdSchema)
    .min(1, REFUSAL.dmNone)
    .max(DM_MAX_MEMBERS - 1, REFUSAL.dmTooMany),
  opId: opIdSchema.optional(),
});
export type OpenDmInput = z.infer<typeof openDmInput>;
