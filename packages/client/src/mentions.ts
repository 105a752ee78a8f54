/**
 * Mentions as a composer handles them. The stored form is the server's (`<@userId>`, `@room`:
 * `@parley/rules`); a person types and reads "@Display Name". The composer keeps the people it
 * inserted (`PickedMention`) and turns their names back into tokens when the message is sent.
 */
import { MENTION_ROOM, mentionToken, splitMentions } from '@parley/rules';

/** Someone who can be mentioned in a room. @example `{ userId: 'u1', displayName: 'Ada Lovelace' }` */
export interface MentionCandidate {
  readonly userId: string;
  readonly displayName: string;
}

/** A person the composer inserted: their name in the text stands for their token. */
export interface PickedMention {
  readonly userId: string;
  readonly displayName: string;
}

/** An autocomplete suggestion: a member, or `@room`. */
export type MentionSuggestion = { readonly kind: 'user'; readonly userId: string; readonly displayName: string } | { readonly kind: 'room' };

/** The longest query the autocomplete follows after `@`. */
export const MENTION_QUERY_MAX_CHARS = 32;

/**
 * The `@query` being typed where the caret is: `start` is the `@`'s index. An `@` counts at
 * the start of the text or after a space or an opening bracket or quote (not inside an email
 * address); the query may hold single spaces (first and last names), not a line break.
 *
 * @example `mentionQueryAt('hi @ad', 6); // { start: 3, query: 'ad' }`
 */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const from = Math.max(0, caret - MENTION_QUERY_MAX_CHARS - 1);
  const at = text.lastIndexOf('@', caret - 1);
  if (at < from || at < 0) return null;
  const before = text[at - 1];
  if (before !== undefined && !/[\s([{"'“‘]/.test(before)) return null;
  const query = text.slice(at + 1, caret);
  if (/\n|\s\s|^\s/.test(query)) return null;
  return { start: at, query };
}

function normalized(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The suggestions for a query: members whose name (or a word of it) starts with it, those
 * starting with it first, then alphabetical; `@room` when it matches and `allowRoom`. You are
 * never suggested.
 *
 * @example `suggestMentions(members, 'ad', { me: myId, allowRoom: true }); // [{ kind: 'user', userId: 'u1', displayName: 'Ada' }]`
 */
export function suggestMentions(
  members: readonly MentionCandidate[],
  query: string,
  opts: { me?: string | null | undefined; allowRoom?: boolean | undefined; limit?: number | undefined } = {},
): MentionSuggestion[] {
  // Not trimmed: "@Ada " still suggests "Ada Lovelace", and a finished "@Alan Turing " suggests nobody.
  const q = normalized(query);
  const scored: { m: MentionCandidate; rank: number }[] = [];
  for (const m of members) {
    if (m.userId === opts.me) continue;
    const name = normalized(m.displayName);
    const rank = name.startsWith(q) ? 0 : name.split(/[\s._-]+/).some((w) => w.startsWith(q)) ? 1 : -1;
    if (rank >= 0) scored.push({ m, rank });
  }
  scored.sort((a, b) => a.rank - b.rank || a.m.displayName.localeCompare(b.m.displayName));
  const out: MentionSuggestion[] = scored.map(({ m }) => ({ kind: 'user', userId: m.userId, displayName: m.displayName }));
  if (opts.allowRoom && MENTION_ROOM.startsWith(q)) out.push({ kind: 'room' });
  return out.slice(0, opts.limit ?? 8);
}

/**
 * Replaces the `@query` at `start..caret` with the chosen mention as the composer shows it
 * ("@Ada Lovelace "), and where the caret goes.
 *
 * @example `insertMention('hi @ad', 3, 6, { kind: 'room' }); // { text: 'hi @room ', caret: 9 }`
 */
export function insertMention(text: string, start: number, caret: number, choice: MentionSuggestion): { text: string; caret: number } {
  const label = choice.kind === 'room' ? '@room' : `@${choice.displayName}`;
  const after = text.slice(caret);
  const inserted = `${label}${after.startsWith(' ') ? '' : ' '}`;
  return { text: text.slice(0, start) + inserted + after, caret: start + inserted.length };
}

/**
 * The text to send: each "@Name" of a person the composer inserted becomes their token (longest
 * names first, so "@Ada Lovelace" wins over "@Ada"); `@room` is already its own token.
 *
 * @example `encodeMentions('hi @Ada!', [{ userId: 'u1', displayName: 'Ada' }]); // 'hi <@u1>!'`
 */
export function encodeMentions(text: string, picked: readonly PickedMention[]): string {
  if (picked.length === 0) return text;
  const byName = [...new Map(picked.map((p) => [p.displayName, p])).values()].sort((a, b) => b.displayName.length - a.displayName.length);
  let out = '';
  let i = 0;
  outer: while (i < text.length) {
    if (text[i] === '@' && (i === 0 || !/[\p{L}\p{N}_.]/u.test(text[i - 1]!))) {
      for (const p of byName) {
        const end = i + 1 + p.displayName.length;
        if (text.startsWith(p.displayName, i + 1) && (end >= text.length || !/[\p{L}\p{N}_]/u.test(text[end]!))) {
          out += mentionToken(p.userId);
          i = end;
          continue outer;
        }
      }
    }
    out += text[i];
    i++;
  }
  return out;
}

/**
 * The other way, for editing a sent message: its tokens shown as "@Name", and the people they
 * stand for (so `encodeMentions` gives the tokens back). A person the client does not know
 * keeps their token.
 *
 * @example `decodeMentions('hi <@u1>', (id) => names.get(id)); // { text: 'hi @Ada', picked: [{ userId: 'u1', displayName: 'Ada' }] }`
 */
export function decodeMentions(body: string, nameOf: (userId: string) => string | null | undefined): { text: string; picked: PickedMention[] } {
  const picked: PickedMention[] = [];
  const text = splitMentions(body)
    .map((part) => {
      if (part.type === 'text') return part.text;
      if (part.type === 'room') return '@room';
      const name = nameOf(part.userId);
      if (!name) return mentionToken(part.userId);
      if (!picked.some((p) => p.userId === part.userId)) picked.push({ userId: part.userId, displayName: name });
      return `@${name}`;
    })
    .join('');
  return { text, picked };
}
