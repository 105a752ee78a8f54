import { z } from 'zod';
import { DISPLAY_NAME_MAX_CHARS, PROFILE_REFUSAL, STATUS_MAX_CHARS } from '@parley/rules';
import { opIdSchema, partitionIdSchema, PLAIN_NAME, UNSTORABLE_TEXT } from '../../schemas.ts';

export const displayNameSchema = z
  .string({ message: PROFILE_REFUSAL.displayNameEmpty })
  .trim()
  .min(1, PROFILE_REFUSAL.displayNameEmpty)
  .max(DISPLAY_NAME_MAX_CHARS, PROFILE_REFUSAL.displayNameTooLong)
  .regex(PLAIN_NAME, PROFILE_REFUSAL.displayNamePlain)
  .refine((s) => !UNSTORABLE_TEXT.test(s), PROFILE_REFUSAL.displayNamePlain);

export const statusSchema = z
  .string({ message: 'A status is text.' })
  .trim()
  .max(STATUS_MAX_CHARS, PROFILE_REFUSAL.statusTooLong)
  .regex(PLAIN_NAME, PROFILE_REFUSAL.statusOneLine)
  .refine((s) => !UNSTORABLE_TEXT.test(s), PROFILE_REFUSAL.statusOneLine);

/** The id `POST /avatar` answered with. */
export const avatarIdSchema = z
  .string({ message: 'That is not an avatar id.' })
  .min(1, 'That is not an avatar id.')
  .max(64, 'That is not an avatar id.')
  .regex(/^[A-Za-z0-9_-]+$/, 'That is not an avatar id.');

/**
 * A change of the caller's own profile: only the fields given change (`avatarId: null` removes
 * the avatar). `opId` makes a retry complete what an interrupted attempt left undone, never twice.
 */
export const updateProfileInput = z
  .object({
    displayName: displayNameSchema.optional(),
    status: statusSchema.optional(),
    avatarId: avatarIdSchema.nullable().optional(),
    opId: opIdSchema,
  })
  .refine((v) => v.displayName !== undefined || v.status !== undefined || v.avatarId !== undefined, PROFILE_REFUSAL.nothingToChange);
export type UpdateProfileInput = z.infer<typeof updateProfileInput>;

export const listProfilesInput = z.object({ partitionId: partitionIdSchema });
