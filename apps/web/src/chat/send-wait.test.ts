import { expect, test } from 'vitest';
import { describeSendWait, sendWait, SERVER_PROBLEM_AFTER_MS, type SendWaitInput } from './send-wait.ts';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const base: SendWaitInput = { online: true, state: 'CONNECTED', retryAt: null, behind: false, queuedForMs: 0, now: NOW };
const say = (input: Partial<SendWaitInput>) => describeSendWait(sendWait({ ...base, ...input }));

test('offline or without a connection it waits for the connection', () => {
  expect(say({ online: false })).toBe('Waiting for the connection');
  expect(say({ state: 'RECONNECTING', queuedForMs: 60_000 })).toBe('Waiting for the connection');
  expect(say({ state: 'FAILED' })).toBe('Waiting for the connection');
});

test('a rate limit says so, with the seconds left, whatever else waits', () => {
  expect(say({ retryAt: new Date(NOW + 11_200).toISOString(), behind: true })).toBe('You are sending too fast; trying again in 12 s');
  expect(say({ retryAt: new Date(NOW - 1).toISOString(), queuedForMs: SERVER_PROBLEM_AFTER_MS })).toBe('The server had a problem; retrying…');
});

test('connected, first in line and still queued: the server failed it; behind others: it waits its turn', () => {
  expect(say({ queuedForMs: 0 })).toBe('Waiting to send');
  expect(say({ queuedForMs: SERVER_PROBLEM_AFTER_MS })).toBe('The server had a problem; retrying…');
  expect(say({ queuedForMs: 10_000, behind: true })).toBe('Waiting for the messages before it');
});
