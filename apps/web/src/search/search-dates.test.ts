import { expect, test } from 'vitest';
import { dayEndIso, dayStartIso } from './search-dates.ts';

test('a day range is the first day’s local midnight up to the local midnight after the last day', () => {
  const from = dayStartIso('2026-03-01')!;
  const to = dayEndIso('2026-03-31')!;
  expect(new Date(from).getDate()).toBe(1);
  expect(new Date(from).getHours()).toBe(0);
  expect(new Date(to).getMonth()).toBe(3);
  expect(new Date(to).getDate()).toBe(1);
  // One day from and to the same date: 24 hours (no daylight saving change on that day here).
  expect(Date.parse(dayEndIso('2026-01-10')!) - Date.parse(dayStartIso('2026-01-10')!)).toBe(24 * 3600 * 1000);
});

test('no day or a malformed one is no filter', () => {
  expect(dayStartIso(undefined)).toBeUndefined();
  expect(dayStartIso('')).toBeUndefined();
  expect(dayEndIso('March 3')).toBeUndefined();
});
