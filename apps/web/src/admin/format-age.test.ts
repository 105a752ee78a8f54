import { expect, test } from 'vitest';
import { formatAge, formatDetails } from './format-age.ts';

test('heartbeat ages read as people say them', () => {
  expect(formatAge(0.4)).toBe('just now');
  expect(formatAge(4.9)).toBe('4 s ago');
  expect(formatAge(59)).toBe('59 s ago');
  expect(formatAge(61)).toBe('1 min ago');
  expect(formatAge(2 * 3600 + 5)).toBe('2 h ago');
  expect(formatAge(86_400)).toBe('1 day ago');
  expect(formatAge(5 * 86_400)).toBe('5 days ago');
  expect(formatAge(Number.NaN)).toBe('just now');
});

test('audit details become short key: value pairs', () => {
  expect(formatDetails({ job: 'session-sweep', generation: 3, from: 'node-a' })).toBe('job: session-sweep, generation: 3, from: node-a');
  expect(formatDetails({ restarted: false, nested: { a: 1 } })).toBe('restarted: false, nested: {"a":1}');
  expect(formatDetails({})).toBe('');
});
