import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createMemoryRateLimiter } from './rate-limit.ts';
import { rateLimitCases, runRateLimitCase, type LimiterHarness } from './rate-limit.cases.ts';

describe('memory rate limiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const harness = (): LimiterHarness => ({
    limiter: createMemoryRateLimiter(),
    windowMs: 10_000,
    sleep: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
    },
    key: (i, key) => `case${i}:${key}`,
  });

  for (const [i, c] of rateLimitCases.entries()) {
    test(c.name, () => runRateLimitCase(harness(), i));
  }

  test('says exactly when to retry, to the millisecond', async () => {
    const limiter = createMemoryRateLimiter();
    const rule = { limit: 1, windowMs: 10_000 };
    expect(await limiter.consume('k', rule)).toEqual({ ok: true });
    vi.advanceTimersByTime(2_500);
    expect(await limiter.consume('k', rule)).toEqual({ ok: false, retryAfterMs: 7_500 });
    vi.advanceTimersByTime(7_499);
    expect(await limiter.consume('k', rule)).toEqual({ ok: false, retryAfterMs: 1 });
    vi.advanceTimersByTime(1);
    expect(await limiter.consume('k', rule)).toEqual({ ok: true });
  });

  test('an injected clock replaces Date.now', async () => {
    let now = 1_000_000;
    const limiter = createMemoryRateLimiter({ now: () => now });
    const rule = { limit: 1, windowMs: 1_000 };
    await limiter.consume('k', rule);
    expect(await limiter.consume('k', rule)).toEqual({ ok: false, retryAfterMs: 1_000 });
    now += 1_000;
    expect(await limiter.consume('k', rule)).toEqual({ ok: true });
  });

  test('a rule that makes no sense is a programming error, not a silent allow', async () => {
    const limiter = createMemoryRateLimiter();
    await expect(limiter.consume('k', { limit: 0, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(limiter.consume('k', { limit: 1.5, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(limiter.consume('k', { limit: 1, windowMs: 0 })).rejects.toThrow(RangeError);
  });
});
