import { expect, test } from 'vitest';
import type { RoomReadState } from '@parley/client';
import { shownCounts, unreadElsewhere } from './unread.ts';

const state = (unread: number, mentions = 0): RoomReadState => ({ lastRead: 1, lastMessage: 1 + unread, unread, mentions });

test('what waits elsewhere sums the unread of every room but the open one', () => {
  const counts = { random: state(2, 1), design: state(1), general: state(4) };
  expect(unreadElsewhere(counts, 'general')).toBe(3);
  expect(unreadElsewhere(counts, 'random')).toBe(5);
  expect(unreadElsewhere(counts, null)).toBe(7);
});

test('the open room shows no badge while it is being read; the others keep theirs', () => {
  const counts = { random: state(2), general: state(0) };
  expect(shownCounts(counts, 'random')).toEqual({ general: state(0) });
  expect(shownCounts(counts, 'general')).toBe(counts);
  expect(shownCounts(counts, null)).toBe(counts);
});
