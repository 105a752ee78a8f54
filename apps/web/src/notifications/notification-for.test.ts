import { expect, test } from 'vitest';
import { notificationFor, NOTIFY_FRESH_MS } from './notification-for.ts';

const now = Date.parse('2026-01-01T12:00:00Z');
const message = {
  id: 'm1',
  partitionId: 'acme',
  roomId: 'r1',
  authorId: 'u-ada',
  authorName: 'Ada',
  body: 'ping <@u-me> **now**',
  createdAt: new Date(now - 1000).toISOString(),
  deletedAt: null,
  mentions: ['u-me'],
};
const ctx = (level: 'all' | 'mentions' | 'mute', kind = 'public') => ({
  meId: 'u-me',
  level,
  room: { kind, name: 'ops' },
  nameOf: (id: string) => (id === 'u-me' ? 'Me' : undefined),
  now,
  origin: 'https://parley.example',
});

test('a mention in a room: its author and room, the text as read, a link to the message', () => {
  expect(notificationFor(message, ctx('mentions'))).toEqual({
    title: 'Ada in #ops',
    body: 'ping @Me now',
    tag: 'parley:acme:m1',
    url: 'https://parley.example/#/w/acme/r/r1/m/m1',
  });
});

test('levels: all notifies every message, mentions only mentions, mute nothing; DMs are titled by their author', () => {
  const plain = { ...message, body: 'hello', mentions: [] };
  expect(notificationFor(plain, ctx('mentions'))).toBeNull();
  expect(notificationFor(plain, ctx('all', 'dm'))?.title).toBe('Ada');
  expect(notificationFor(message, ctx('mute'))).toBeNull();
  expect(notificationFor({ ...plain, mentions: ['room'] }, ctx('mentions'))).not.toBeNull();
});

test('never my own message, a deleted one or one from a replay of the past', () => {
  expect(notificationFor({ ...message, authorId: 'u-me' }, ctx('all'))).toBeNull();
  expect(notificationFor({ ...message, deletedAt: message.createdAt }, ctx('all'))).toBeNull();
  expect(notificationFor({ ...message, createdAt: new Date(now - NOTIFY_FRESH_MS - 1).toISOString() }, ctx('all'))).toBeNull();
});
