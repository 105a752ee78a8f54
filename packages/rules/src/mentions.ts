/**
 * Mentions in a message body, as stored and sent on the wire:
 * - `<@userId>` mentions one person by id, so it survives a rename; clients show it as
 *   "@Display Name" (a plain-text reader still sees who was meant);
 * - `@room` mentions everyone in the room (allowed to the room's admins, and to any member of a
 *   room of at most `ROOM_MENTION_MAX_MEMBERS` people; the server's limit is configurable).
 * Tokens inside code (`` `…` `` spans and ``` fenced blocks) are text, as Markdown shows them.
 */

/** What `messages.mentions` holds for `@room` (user ids never equal it: they are UUIDs). */
export const MENTION_ROOM = 'room';
/** The default room size up to which any member may use `@room` (ROOM_MENTION_MAX_MEMBERS). */
export const ROOM_MENTION_MAX_MEMBERS = 20;
/** Distinct people one message may mention. */
export const MENTIONS_PER_MESSAGE = 50;

/** One piece of text split on mention tokens. */
export type MentionPart = { type: 'text'; text: string } | { type: 'user'; userId: string } | { type: 'room' };

// `<@id>` (ids as the server makes them), or `@room` not glued to a word or an address.
const TOKEN = /<@([A-Za-z0-9_-]{1,64})>|(?<![\p{L}\p{N}_@.<])@room(?![\p{L}\p{N}_-])/gu;

/**
 * Splits text (no code in it) on mention tokens.
 *
 * @example
 * ```ts
 * splitMentions('hi <@u1> and @room');
 * // [{ type: 'text', text: 'hi ' }, { type: 'user', userId: 'u1' }, { type: 'text', text: ' and ' }, { type: 'room' }]
 * ```
 */
export function splitMentions(text: string): MentionPart[] {
  const parts: MentionPart[] = [];
  let from = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > from) parts.push({ type: 'text', text: text.slice(from, match.index) });
    parts.push(match[1] ? { type: 'user', userId: match[1] } : { type: 'room' });
    from = match.index + match[0].length;
  }
  if (from < text.length) parts.push({ type: 'text', text: text.slice(from) });
  return parts;
}

const USER_AT = /<@([A-Za-z0-9_-]{1,64})>/y;
const ROOM_AT = /(?<![\p{L}\p{N}_@.<])@room(?![\p{L}\p{N}_-])/uy;

/**
 * The mention token starting exactly at `at` (for a parser walking the text, e.g. the client's
 * Markdown): its target (a user id, or `'room'`) and where it ends; null when none starts there.
 * @example `mentionAt('hi <@u1>', 3); // { target: 'u1', end: 8 }`
 */
export function mentionAt(text: string, at: number): { target: string; end: number } | null {
  if (text[at] === '<') {
    USER_AT.lastIndex = at;
    const m = USER_AT.exec(text);
    return m ? { target: m[1]!, end: at + m[0].length } : null;
  }
  ROOM_AT.lastIndex = at;
  if (text[at] !== '@' || !ROOM_AT.test(text)) return null;
  return { target: MENTION_ROOM, end: at + 5 };
}

/** The body without its code (fenced blocks and backtick spans), each replaced by a space. */
function withoutCode(body: string): string {
  const kept: string[] = [];
  let fence: number | null = null;
  for (const line of body.replace(/\r\n?/g, '\n').split('\n')) {
    const ticks = /^ {0,3}(`{3,})/.exec(line)?.[1]?.length;
    if (fence === null && ticks) {
      fence = ticks;
      continue;
    }
    if (fence !== null) {
      if (ticks && ticks >= fence && /^ {0,3}`+\s*$/.test(line)) fence = null;
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n').replace(/(`+)[\s\S]*?[^`]\1(?!`)|(`+)\2(?!`)/g, ' ');
}

/**
 * Who a body mentions: distinct user ids in order of first mention, and `'room'` for `@room`
 * (at its place in that order). Mentions inside code do not count.
 *
 * @example `parseMentions('<@u1> <@u2> @room <@u1> `<@u3>`'); // ['u1', 'u2', 'room']`
 */
export function parseMentions(body: string): string[] {
  const seen = new Set<string>();
  for (const part of splitMentions(withoutCode(body))) {
    if (part.type === 'user') seen.add(part.userId);
    else if (part.type === 'room') seen.add(MENTION_ROOM);
  }
  return [...seen];
}

/**
 * The token that mentions one person.
 * @example `mentionToken('u1'); // '<@u1>'`
 */
export function mentionToken(userId: string): string {
  return `<@${userId}>`;
}

/**
 * Whether a message's mentions (its `mentions`) include this person, directly or by `@room`.
 * @example `mentionsUser(['room'], 'u1'); // true`
 */
export function mentionsUser(mentions: readonly string[] | undefined, userId: string): boolean {
  return Boolean(mentions && (mentions.includes(userId) || mentions.includes(MENTION_ROOM)));
}

/**
 * Who may use `@room`: the room's admins (and workspace owners and admins), and anyone when the
 * room has at most `maxMembers` people.
 * @example `mayMentionRoom({ roomAdmin: false, memberCount: 12 }, 20); // true`
 */
export function mayMentionRoom(who: { roomAdmin: boolean; memberCount: number }, maxMembers: number = ROOM_MENTION_MAX_MEMBERS): boolean {
  return who.roomAdmin || who.memberCount <= maxMembers;
}

/**
 * The refusal of a mention of someone who is not in the room.
 * @example `mentionNotMember('Ada'); // 'Ada is not a member of this room.'`
 */
export function mentionNotMember(name: string | null): string {
  return `${name ?? 'Someone you mentioned'} is not a member of this room.`;
}

/**
 * The refusal of `@room` by a member of a large room.
 * @example `roomMentionRefused(20); // 'Only the room’s admins can use @room in a room of more than 20 people.'`
 */
export function roomMentionRefused(maxMembers: number): string {
  return `Only the room’s admins can use @room in a room of more than ${maxMembers} people.`;
}

/** The refusal of a message that mentions too many people. */
export const TOO_MANY_MENTIONS = `A message can mention at most ${MENTIONS_PER_MESSAGE} people; use @room instead.`;

/** How loudly one room gets your attention: every message, mentions (and DMs) only, or nothing. */
export type NotifyLevel = 'all' | 'mentions' | 'mute';
export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'mute'];

/**
 * A room's level when you never chose one: every message in a direct message, mentions in a room.
 * @example `defaultNotifyLevel('dm'); // 'all'`
 */
export function defaultNotifyLevel(kind: string): NotifyLevel {
  return kind === 'dm' ? 'all' : 'mentions';
}

/**
 * Whether a new message should raise a notification for this reader, given their level for the
 * room: `all` every message, `mentions` the ones that mention them (or `@room`), `mute` none.
 * Your own messages never do.
 * @example `shouldNotify({ level: 'mentions', authorId: 'u2', mentions: ['u1'] }, 'u1'); // true`
 */
export function shouldNotify(m: { level: NotifyLevel; authorId: string; mentions: readonly string[] | undefined }, me: string): boolean {
  if (m.authorId === me || m.level === 'mute') return false;
  return m.level === 'all' || mentionsUser(m.mentions, me);
}
