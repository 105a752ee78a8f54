import type { ReadReceiptsDto } from '@parley/client';

/** What receipts add to one of my messages. */
export interface ReadInfo {
  /** Who has read up to it (names, newest position first), with when their position got there. */
  readonly readBy: readonly { readonly name: string; readonly at: string }[];
  /** Everyone else in the conversation has read it (a direct message's READ). */
  readonly readByAll: boolean;
  /** The message that carries the "Read by …" line: my latest one that someone has read. */
  readonly showNames: boolean;
  /** In a direct message (READ, no names line). */
  readonly dm: boolean;
}

/**
 * For each of my sent messages (by key), who has read it: the other members whose read
 * position is at or past its event id. Nothing when receipts are not shown (the room is too big,
 * or I turned them off). `others` is how many other people are in the conversation.
 *
 * @example `readInfo(items, receipts, { meId, others: room.memberCount - 1, dm: room.kind === 'dm' }).get(item.key)?.readByAll`
 */
export function readInfo(
  items: readonly { key: string; authorId: string; eventId: number | null; status: string }[],
  receipts: ReadReceiptsDto | undefined,
  at: { meId: string; others: number; dm: boolean },
): ReadonlyMap<string, ReadInfo> {
  const out = new Map<string, ReadInfo>();
  if (!receipts || receipts.status !== 'shown' || receipts.readers.length === 0) return out;
  let latest: string | null = null;
  for (const item of items) {
    if (item.authorId !== at.meId || item.status !== 'sent' || item.eventId === null) continue;
    const eventId = item.eventId;
    const readers = receipts.readers.filter((r) => r.eventId >= eventId);
    if (readers.length === 0) continue;
    out.set(item.key, {
      readBy: readers.map((r) => ({ name: r.displayName, at: r.at })),
      readByAll: at.others > 0 && readers.length >= at.others,
      showNames: false,
      dm: at.dm,
    });
    latest = item.key;
  }
  if (latest !== null) out.set(latest, { ...out.get(latest)!, showNames: true });
  return out;
}

/** "Ada", "Ada and Bo", "Ada, Bo and 3 others". @example `readByText(['Ada', 'Bo'])` */
export function readByText(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}
