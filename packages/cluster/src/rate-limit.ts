import type { Redis } from 'ioredis';
import type { ClusterLogger } from './bus.ts';
import { closeRedis, openRedis, outageLog } from './redis-connection.ts';

/** At most `limit` calls per `windowMs` for one key. */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export type RateLimitResult = { ok: true } | { ok: false; retryAfterMs: number };

/** One call of {@link RateLimiter.consumeMany}: a key and its rule. */
export interface RateLimitCall {
  key: string;
  rule: RateLimitRule;
}

/** `index`: which of the calls refused (the first one that did). */
export type RateLimitManyResult = { ok: true } | { ok: false; index: number; retryAfterMs: number };

/**
 * Fixed-window counters, one per key. A key's window starts at its first call and lasts
 * `rule.windowMs`; the first `rule.limit` calls in it are allowed, later ones are refused
 * with the time left in the window. Refused calls do not extend the window, so a client that
 * keeps trying is let in again exactly when told. (At a window's edge up to 2·limit calls can
 * pass within one windowMs: the price of one counter per key and one atomic step.)
 *
 * Both implementations behave the same (one shared test table). The Redis one fails open:
 * while Redis is unreachable it allows everything and logs once per outage.
 */
export interface RateLimiter {
  /** `memory`: this process only; `up`/`down`: the Redis connection (down: failing open). */
  readonly state: 'memory' | 'up' | 'down';
  /**
   * Counts one call against `key` and says whether it is allowed. Never rejects because of an
   * outage; an invalid rule (limit or windowMs not a positive integer) rejects with RangeError.
   */
  consume(key: string, rule: RateLimitRule): Promise<RateLimitResult>;
  /**
   * Several limits of one request in one step (one Redis round trip): counts one call against
   * each key in order, as `consume` would, and stops at the first that refuses (the keys after
   * it are not counted). Same errors as `consume`.
   */
  consumeMany(calls: readonly RateLimitCall[]): Promise<RateLimitManyResult>;
  /**
   * Gives back one allowed call counted against `key` in its current window: a call counted
   * up front that turned out not to count (a resend of a message already stored). Nothing
   * happens when the window has ended meanwhile. Never rejects because of an outage.
   */
  refund(key: string): Promise<void>;
  /** Forgets `key`'s window (e.g. the failed-login counter after a successful login). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

const ALLOWED = { ok: true } as const;

function single(result: RateLimitManyResult): RateLimitResult {
  return result.ok ? ALLOWED : { ok: false, retryAfterMs: result.retryAfterMs };
}

function checkRule(rule: RateLimitRule): void {
  if (!Number.isInteger(rule.limit) || rule.limit < 1 || !Number.isInteger(rule.windowMs) || rule.windowMs < 1) {
    throw new RangeError(`invalid rate limit rule ${JSON.stringify(rule)}: limit and windowMs are positive integers`);
  }
}

/** Expired windows are swept at most this often, during a call (no timer to close). */
const SWEEP_EVERY_MS = 60_000;

/**
 * The single-node limiter: counters in this process's memory.
 * @param opts.now the clock (tests pass a fake one; vitest's fake timers also drive `Date.now`).
 */
export function createMemoryRateLimiter(opts: { now?: () => number } = {}): RateLimiter {
  const now = opts.now ?? (() => Date.now());
  const windows = new Map<string, { count: number; endsAt: number }>();
  let sweepAt = 0;
  const sweep = (t: number) => {
    if (t < sweepAt) return;
    sweepAt = t + SWEEP_EVERY_MS;
    for (const [key, w] of windows) if (w.endsAt <= t) windows.delete(key);
  };
  const consumeMany = async (calls: readonly RateLimitCall[]): Promise<RateLimitManyResult> => {
    for (const { rule } of calls) checkRule(rule);
    const t = now();
    sweep(t);
    for (const [index, { key, rule }] of calls.entries()) {
      let w = windows.get(key);
      if (!w || w.endsAt <= t) windows.set(key, (w = { count: 0, endsAt: t + rule.windowMs }));
      w.count++;
      if (w.count > rule.limit) return { ok: false, index, retryAfterMs: Math.max(1, w.endsAt - t) };
    }
    return ALLOWED;
  };
  return {
    state: 'memory',
    consume: async (key, rule) => single(await consumeMany([{ key, rule }])),
    consumeMany,
    async refund(key) {
      const w = windows.get(key);
      if (w && w.endsAt > now() && w.count > 0) w.count--;
    },
    async reset(key) {
      windows.delete(key);
    },
    async close() {
      windows.clear();
    },
  };
}

/**
 * For each key in order: INCR and, for a new window, PEXPIRE (ARGV: window, limit per key), in
 * one atomic step; stops at the first key over its limit and returns its (1-based) index and
 * the window's remaining milliseconds, or {0, 0} when all are allowed. The TTL is also
 * repaired if a key ever lost it. (All keys in one script: one Redis server, not a Cluster.)
 */
const CONSUME_LUA = `
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i - 1])
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if count == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, window)
    ttl = window
  end
  if count > tonumber(ARGV[2 * i]) then return {i, ttl} end
end
return {0, 0}`;

/** DECR keeps the key's TTL; a key that expired meanwhile is left alone (no window to refund). */
const REFUND_LUA = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0`;

/** A limiter check that Redis has not answered by then is allowed (fail open). */
const COMMAND_TIMEOUT_MS = 500;

type ScriptedRedis = Redis & {
  parleyRateLimit(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<[number, number]>;
  parleyRateLimitRefund(key: string): Promise<number>;
};

export interface RedisRateLimiterOptions {
  url: string;
  log: ClusterLogger;
  /** Prepended to every key (`<prefix>rl:<key>`), so deployments (or test files) can share one Redis. */
  prefix?: string | undefined;
  name?: string | undefined;
}

/**
 * The cluster-wide limiter: one counter per key in Redis, shared by every node. Fails open:
 * when Redis is unreachable or slower than 500 ms, the call is allowed and the outage logged
 * once (refusing everyone because Redis is down would take the whole product down with it).
 */
export function createRedisRateLimiter(opts: RedisRateLimiterOptions): RateLimiter {
  const prefix = `${opts.prefix ?? 'parley:'}rl:`;
  const redis = openRedis(opts.url, opts.name ?? 'parley-limiter', { commandTimeout: COMMAND_TIMEOUT_MS, enableAutoPipelining: true }) as ScriptedRedis;
  // The number of keys varies: it is the first argument of each call.
  redis.defineCommand('parleyRateLimit', { lua: CONSUME_LUA });
  redis.defineCommand('parleyRateLimitRefund', { numberOfKeys: 1, lua: REFUND_LUA });
  const outage = outageLog(opts.log, 'rate-limiter');
  const failOpen = (err: unknown) => {
    outage.problem(err, 'rate limiter cannot reach Redis: allowing requests (fail open) until it is back');
    return ALLOWED;
  };
  redis.on('error', (err: unknown) => failOpen(err));
  redis.on('ready', () => {
    outage.recovered();
    opts.log.info({ component: 'rate-limiter' }, 'rate limiter connected to Redis');
  });
  let closed = false;
  const consumeMany = async (calls: readonly RateLimitCall[]): Promise<RateLimitManyResult> => {
    for (const { rule } of calls) checkRule(rule);
    if (closed || calls.length === 0) return ALLOWED;
    try {
      const [refused, ttl] = await redis.parleyRateLimit(
        calls.length,
        ...calls.map((c) => prefix + c.key),
        ...calls.flatMap((c) => [c.rule.windowMs, c.rule.limit]),
      );
      return refused === 0 ? ALLOWED : { ok: false, index: refused - 1, retryAfterMs: Math.max(1, ttl) };
    } catch (err) {
      return failOpen(err);
    }
  };
  return {
    get state() {
      return !closed && redis.status === 'ready' ? 'up' : 'down';
    },
    consume: async (key, rule) => single(await consumeMany([{ key, rule }])),
    consumeMany,
    async refund(key) {
      if (closed) return;
      try {
        await redis.parleyRateLimitRefund(prefix + key);
      } catch (err) {
        failOpen(err);
      }
    },
    async reset(key) {
      if (closed) return;
      try {
        await redis.del(prefix + key);
      } catch (err) {
        failOpen(err);
      }
    },
    async close() {
      closed = true;
      await closeRedis(redis);
    },
  };
}
