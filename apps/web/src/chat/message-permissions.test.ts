import { expect, test } from 'vitest';
import type { ChatItem } from './chat-items.ts';
import { formatTimeLeft, messageAbilities, type RoomAbilities } from './message-permissions.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const member: RoomAbilities = { myId: 'me', canWrite: true, inRoom: true, canModerate: false };

function item(overrides: Partial<ChatItem> = {}): ChatItem {
  return {
    key: 'c1',
    id: 'm1',
    authorId: 'me',
    authorName: 'Me',
    body: 'hi',
    createdAt: new Date(T0).toISOString(),
    status: 'sent',
    error: null,
    clientId: 'c1',
    showHeader: true,
    replyTo: null,
    editedAt: null,
    deletedAt: null,
    pinnedAt: null,
    pinnedBy: null,
    reactions: [],
    authorBlocked: false,
    pendingOps: 0,
    opError: null,
    opErrorId: null,
    attachment: null,
    eventId: 1,
    ...overrides,
  };
}

test('my message can be edited for 5 minutes after sending, then not', () => {
  expect(messageAbilities(item(), member, T0 + 60_000).editLeftMs).toBe(4 * 60_000);
  expect(messageAbilities(item(), member, T0 + 5 * 60_000).editLeftMs).toBeNull();
  expect(messageAbilities(item({ authorId: 'bob' }), member, T0).editLeftMs).toBeNull();
});

test('others’ messages: deleted for everyone only by moderators, and never in a direct message (canModerate is false there)', () => {
  const bobs = item({ authorId: 'bob' });
  expect(messageAbilities(bobs, member, T0).deleteForEveryone).toBe(false);
  expect(messageAbilities(bobs, { ...member, canModerate: true }, T0).deleteForEveryone).toBe(true);
  expect(messageAbilities(item(), member, T0 + 3_600_000).deleteForEveryone).toBe(true);
});

test('viewers may only delete for themselves; a tombstone offers nothing else; a message on its way offers nothing', () => {
  const viewer = { ...member, canWrite: false };
  expect(messageAbilities(item({ authorId: 'bob' }), viewer, T0)).toMatchObject({ react: false, reply: false, pin: false, deleteForMe: true });
  expect(messageAbilities(item({ deletedAt: new Date(T0).toISOString() }), member, T0)).toMatchObject({
    reply: false,
    deleteForEveryone: false,
    deleteForMe: true,
  });
  expect(messageAbilities(item({ status: 'sending', id: null }), member, T0).deleteForMe).toBe(false);
});

test('pin or unpin, as it stands', () => {
  expect(messageAbilities(item(), member, T0)).toMatchObject({ pin: true, unpin: false });
  expect(messageAbilities(item({ pinnedAt: new Date(T0).toISOString() }), member, T0)).toMatchObject({ pin: false, unpin: true });
});

test('time left reads as minutes and seconds, rounded up', () => {
  expect(formatTimeLeft(192_000)).toBe('3:12');
  expect(formatTimeLeft(191_001)).toBe('3:12');
  expect(formatTimeLeft(500)).toBe('0:01');
});
