import { expect, test } from 'vitest';
import { formatCountdown, liveLock, lockText } from './note-lock-text.ts';

const ADA = { userId: 'ada', displayName: 'Ada' };
const NOW = Date.parse('2026-01-05T09:00:00.000Z');
const lockFor = (ms: number) => ({ holder: ADA, expiresAt: new Date(NOW + ms).toISOString() });

test('a countdown is minutes and two-digit seconds, rounded up, never negative', () => {
  expect(formatCountdown(252_000)).toBe('4:12');
  expect(formatCountdown(300_000)).toBe('5:00');
  expect(formatCountdown(400)).toBe('0:01');
  expect(formatCountdown(-5_000)).toBe('0:00');
});

test('a running lock names its holder and the time left; mine elsewhere says so', () => {
  expect(lockText(lockFor(252_000), 'bob', NOW)).toBe('Ada is editing · lock expires in 4:12');
  expect(lockText(lockFor(60_000), 'ada', NOW)).toBe('You are editing it in another window · lock expires in 1:00');
});

test('no lock, or one that ran out, is no text: the note is free to edit', () => {
  expect(lockText(null, 'bob', NOW)).toBeNull();
  expect(lockText(lockFor(0), 'bob', NOW)).toBeNull();
  expect(lockText(lockFor(-1_000), 'bob', NOW)).toBeNull();
  expect(liveLock(lockFor(-1_000), NOW)).toBeNull();
  expect(liveLock(lockFor(1_000), NOW)?.holder.displayName).toBe('Ada');
});
