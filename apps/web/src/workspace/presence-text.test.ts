import { describe, expect, test } from 'vitest';
import { describePresence, describeTyping, formatLastSeen } from './presence-text.ts';

const now = new Date(2026, 2, 10, 15, 30).getTime();
const clock = (d: Date) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(d);
const minutes = (n: number) => n * 60_000;

describe('formatLastSeen', () => {
  test('just now, minutes ago, today, yesterday, then the day', () => {
    expect(formatLastSeen(now - 20_000, now)).toBe('just now');
    expect(formatLastSeen(now - minutes(5), now)).toBe('5 min ago');
    expect(formatLastSeen(now - minutes(59), now)).toBe('59 min ago');
    const morning = new Date(2026, 2, 10, 9, 5);
    expect(formatLastSeen(morning.getTime(), now)).toBe(`today at ${clock(morning)}`);
    const lateLastNight = new Date(2026, 2, 9, 23, 50);
    expect(formatLastSeen(lateLastNight.getTime(), now)).toBe(`yesterday at ${clock(lateLastNight)}`);
    expect(formatLastSeen(new Date(2026, 1, 27, 12, 0).getTime(), now)).not.toMatch(/today|yesterday|ago/);
  });
});

describe('describePresence', () => {
  test('says the status in words, with last seen when offline', () => {
    expect(describePresence({ userId: 'u', status: 'online', lastSeenAt: null, offlineAt: null }, now)).toBe('Online');
    expect(describePresence({ userId: 'u', status: 'reconnecting', lastSeenAt: now, offlineAt: now + 60_000 }, now)).toBe('Reconnecting…');
    expect(describePresence({ userId: 'u', status: 'offline', lastSeenAt: now - minutes(3), offlineAt: null }, now)).toBe('Offline · last seen 3 min ago');
    expect(describePresence({ userId: 'u', status: 'offline', lastSeenAt: null, offlineAt: null }, now)).toBe('Offline');
    expect(describePresence(undefined, now)).toBe('Offline');
  });
});

describe('describeTyping', () => {
  test('names one, two, or two and how many others', () => {
    expect(describeTyping([])).toBeNull();
    expect(describeTyping(['Ada'])).toBe('Ada is typing…');
    expect(describeTyping(['Ada', 'Bob'])).toBe('Ada and Bob are typing…');
    expect(describeTyping(['Ada', 'Bob', 'Cy'])).toBe('Ada, Bob and 1 other are typing…');
    expect(describeTyping(['Ada', 'Bob', 'Cy', 'Di'])).toBe('Ada, Bob and 2 others are typing…');
  });
});
