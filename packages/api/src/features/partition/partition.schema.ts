import { z } from 'zod';
import { ASSIGNABLE_ROLES, WORKSPACE_NAME_MAX_CHARS } from '@parley/rules';
import { newPartitionIdSchema, PLAIN_NAME } from '../../schemas.ts';

export const createPartitionInput = z.object({
  /** Optional: derived from the name when left out. */
  id: newPartitionIdSchema.optional(),
  name: z
    .string()
    .trim()
    .min(1, 'Give the workspace a name.')
    .max(WORKSPACE_NAME_MAX_CHARS, `A workspace name has at most ${WORKSPACE_NAME_MAX_CHARS} characters.`)
    .regex(PLAIN_NAME, 'A workspace name cannot contain control or text-direction characters.'),
});
export type CreatePartitionInput = z.infer<typeof createPartitionInput>;

export const joinPartitionInput = z.object({
  inviteCode: z.string().trim().min(8, 'That invite code is too short.').max(64, 'That invite code is too long.'),
});
export type JoinPartitionInput = z.infer<typeof joinPartitionInput>;

/** The roles a member can be given (`@parley/rules`); `owner` is the workspace's creator and is never assigned. */
export { ASSIGNABLE_ROLES } from '@parley/rules';

const memberIdSchema = z
  .string({ message: 'Say who: userId.' })
  .trim()
  .min(1, 'Say who: userId.')
  .max(64, 'That is not a user id.')
  .regex(/^[A-Za-z0-9_-]+$/, 'That is not a user id.');

export const setRoleInput = z.object({
  userId: memberIdSchema,
  role: z.enum(ASSIGNABLE_ROLES, { message: 'A role is admin, member or viewer.' }),
});
export type SetRoleInput = z.infer<typeof setRoleInput>;

export const removeMemberInput = z.object({ userId: memberIdSchema });
export type RemoveMemberInput = z.infer<typeof removeMemberInput>;
