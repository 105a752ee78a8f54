import { expect } from 'vitest';
import type { RateLimiter, RateLimitRule } from './rate-limit.ts';

/**
 * One behaviour table for every RateLimiter implementation. Times are fractions of the
 * window, so the Redis run (real time) can use a window long enough to absorb scheduling
 * noise while the memory run uses a fake clock. Retry expectations are ranges for the same
 * reason; with a fake clock the exact value sits inside them.
 */
type Step =
  | { consume: string; ok: true }
  | { consume: string; ok: false; retryBetween: [number, number] }
  | { wait: number }
  | { reset: string }
  | { refund: string }
  | { consumeMany: string[]; ok: true }
  | { consumeMany: string[]; ok: false; refusedIndex: number; retryBetween: [number, number] };

export interface RateLimitCase {
  name: string;
  limit: number;
  steps: Step[];
}

const ok = (key = 'a'): Step => ({ consume: key, ok: true });
const refused = (min: number, max: number, key = 'a'): Step => ({ consume: key, ok: false, retryBetween: [min, max] });
const many = (...keys: string[]): Step => ({ consumeMany: keys, ok: true });
const manyRefused = (refusedIndex: number, keys: string[]): Step => ({ consumeMany: keys, ok: false, refusedIndex, retryBetween: [0.8, 1] });

export const rateLimitCases: RateLimitCase[] = [
  {
    name: 'allows `limit` calls in a window, then refuses with the time left in it',
    limit: 3,
    steps: [ok(), ok(), ok(), refused(0.8, 1), refused(0.8, 1)],
  },
  {
    name: 'a refused call does not extend the window: the count starts again when it ends',
    limit: 2,
    steps: [ok(), ok(), { wait: 0.6 }, refused(0.2, 0.4), refused(0.2, 0.4), { wait: 0.5 }, ok(), ok(), refused(0.8, 1)],
  },
  {
    name: "the window starts at a key's first call, not on a clock tick",
    limit: 1,
    steps: [{ wait: 0.5 }, ok(), { wait: 0.7 }, refused(0.1, 0.3), { wait: 0.4 }, ok(), refused(0.8, 1)],
  },
  {
    name: 'keys are independent',
    limit: 1,
    steps: [ok('a'), ok('b'), refused(0.8, 1, 'a'), refused(0.8, 1, 'b'), ok('c')],
  },
  {
    name: "reset forgets a key's window (and only that key's)",
    limit: 1,
    steps: [ok('a'), ok('b'), refused(0.8, 1, 'a'), { reset: 'a' }, ok('a'), refused(0.8, 1, 'b')],
  },
  {
    name: 'a refund gives one allowed call back, within the same window',
    limit: 2,
    steps: [ok(), ok(), { refund: 'a' }, { wait: 0.3 }, ok(), refused(0.6, 0.8), { refund: 'b' }, ok('b'), ok('b'), refused(0.8, 1, 'b')],
  },
  {
    name: 'a refund after the window ended changes nothing: the next window is whole',
    limit: 1,
    steps: [ok(), { wait: 1.1 }, { refund: 'a' }, ok(), refused(0.8, 1)],
  },
  {
    name: 'several limits in one step: each key counted in order, up to the first that refuses',
    limit: 2,
    steps: [
      many('ip', 'u1'),
      many('ip', 'u2'),
      manyRefused(0, ['ip', 'u3']),
      // u3 came after the refusal: not counted.
      ok('u3'),
      ok('u3'),
      refused(0.8, 1, 'u3'),
      many('x', 'u1'),
      manyRefused(1, ['y', 'u1']),
      // y came before it: counted.
      ok('y'),
      refused(0.8, 1, 'y'),
    ],
  },
];

export interface LimiterHarness {
  limiter: RateLimiter;
  windowMs: number;
  /** Lets `ms` pass on the limiter's clock. */
  sleep(ms: number): Promise<void>;
  /** Makes keys unique to one case (the Redis run shares a server). */
  key(caseIndex: number, key: string): string;
}

export async function runRateLimitCase(h: LimiterHarness, index: number): Promise<void> {
  const c = rateLimitCases[index]!;
  const rule: RateLimitRule = { limit: c.limit, windowMs: h.windowMs };
  for (const [i, step] of c.steps.entries()) {
    const where = `step ${i} of "${c.name}"`;
    if ('wait' in step) {
      await h.sleep(step.wait * h.windowMs);
    } else if ('reset' in step) {
      await h.limiter.reset(h.key(index, step.reset));
    } else if ('refund' in step) {
      await h.limiter.refund(h.key(index, step.refund));
    } else if ('consumeMany' in step) {
      const result = await h.limiter.consumeMany(step.consumeMany.map((key) => ({ key: h.key(index, key), rule })));
      expect(result.ok, where).toBe(step.ok);
      if (!step.ok && !result.ok) {
        expect(result.index, where).toBe(step.refusedIndex);
        expect(result.retryAfterMs, where).toBeGreaterThanOrEqual(step.retryBetween[0] * h.windowMs);
        expect(result.retryAfterMs, where).toBeLessThanOrEqual(step.retryBetween[1] * h.windowMs);
      }
    } else {
      const result = await h.limiter.consume(h.key(index, step.consume), rule);
      expect(result.ok, where).toBe(step.ok);
      if (!step.ok && !result.ok) {
        expect(result.retryAfterMs, where).toBeGreaterThanOrEqual(step.retryBetween[0] * h.windowMs);
        expect(result.retryAfterMs, where).toBeLessThanOrEqual(step.retryBetween[1] * h.windowMs);
      }
    }
  }
}
