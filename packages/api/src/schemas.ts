import { z } from 'zod';
import { PARTITION_ID_PATTERN, type PartitionId } from '@parley/db';

export const partitionIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(PARTITION_ID_PATTERN, 'A workspace id is 3–32 characters: lowercase letters, digits and _ (not first).')
  .transform((s) => s as PartitionId);

export const idSchema = z.string().min(1).max(64);
