import { z } from 'zod';
import { opIdSchema, userIdSchema } from '../../schemas.ts';

/** People in one direct message, you included. */
export const DM_MAX_MEMBERS = 8;

export const openDmInput = z.object({
  /** The others (you are added): 1 to 7 people of the workspace. */
  userIds: z
    .array(userIdSchema)
    .min(1, 'Choose at least one person.')
    .max(DM_MAX_MEMBERS - 1, `A direct message has at most ${DM_MAX_MEMBERS} people, you included.`),
  opId: opIdSchema.optional(),
});
export type OpenDmInput = z.infer<typeof openDmInput>;
