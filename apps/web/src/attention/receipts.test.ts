import { expect, test } from 'vitest';
import type { ReadReceiptsDto } from '@parley/client';
import { readByText, readInfo } from './receipts.ts';

const row = (key: string, authorId: string, eventId: number | null, status = 'sent') => ({ key, authorId, eventId, status });
const receipts = (readers: [string, number][]): ReadReceiptsDto => ({
  roomId: 'r',
  status: 'shown',
  readers: readers.map(([displayName, eventId]) => ({ userId: displayName.toLowerCase(), displayName, eventId, at: '2026-12-06T10:00:00.000Z' })),
});

test('each of my sent messages knows who read up to it; the latest of them carries the names', () => {
  const items = [row('a', 'me', 10), row('b', 'bo', 11), row('c', 'me', 12), row('d', 'me', 13), row('e', 'me', null, 'sending')];
  const info = readInfo(
    items,
    receipts([
      ['Ada', 12],
      ['Bo', 20],
    ]),
    { meId: 'me', others: 3, dm: false },
  );
  expect([...info.keys()]).toEqual(['a', 'c', 'd']);
  expect(info.get('a')?.readBy.map((r) => r.name)).toEqual(['Ada', 'Bo']);
  expect(info.get('d')?.readBy.map((r) => r.name)).toEqual(['Bo']);
  expect([...info.values()].map((i) => i.showNames)).toEqual([false, false, true]);
  expect(info.get('a')?.readByAll).toBe(false);
});

test('in a direct message, READ once everyone else has read it; nothing when receipts are off or the room is too big', () => {
  const items = [row('a', 'me', 10)];
  expect(readInfo(items, receipts([['Bo', 10]]), { meId: 'me', others: 1, dm: true }).get('a')).toMatchObject({ readByAll: true, dm: true });
  expect(readInfo(items, { roomId: 'r', status: 'off', readers: [] }, { meId: 'me', others: 1, dm: true }).size).toBe(0);
  expect(readInfo(items, { roomId: 'r', status: 'too-big', readers: [] }, { meId: 'me', others: 30, dm: false }).size).toBe(0);
  expect(readInfo(items, undefined, { meId: 'me', others: 1, dm: true }).size).toBe(0);
});

test('names read as a sentence', () => {
  expect(readByText(['Ada'])).toBe('Ada');
  expect(readByText(['Ada', 'Bo'])).toBe('Ada and Bo');
  expect(readByText(['Ada', 'Bo', 'Cy'])).toBe('Ada, Bo and Cy');
  expect(readByText(['Ada', 'Bo', 'Cy', 'Di', 'Ed'])).toBe('Ada, Bo and 3 others');
});
