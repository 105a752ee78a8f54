import { expect, test } from 'vitest';
import { addMessage, mergeLatestPage, mergeMessages, mergeOlderPage, type MessagePage } from './merge-messages.ts';
import { messageDto } from './test-messages.ts';

const ids = (page: { messages: { eventId: number }[] } | undefined) => page?.messages.map((m) => m.eventId);

test('a live message is appended after the loaded ones', () => {
  const merged = mergeMessages([messageDto(1), messageDto(2)], [messageDto(5)]);
  expect(merged.map((m) => m.eventId)).toEqual([1, 2, 5]);
});

test('a message already shown is not shown twice, and nothing changes identity', () => {
  const existing = [messageDto(1), messageDto(2)];
  expect(mergeMessages(existing, [messageDto(2), messageDto(1)])).toBe(existing);
});

test('messages arriving out of order end up ordered by event id', () => {
  const merged = mergeMessages([messageDto(3), messageDto(7)], [messageDto(9), messageDto(1), messageDto(5), messageDto(5)]);
  expect(merged.map((m) => m.eventId)).toEqual([1, 3, 5, 7, 9]);
});

test('a live event for a room that was never loaded creates no cache entry', () => {
  expect(addMessage(undefined, messageDto(1))).toBeUndefined();
});

test('a duplicate live event leaves the cached page untouched', () => {
  const page: MessagePage = { messages: [messageDto(1), messageDto(2)], nextCursor: 1 };
  expect(addMessage(page, messageDto(2))).toBe(page);
  expect(ids(addMessage(page, messageDto(3)))).toEqual([1, 2, 3]);
  expect(addMessage(page, messageDto(3))?.nextCursor).toBe(1);
});

test('"Load older" puts the older page in front and takes its cursor', () => {
  const page: MessagePage = { messages: [messageDto(10), messageDto(11)], nextCursor: 10 };
  const older: MessagePage = { messages: [messageDto(4), messageDto(8)], nextCursor: null };
  const merged = mergeOlderPage(page, older);
  expect(ids(merged)).toEqual([4, 8, 10, 11]);
  expect(merged.nextCursor).toBeNull();
});

test('refetching the newest page keeps older pages and live messages already loaded', () => {
  const cached: MessagePage = { messages: [messageDto(2), messageDto(3), messageDto(4), messageDto(9)], nextCursor: 2 };
  const fresh: MessagePage = { messages: [messageDto(4), messageDto(6), messageDto(9), messageDto(12)], nextCursor: 4 };
  const merged = mergeLatestPage(cached, fresh);
  expect(ids(merged)).toEqual([2, 3, 4, 6, 9, 12]);
  expect(merged.nextCursor).toBe(2);
});

test('a refetch that brings nothing new keeps the same cached object', () => {
  const cached: MessagePage = { messages: [messageDto(2), messageDto(3)], nextCursor: null };
  expect(mergeLatestPage(cached, { messages: [messageDto(3)], nextCursor: 3 })).toBe(cached);
});

test('a refetch that does not reach back to the loaded messages starts over instead of leaving a gap', () => {
  const cached: MessagePage = { messages: [messageDto(1), messageDto(2)], nextCursor: null };
  const fresh: MessagePage = { messages: [messageDto(200), messageDto(201)], nextCursor: 200 };
  expect(mergeLatestPage(cached, fresh)).toBe(fresh);
});

test('a refetch of a room whose whole history fits in one page has no gap even when far ahead', () => {
  const cached: MessagePage = { messages: [messageDto(1)], nextCursor: null };
  const fresh: MessagePage = { messages: [messageDto(1), messageDto(40)], nextCursor: null };
  expect(ids(mergeLatestPage(cached, fresh))).toEqual([1, 40]);
  expect(ids(mergeLatestPage(undefined, fresh))).toEqual([1, 40]);
});
