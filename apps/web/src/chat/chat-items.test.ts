import { expect, test } from 'vitest';
import type { ChatMessage } from '@parley/client';
import { lastEditable, toChatItems } from './chat-items.ts';

const me = { id: 'u-me', displayName: 'Me' };
const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 12, minute)).toISOString();

function message(n: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    key: `c${n}`,
    id: `m${n}`,
    clientId: `c${n}`,
    partitionId: 'p',
    roomId: 'r1',
    authorId: 'u-ada',
    authorName: 'Ada',
    body: `message ${n}`,
    createdAt: at(n),
    eventId: n,
    status: 'SENT',
    queued: false,
    error: null,
    replyTo: null,
    editedAt: null,
    deletedAt: null,
    pinnedAt: null,
    pinnedBy: null,
    reactions: [],
    mentions: [],
    authorBlocked: false,
    pendingOps: 0,
    opError: null,
    opErrorId: null,
    attachment: null,
    ...overrides,
  };
}

test('pending messages are mine, with their state: queued (offline), sending, failed with the reason', () => {
  const items = toChatItems(
    [
      message(1),
      message(2, { id: null, eventId: null, authorId: null, authorName: null, status: 'SENDING', queued: true }),
      message(3, { id: null, eventId: null, authorId: null, authorName: null, status: 'SENDING' }),
      message(4, { id: null, eventId: null, authorId: null, authorName: null, status: 'FAILED', error: 'Not allowed.' }),
    ],
    me,
  );
  expect(items.map((i) => [i.body, i.status, i.authorName, i.error])).toEqual([
    ['message 1', 'sent', 'Ada', null],
    ['message 2', 'queued', 'Me', null],
    ['message 3', 'sending', 'Me', null],
    ['message 4', 'failed', 'Me', 'Not allowed.'],
  ]);
});

test('the row key is the clientId, so a message keeps its row from sending to sent', () => {
  const pending = toChatItems([message(5, { id: null, status: 'SENDING' })], me)[0]!;
  const sent = toChatItems([message(5)], me)[0]!;
  expect(pending.key).toBe(sent.key);
});

test('one header per run of one author within five minutes', () => {
  const items = toChatItems([message(1), message(2), message(9), message(10, { authorId: 'u-bo', authorName: 'Bo' })], me);
  expect(items.map((i) => i.showHeader)).toEqual([true, false, true, true]);
});

test('a collapsed message of a blocked author never lends its header to the next one', () => {
  const items = toChatItems([message(1, { authorBlocked: true }), message(2, { authorBlocked: true })], me);
  expect(items.map((i) => i.showHeader)).toEqual([true, true]);
});

test('Up-arrow edits my latest message: queued, or sent within the edit window; a later one past it ends the search', () => {
  const window = 5 * 60_000;
  const mine = { authorId: 'u-me', authorName: 'Me' };
  const items = toChatItems([message(1, mine), message(2), message(3, { ...mine, deletedAt: at(4) })], me);
  expect(lastEditable(items, 'u-me', Date.parse(at(1)) + 60_000, window)?.key).toBe('c1');
  expect(lastEditable(items, 'u-me', Date.parse(at(1)) + window, window)).toBeNull();
  const queued = toChatItems([message(1, mine), message(2, { id: null, authorId: null, status: 'SENDING', queued: true })], me);
  expect(lastEditable(queued, 'u-me', Date.parse(at(9)) + window, window)?.key).toBe('c2');
  const expiredLast = toChatItems([message(1, mine), message(7, mine)], me);
  expect(lastEditable(expiredLast, 'u-me', Date.parse(at(7)) + window, window)).toBeNull();
});
