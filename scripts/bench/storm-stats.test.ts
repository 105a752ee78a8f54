import { describe, expect, test } from 'vitest';
import { outcomeOf, summarizeStorm, targetOf, type StormOutcome } from './storm-stats.ts';

// Room 0's events after the kill are 11, 13, 15 (the marker 11); 12 and 14 are another room's.
const expected = [11, 13, 15];

describe("a storm client's outcome against the log", () => {
  test('resumed when the last event up to its target arrived, once its subscription started again', () => {
    const o = outcomeOf({ lastSeen: 10, startedAt: 1500, ids: [11, 13, 15], at: [1510, 1520, 2600] }, expected, 13);
    expect(o).toEqual({ resumedAt: 1520, missed: 0, behind: 0, duplicates: 0 });
  });

  test('an event skipped below a later one is missed, and the client never resumed', () => {
    const o = outcomeOf({ lastSeen: 10, startedAt: 1500, ids: [13, 15], at: [1510, 1520] }, expected, 13);
    expect(o).toEqual({ resumedAt: null, missed: 1, behind: 0, duplicates: 0 });
  });

  test('a repeat, or an id it had before the kill, is received twice', () => {
    const o = outcomeOf({ lastSeen: 10, startedAt: 1500, ids: [9, 11, 11, 13, 15], at: [1501, 1502, 1503, 1504, 1505] }, expected, 11);
    expect(o.duplicates).toBe(2);
    expect(o.missed).toBe(0);
    expect(o.resumedAt).toBe(1502);
  });

  test('a client still reconnecting at the end is behind, not missing events', () => {
    expect(outcomeOf({ lastSeen: 10, startedAt: null, ids: [], at: [] }, expected, 11)).toEqual({ resumedAt: null, missed: 0, behind: 3, duplicates: 0 });
  });

  test('events before its last one at the kill are not expected again', () => {
    const o = outcomeOf({ lastSeen: 13, startedAt: 800, ids: [15], at: [900] }, expected, 15);
    expect(o).toEqual({ resumedAt: 900, missed: 0, behind: 0, duplicates: 0 });
  });
});

test("a client's target is its room's marker, or a later message of the room acknowledged before it resubscribed", () => {
  const sends = [
    { room: 0, eventId: 11, ackedAt: 5 },
    { room: 1, eventId: 12, ackedAt: 6 },
    { room: 0, eventId: 13, ackedAt: 900 },
    { room: 1, eventId: 14, ackedAt: 950 },
    { room: 0, eventId: 15, ackedAt: 2000 },
  ];
  expect(targetOf(sends, 0, 11, 800)).toBe(11);
  expect(targetOf(sends, 0, 11, 1500)).toBe(13);
  expect(targetOf(sends, 1, 12, 1500)).toBe(14);
});

describe('the summary over the killed node’s clients', () => {
  const resumed = (resumedAt: number | null, extra: Partial<StormOutcome> = {}): StormOutcome => ({ resumedAt, missed: 0, behind: 0, duplicates: 0, ...extra });

  test('percentiles over those that resumed; 99% counts the others as never', () => {
    const outcomes = [...Array.from({ length: 99 }, (_, i) => resumed(1000 + i * 100)), resumed(null, { behind: 2 })];
    const s = summarizeStorm(outcomes, 10_000);
    expect(s.resumed).toBe(99);
    expect(s.p50).toBe(1000 + 49 * 100);
    expect(s.max).toBe(1000 + 98 * 100);
    expect(s.time99).toBe(1000 + 98 * 100);
    expect(s.withinGoal).toBeCloseTo(90 / 100);
    expect(s.behind).toBe(1);
  });

  test('no 99% time when more than 1% never resumed', () => {
    const s = summarizeStorm([resumed(1000), resumed(null), resumed(2000, { missed: 1, duplicates: 2 })], 10_000);
    expect(s.time99).toBeNull();
    expect(s.p99).toBe(2000);
    expect(s.missed).toBe(1);
    expect(s.duplicates).toBe(2);
  });
});
