import { DISPLAY_NAME_MAX_CHARS } from './accounts.ts';

/** A status line has at most this many characters (one line). @example `status.length <= STATUS_MAX_CHARS` */
export const STATUS_MAX_CHARS = 80;

/** The edge of the square avatar image the server stores (pixels, webp). @example `<img width={AVATAR_SIZE_PX} />` */
export const AVATAR_SIZE_PX = 256;

/**
 * The server's words for a refused profile change (`profile.update`); the SPA shows them next
 * to the field, and checks the same rules before a round trip.
 * @example `throw new AppError('NOT_FOUND', PROFILE_REFUSAL.noSuchAvatar)`
 */
export const PROFILE_REFUSAL = {
  displayNameEmpty: 'A display name cannot be empty.',
  displayNameTooLong: `A display name has at most ${DISPLAY_NAME_MAX_CHARS} characters.`,
  displayNamePlain: 'A display name cannot contain control or text-direction characters.',
  statusTooLong: `A status has at most ${STATUS_MAX_CHARS} characters.`,
  statusOneLine: 'A status is one line, without control or text-direction characters.',
  noSuchAvatar: 'That avatar is not one you uploaded. Upload the image again.',
  nothingToChange: 'Change at least one of display name, status or avatar.',
} as const;

// Control characters (newlines included) and text-direction overrides or isolates.
// eslint-disable-next-line no-control-regex -- control characters are what it refuses.
const NOT_PLAIN = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * Why a display name or status would be refused, in the server's words (null: it may go).
 * Both are trimmed first, as the server does.
 * @example `profileFieldRefusal('status', 'out\nto lunch') // 'A status is one line, …'`
 */
export function profileFieldRefusal(field: 'displayName' | 'status', value: string): string | null {
  const text = value.trim();
  if (field === 'displayName') {
    if (text.length === 0) return PROFILE_REFUSAL.displayNameEmpty;
    if (text.length > DISPLAY_NAME_MAX_CHARS) return PROFILE_REFUSAL.displayNameTooLong;
    if (NOT_PLAIN.test(text)) return PROFILE_REFUSAL.displayNamePlain;
    return null;
  }
  if (text.length > STATUS_MAX_CHARS) return PROFILE_REFUSAL.statusTooLong;
  if (NOT_PLAIN.test(text)) return PROFILE_REFUSAL.statusOneLine;
  return null;
}
