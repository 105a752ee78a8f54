import { expect, test } from 'vitest';
import { canManageRoom, dmChoiceStatus, dmName, isDefaultRoom, roomLabel } from './rooms.ts';

const names: Record<string, string> = { a: 'Ada', g: 'Grace', l: 'Linus' };
const nameOf = (id: string) => names[id];

test('a direct message is named by the other people, alphabetically; a room by its #name', () => {
  expect(dmName(['l', 'a', 'g'], 'a', nameOf)).toBe('Grace, Linus');
  expect(dmName(['a', 'x'], 'a', nameOf)).toBe('Former member');
  expect(roomLabel({ name: '', kind: 'dm', myRole: 'member', memberIds: ['a', 'g'] }, 'g', nameOf)).toBe('Ada');
  expect(roomLabel({ name: 'design', kind: 'private', myRole: null }, 'a', nameOf)).toBe('#design');
});

test('room admins and workspace owners and admins manage a room; nobody manages a direct message', () => {
  expect(canManageRoom({ kind: 'public', myRole: 'admin' }, 'member')).toBe(true);
  expect(canManageRoom({ kind: 'private', myRole: null }, 'admin')).toBe(true);
  expect(canManageRoom({ kind: 'public', myRole: 'member' }, 'member')).toBe(false);
  expect(canManageRoom({ kind: 'dm', myRole: 'member' }, 'owner')).toBe(false);
  expect(isDefaultRoom({ name: 'General', kind: 'public' })).toBe(true);
});

test('choosing more than 7 people for a direct message is refused with the limit in words', () => {
  expect(dmChoiceStatus(7)).toEqual({ tooMany: false, text: '7 of at most 7 chosen.' });
  expect(dmChoiceStatus(8)).toEqual({
    tooMany: true,
    text: 'A direct message has at most 8 people, you included: choose at most 7 (8 chosen).',
  });
});
