import type { MessageDto } from '@parley/client';

/** What the cache holds for one room: `message.list`'s shape, grown by live events and older pages. */
export interface MessagePage {
  /** Oldest first, ordered by `eventId`, each `id` once. */
  messages: MessageDto[];
  /** `before` for the next older page; null once the room's beginning is loaded. */
  nextCursor: number | null;
}

/**
 * The union of two message lists by `id`, ordered by `eventId`. Returns `existing` itself when
 * `incoming` adds nothing, so React Query keeps the same data and nothing re-renders.
 */
export function mergeMessages(existing: readonly MessageDto[], incoming: readonly MessageDto[]): MessageDto[] {
  const known = new Set(existing.map((m) => m.id));
  const added: MessageDto[] = [];
  for (const message of incoming) {
    if (known.has(message.id)) continue;
    known.add(message.id);
    added.push(message);
  }
  if (added.length === 0) return existing as MessageDto[];
  const last = existing.at(-1);
  added.sort(byEventId);
  // The common case, a live message newer than everything loaded, needs no full sort.
  if (!last || added[0]!.eventId > last.eventId) return [...existing, ...added];
  return [...existing, ...added].sort(byEventId);
}

function byEventId(a: MessageDto, b: MessageDto): number {
  return a.eventId - b.eventId;
}

/** A live message into a room's cached page; nothing when the room was never loaded. */
export function addMessage(cached: MessagePage | undefined, message: MessageDto): MessagePage | undefined {
  if (!cached) return undefined;
  const messages = mergeMessages(cached.messages, [message]);
  return messages === cached.messages ? cached : { ...cached, messages };
}

/** A page fetched with `before: nextCursor` goes in front; its cursor is now the oldest one. */
export function mergeOlderPage(cached: MessagePage | undefined, older: MessagePage): MessagePage {
  if (!cached) return older;
  return { messages: mergeMessages(cached.messages, older.messages), nextCursor: older.nextCursor };
}

/**
 * A refetch of the newest page (on mount, after the live stream (re)starts) joins what is
 * loaded instead of replacing it, so older pages and live messages stay. When the fresh page
 * does not reach back to what is loaded, messages may be missing in between: start over from
 * the fresh page rather than show a silent gap.
 */
export function mergeLatestPage(cached: MessagePage | undefined, fresh: MessagePage): MessagePage {
  const newestCached = cached?.messages.at(-1);
  const oldestFresh = fresh.messages[0];
  if (!cached || !newestCached) return fresh;
  if (!oldestFresh) return cached;
  const gap = fresh.nextCursor !== null && oldestFresh.eventId > newestCached.eventId;
  if (gap) return fresh;
  const messages = mergeMessages(cached.messages, fresh.messages);
  return messages === cached.messages ? cached : { messages, nextCursor: cached.nextCursor };
}
