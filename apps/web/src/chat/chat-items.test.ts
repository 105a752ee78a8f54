import { expect, test } from 'vitest';
import type { ChatMessage } from '@parley/client';
import { toChatItems } from './chat-items.ts';

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
