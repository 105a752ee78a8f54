import { expect, test } from 'vitest';
import { mayMentionRoom, mentionsUser, mentionToken, parseMentions, shouldNotify, splitMentions } from './mentions.ts';

test('user tokens and @room are found in order, each once', () => {
  expect(parseMentions(`hi ${mentionToken('u-1')} and <@u_2>, @room! again <@u-1>`)).toEqual(['u-1', 'u_2', 'room']);
  expect(parseMentions('@room at the start')).toEqual(['room']);
  expect(parseMentions('no mentions here')).toEqual([]);
});

test('@room glued to a word, an address or a longer word is not a mention', () => {
  expect(parseMentions('mail ops@room.example, @rooms, @room-service, x@room, .@room')).toEqual([]);
  expect(parseMentions('(@room) and "@room".')).toEqual(['room']);
});

test('tokens inside code spans and fenced blocks are text', () => {
  expect(parseMentions('see `<@u1>` and ``@room``')).toEqual([]);
  expect(parseMentions('```\n<@u1> @room\n```\nafter <@u2>')).toEqual(['u2']);
  expect(parseMentions('```js\n<@u1>')).toEqual([]);
});

test('malformed tokens are text', () => {
  expect(parseMentions('<@> <@a b> <@a.b> <@' + 'x'.repeat(65) + '> @<u1>')).toEqual([]);
});

test('splitMentions keeps the text between tokens', () => {
  expect(splitMentions('a <@u1>b@room')).toEqual([
    { type: 'text', text: 'a ' },
    { type: 'user', userId: 'u1' },
    { type: 'text', text: 'b@room' },
  ]);
  expect(splitMentions('@room')).toEqual([{ type: 'room' }]);
});

test('@room: room admins always, others only in small rooms', () => {
  expect(mayMentionRoom({ roomAdmin: false, memberCount: 20 })).toBe(true);
  expect(mayMentionRoom({ roomAdmin: false, memberCount: 21 })).toBe(false);
  expect(mayMentionRoom({ roomAdmin: true, memberCount: 500 })).toBe(true);
  expect(mayMentionRoom({ roomAdmin: false, memberCount: 6 }, 5)).toBe(false);
});

test('notification levels: all, mentions (direct or @room), mute; never your own message', () => {
  const m = (level: 'all' | 'mentions' | 'mute', mentions: string[], authorId = 'u2') => shouldNotify({ level, authorId, mentions }, 'u1');
  expect(m('all', [])).toBe(true);
  expect(m('mentions', [])).toBe(false);
  expect(m('mentions', ['u1'])).toBe(true);
  expect(m('mentions', ['room'])).toBe(true);
  expect(m('mute', ['u1'])).toBe(false);
  expect(m('all', ['u1'], 'u1')).toBe(false);
  expect(mentionsUser(undefined, 'u1')).toBe(false);
});
