import { expect, test } from 'vitest';
import { toChatItems } from './chat-items.ts';
import type { PendingMessage } from './pending-messages.ts';
import { messageDto } from './test-messages.ts';

const me = { id: 'u-me', displayName: 'Me' };

function pending(clientId: string, overrides: Partial<PendingMessage> = {}): PendingMessage {
  return {
    clientId,
    roomId: 'r1',
    body: `draft ${clientId}`,
    status: 'sending',
    error: null,
    createdAt: new Date(Date.UTC(2025, 0, 1, 12, 30)).toISOString(),
    ...overrides,
  };
}

test('a pending message shows after the confirmed ones, as mine and sending', () => {
  const items = toChatItems([messageDto(1)], [pending('c-new')], me);
  expect(items.map((i) => [i.body, i.status, i.authorName])).toEqual([
    ['message 1', 'sent', 'Ada'],
    ['draft c-new', 'sending', 'Me'],
  ]);
});

test('once confirmed (by the reply or the live event), the pending copy disappears', () => {
  const confirmed = messageDto(7, { clientId: 'c-new', authorId: me.id, authorName: 'Me', body: 'hello' });
  const items = toChatItems([confirmed], [pending('c-new', { body: 'hello' })], me);
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ key: 'm7', status: 'sent', body: 'hello' });
});

test('a failed message keeps its error for the retry prompt', () => {
  const [item] = toChatItems([], [pending('c1', { status: 'failed', error: 'Join the room first.' })], me);
  expect(item).toMatchObject({ status: 'failed', error: 'Join the room first.', clientId: 'c1' });
});

test('consecutive messages by one author within five minutes share a header', () => {
  const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 12, minute)).toISOString();
  const items = toChatItems(
    [
      messageDto(1, { createdAt: at(0) }),
      messageDto(2, { createdAt: at(2) }),
      messageDto(3, { createdAt: at(9) }),
      messageDto(4, { createdAt: at(10), authorId: 'u-bob', authorName: 'Bob' }),
    ],
    [],
    me,
  );
  expect(items.map((i) => i.showHeader)).toEqual([true, false, true, true]);
});
