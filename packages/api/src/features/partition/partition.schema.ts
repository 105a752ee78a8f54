import { z } from 'zod';
import { partitionIdSchema } from '../../schemas.ts';

export const createPartitionInput = z.object({
  /** Optional: derived from the name when left out. */
  id: partitionIdSchema.optional(),
  name: z.string().trim().min(1, 'Give the workspace a name.').max(64, 'A workspace name has at most 64 characters.'),
});
export type CreatePartitionInput = z.infer<typeof createPartitionInput>;

export const joinPartitionInput = z.object({
  inviteCode: z.string().trim().min(8, 'That invite code is too short.').max(64, 'That invite code is too long.'),
});
export type JoinPartitionInput = z.infer<typeof joinPartitionInput>;
