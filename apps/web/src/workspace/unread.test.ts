import { expect, test } from 'vitest';
import type { ParleyEvent } from '../lib/trpc.ts';
import { countUnread, markRead, unreadElsewhere } from './unread.ts';

const ME = 'me';
const message = (roomId: string, authorId = 'bob') => ({ type: 'message.created', data: { roomId, authorId } }) as unknown as ParleyEvent;

test('messages by others in rooms that are not open are counted per room', () => {
  let counts = {};
  for (const event of [message('random'), message('random'), message('design'), message('general'), message('random', ME)]) {
    counts = countUnread(counts, event, { openRoomId: 'general', meId: ME });
  }
  expect(counts).toEqual({ random: 2, design: 1 });
  expect(unreadElsewhere(counts, 'general')).toBe(3);
  expect(unreadElsewhere(counts, 'random')).toBe(1);
});

test('other events change nothing; opening a room resets its count', () => {
  const counts = { random: 2, design: 1 };
  expect(countUnread(counts, { type: 'room.created', data: {} } as unknown as ParleyEvent, { openRoomId: null, meId: ME })).toBe(counts);
  expect(markRead(counts, 'random')).toEqual({ design: 1 });
  expect(markRead(counts, 'general')).toBe(counts);
  expect(unreadElsewhere(markRead(counts, 'design'), null)).toBe(2);
});
