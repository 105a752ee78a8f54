/** A message's (and an announcement's) body: 1 to 4000 characters after trimming. @example `body.trim().length <= MESSAGE_MAX_CHARS` */
export const MESSAGE_MAX_CHARS = 4000;

/**
 * How long after sending a message its author may still edit it, on the server's database
 * clock (which decides; a client uses it only to offer "Edit").
 * @example
 * ```ts
 * const editable = Date.now() - Date.parse(message.createdAt) < EDIT_WINDOW_MS;
 * ```
 */
export const EDIT_WINDOW_MS = 5 * 60_000;

/** Pinned messages per room. @example `pins.length >= PINS_PER_ROOM` */
export const PINS_PER_ROOM = 100;

/** Different emoji reacted on one message. @example `reactions.length >= EMOJIS_PER_MESSAGE` */
export const EMOJIS_PER_MESSAGE = 20;

/** Messages per page of `message.list` at most. @example `limit <= MESSAGE_PAGE_MAX` */
export const MESSAGE_PAGE_MAX = 100;

/** A reaction's length in UTF-16 units at most (a ZWJ sequence is long). @example `emoji.length <= REACTION_EMOJI_MAX_CHARS` */
export const REACTION_EMOJI_MAX_CHARS = 32;

/**
 * One emoji as Unicode defines it (skin tones, flags, keycaps and ZWJ sequences included), or a
 * lone pictograph with or without its emoji variation selector; for `new RegExp(…, 'v')`
 * (built at run time: the `v` flag is newer than the compile target).
 * @example `new RegExp(REACTION_EMOJI_PATTERN, 'v').test('👍')`
 */
export const REACTION_EMOJI_PATTERN = '^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$';

const EMOJI: RegExp | null = (() => {
  try {
    return new RegExp(REACTION_EMOJI_PATTERN, 'v');
  } catch {
    return null;
  }
})();

/**
 * Whether `emoji` is one emoji the server accepts as a reaction (true where the engine cannot
 * tell: engines without the `v` flag skip the check, the server checks anyway).
 * @example
 * ```ts
 * isReactionEmoji('👍'); // true
 * isReactionEmoji('ok'); // false
 * ```
 */
export function isReactionEmoji(emoji: string): boolean {
  if (emoji.length === 0 || emoji.length > REACTION_EMOJI_MAX_CHARS) return false;
  return EMOJI ? EMOJI.test(emoji) : true;
}

/** How much of the original a reply quotes. @example `replySnippet(body).length <= REPLY_SNIPPET_CHARS` */
export const REPLY_SNIPPET_CHARS = 140;

/**
 * The quote of `body` a reply shows, as the server stores it (whitespace folded, 140 characters).
 * @example
 * ```ts
 * replySnippet('line one\n\nline two'); // 'line one line two'
 * ```
 */
export function replySnippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > REPLY_SNIPPET_CHARS ? `${flat.slice(0, REPLY_SNIPPET_CHARS - 1)}…` : flat;
}
