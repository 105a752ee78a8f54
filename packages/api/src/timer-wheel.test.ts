import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { TimerWheel, type WheelMember } from './timer-wheel.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A member that records when it was called and comes back every `periodMs` (or leaves). */
function member(periodMs: number | undefined) {
  const calls: number[] = [];
  const m: WheelMember & { calls: number[] } = {
    calls,
    onWheel(now) {
      calls.push(now);
      return periodMs === undefined ? undefined : now + periodMs;
    },
  };
  return m;
}

const wheel = () => new TimerWheel(1000, 60_000, () => Date.now());

describe('TimerWheel', () => {
  test('calls a member once it is due, never before, and at most a slot late', () => {
    const w = wheel();
    const t0 = Date.now();
    const m = member(undefined);
    w.add(m, t0 + 2_500);
    vi.advanceTimersByTime(2_400);
    expect(m.calls).toEqual([]);
    vi.advanceTimersByTime(1_100);
    expect(m.calls).toHaveLength(1);
    expect(m.calls[0]).toBeGreaterThanOrEqual(t0 + 2_500);
    expect(m.calls[0]).toBeLessThanOrEqual(t0 + 3_500);
    // It left: not called again, and the wheel's timer is gone.
    vi.advanceTimersByTime(120_000);
    expect(m.calls).toHaveLength(1);
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('periodic members keep their own phase; a deleted one is not called again', () => {
    const w = wheel();
    const t0 = Date.now();
    const a = member(10_000);
    const b = member(10_000);
    w.add(a, t0 + 10_000);
    vi.advanceTimersByTime(5_000);
    w.add(b, Date.now() + 10_000);
    vi.advanceTimersByTime(31_000);
    expect(a.calls.map((t) => Math.round((t - t0) / 1000))).toEqual([10, 20, 30]);
    expect(b.calls.map((t) => Math.round((t - t0) / 1000))).toEqual([15, 25, 35]);
    w.delete(a);
    vi.advanceTimersByTime(20_000);
    expect(a.calls).toHaveLength(3);
    expect(b.calls).toHaveLength(5);
    expect(w.size).toBe(1);
    w.delete(b);
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('adding a member again moves it (one entry per member)', () => {
    const w = wheel();
    const m = member(undefined);
    w.add(m, Date.now() + 5_000);
    w.add(m, Date.now() + 1_000);
    expect(w.size).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(m.calls).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(m.calls).toHaveLength(1);
  });
});
