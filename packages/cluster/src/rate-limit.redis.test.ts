import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedisRateLimiter, type RateLimiter } from './rate-limit.ts';
import { rateLimitCases, runRateLimitCase } from './rate-limit.cases.ts';
import { privateRedisForTests, redisForTests, uniquePrefix, waitUntil, type RedisServer } from './test-services.ts';

const url = await redisForTests();
const prefix = uniquePrefix('rate-limit');
const silent = { info() {}, warn() {} };

describe.skipIf(!url)('Redis rate limiter', () => {
  let limiter: RateLimiter;
  beforeAll(async () => {
    limiter = createRedisRateLimiter({ url: url!, log: silent, prefix });
    await waitUntil(() => limiter.state === 'up', 5_000, 'the limiter to connect');
  });
  afterAll(() => limiter?.close());

  // Real time: a window long enough that scheduling noise stays inside the table's margins.
  const windowMs = 1_000;
  for (const [i, c] of rateLimitCases.entries()) {
    test.concurrent(c.name, () =>
      runRateLimitCase({ limiter, windowMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), key: (n, key) => `case${n}:${key}` }, i),
    );
  }

  test('is atomic: of 50 simultaneous calls with a limit of 10, exactly 10 pass', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.consume('burst', { limit: 10, windowMs: 60_000 })));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
  });

  test('is shared by every node: two limiters on one Redis count together', async () => {
    const other = createRedisRateLimiter({ url: url!, log: silent, prefix });
    try {
      await waitUntil(() => other.state === 'up', 5_000, 'the second limiter to connect');
      const rule = { limit: 2, windowMs: 60_000 };
      expect((await limiter.consume('shared', rule)).ok).toBe(true);
      expect((await other.consume('shared', rule)).ok).toBe(true);
      expect(await limiter.consume('shared', rule)).toMatchObject({ ok: false });
      expect(await other.consume('shared', rule)).toMatchObject({ ok: false });
    } finally {
      await other.close();
    }
  });
});

const server = await privateRedisForTests();

describe.skipIf(!server)('Redis rate limiter while Redis is away', () => {
  const warnings: string[] = [];
  const log = { info() {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? '') };
  let limiter: RateLimiter;
  beforeAll(async () => {
    limiter = createRedisRateLimiter({ url: server!.url, log, prefix });
    await waitUntil(() => limiter.state === 'up', 5_000, 'the limiter to connect');
  });
  afterAll(async () => {
    await limiter?.close();
    await (server as RedisServer).stop();
  });

  test('fails open (allows, fast, and says so once), then limits again when Redis is back', async () => {
    const rule = { limit: 1, windowMs: 60_000 };
    expect((await limiter.consume('k', rule)).ok).toBe(true);
    expect((await limiter.consume('k', rule)).ok).toBe(false);

    await server!.stop();
    await waitUntil(() => limiter.state === 'down', 5_000, 'the limiter to notice');
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect(await limiter.consume('k', rule)).toEqual({ ok: true });
    expect(Date.now() - started, 'a down Redis must not hold requests').toBeLessThan(1_000);
    expect(warnings.filter((w) => w.includes('fail open'))).toHaveLength(1);

    await server!.start();
    await waitUntil(() => limiter.state === 'up', 10_000, 'the limiter to reconnect');
    // The restarted Redis is empty: a fresh window.
    expect((await limiter.consume('k', rule)).ok).toBe(true);
    expect((await limiter.consume('k', rule)).ok).toBe(false);
  });
});
