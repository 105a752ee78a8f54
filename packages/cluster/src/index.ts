/**
 * @parley/cluster — the infrastructure interfaces `packages/api` receives through its
 * context (`Bus`, `RateLimiter`), each with an in-memory implementation (one node, no
 * services) and a Redis one (a cluster). `packages/api` imports only the types.
 *
 * @example
 * ```ts
 * const bus = createMemoryBus();
 * const off = bus.subscribe('events:acme', (e) => console.log(e));
 * await bus.publish('events:acme', { id: 1 });
 * off();
 * ```
 */
export { createMemoryBus, type Bus, type BusState, type ClusterLogger, type Unsubscribe } from './bus.ts';

/**
 * The Redis bus: pub/sub over two connections, `state` follows them, `publish` never throws
 * while Redis is down (it logs and drops; nodes poll the event log), channels are subscribed
 * again after a reconnect.
 * @example
 * ```ts
 * const bus = createRedisBus({ url: 'redis://127.0.0.1:6379', log });
 * bus.onStateChange((state) => log.info({ state }, 'bus'));
 * await bus.close();
 * ```
 */
export { createRedisBus, type RedisBusOptions } from './redis-bus.ts';

/**
 * Fixed-window rate limits, in memory (one node) or in Redis (shared by every node, fails open).
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter();
 * const r = await limiter.consume(`msg:${userId}`, { limit: 10, windowMs: 10_000 });
 * if (!r.ok) console.log(`retry in ${r.retryAfterMs} ms`);
 * ```
 */
export {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
  type RateLimitResult,
  type RateLimitRule,
  type RedisRateLimiterOptions,
} from './rate-limit.ts';
