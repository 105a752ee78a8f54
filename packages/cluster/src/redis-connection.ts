import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterLogger } from './bus.ts';

/** Reconnect backoff cap: a node notices a returning Redis within about a second. */
const RECONNECT_MAX_DELAY_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;

/**
 * A Redis connection that fails fast instead of queueing: with the offline queue off, a
 * command issued while Redis is unreachable rejects at once, so callers can fall back
 * (poll, fail open) instead of holding a request until Redis returns. It reconnects forever.
 * The command connections (limiter, bus publisher, presence) pass `enableAutoPipelining`: the
 * commands of one event-loop turn (a burst of sends' limits and publishes) leave in one write.
 */
export function openRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
    ...extra,
  });
}

/** Quits politely when connected, else just drops the socket (QUIT would wait for Redis). */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * Logs a connection problem once per outage rather than on every reconnect attempt (one a
 * second while Redis is down); `recovered()` re-arms it.
 */
export function outageLog(log: ClusterLogger, component: string) {
  let logged = false;
  return {
    problem(err: unknown, msg: string) {
      if (logged) return;
      logged = true;
      log.warn({ err, component }, msg);
    },
    recovered() {
      logged = false;
    },
  };
}
