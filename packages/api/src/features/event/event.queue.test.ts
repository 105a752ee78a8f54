import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { TimerWheel } from '../../timer-wheel.ts';
import { EventQueue } from './event.queue.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const wheel = () => new TimerWheel(1000, 60_000, () => Date.now());

describe('EventQueue', () => {
  test('ticks every tickMs from the shared wheel, wakes its consumer, and stops with close()', async () => {
    const w = wheel();
    const q = new EventQueue<number>(10, { tickMs: 5_000, wheel: w });
    expect(vi.getTimerCount()).toBe(1);
    const waiting = q.wait();
    vi.advanceTimersByTime(6_000);
    await waiting;
    expect(q.takeTick()).toBe(true);
    expect(q.takeTick()).toBe(false);
    q.close();
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('an abort wakes the consumer for good; items come out in order, and the queue holds no array when empty', async () => {
    const controller = new AbortController();
    const q = new EventQueue<number>(2, { signal: controller.signal });
    q.push(1);
    q.push(2);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([1, 2, undefined]);
    expect(q.size).toBe(0);
    q.push(3);
    q.push(4);
    q.push(5);
    expect(q.overflowed).toBe(true);
    expect(q.size).toBe(0);
    q.overflowed = false;
    const waiting = q.wait();
    controller.abort();
    await waiting;
    await q.wait();
    q.close();
  });

  test('whenReady calls its waiter back once the queue has something (never synchronously), and on close', async () => {
    const q = new EventQueue<number>(10);
    const woken: string[] = [];
    q.whenReady({ queueReady: () => woken.push('item') });
    expect(woken).toEqual([]);
    q.push(1);
    expect(woken).toEqual(['item']);
    // Ready already: called back in a microtask, not from inside whenReady.
    q.whenReady({ queueReady: () => woken.push('ready') });
    expect(woken).toEqual(['item']);
    await Promise.resolve();
    expect(woken).toEqual(['item', 'ready']);
    q.shift();
    q.whenReady({ queueReady: () => woken.push('closed') });
    q.close();
    expect(woken).toEqual(['item', 'ready', 'closed']);
  });

  test('a period past the wheel’s reach is refused', () => {
    expect(() => new EventQueue<number>(10, { tickMs: 61_000, wheel: wheel() })).toThrow(RangeError);
  });
});
