import { isIPv6 } from 'node:net';
import type { RateLimiter, RateLimitRule } from '@parley/cluster';
import { AppError } from './errors.ts';

/** The limits the API enforces (ApiConfig.rateLimits). Each is a fixed window per key. */
export interface RateLimits {
  /** `message.send` per user. A resend of an already stored clientId is answered first and never counted. */
  messagesPerUser: RateLimitRule;
  /** Every procedure call per client address (IPv6: per /64 network), before any other work. */
  requestsPerIp: RateLimitRule;
  /**
   * Downloads of files, thumbnails and avatars per client address: a room full of pictures asks
   * for one thumbnail each at once, so they have a budget of their own instead of eating the
   * address's procedure calls. Uploads count as requests.
   */
  downloadsPerIp: RateLimitRule;
  /**
   * Sign-in attempts per account and client address. Every attempt is counted before the
   * password is checked (so parallel guesses cannot slip past), and a successful sign-in
   * clears the count: in effect, consecutive failures. Keyed with the address so a stranger
   * cannot lock someone out of their account from elsewhere.
   */
  loginPerAccountAndIp: RateLimitRule;
  /** Sign-in attempts per client address, whatever the account (credential stuffing). Never cleared by a success. */
  loginPerIp: RateLimitRule;
  /**
   * `presence.typing` per user, over all rooms. Clients signal at most every 2 s per room (and
   * the server publishes no more often), so this only stops a client that ignores that.
   */
  typingPerUser: RateLimitRule;
  /**
   * Changes per user besides sends: edits, deletes, reactions, pins, room and DM changes,
   * announcements (`commitChange`). Generous for a person clicking, a wall for a script.
   */
  changesPerUser: RateLimitRule;
}

export const defaultRateLimits: RateLimits = {
  messagesPerUser: { limit: 10, windowMs: 10_000 },
  requestsPerIp: { limit: 100, windowMs: 60_000 },
  downloadsPerIp: { limit: 1200, windowMs: 60_000 },
  loginPerAccountAndIp: { limit: 10, windowMs: 15 * 60_000 },
  loginPerIp: { limit: 100, windowMs: 15 * 60_000 },
  typingPerUser: { limit: 20, windowMs: 10_000 },
  changesPerUser: { limit: 30, windowMs: 10_000 },
};

/**
 * The per-address limit of a call, left by the middleware (`trpc.ts`, procedures with
 * `meta.countsIpLimit`) for the procedure to count in one round trip with its own limit. Only
 * when the session and the caller's role in the workspace are cached, so no database work
 * happens before it is counted; if the call fails before the procedure got to it, the
 * middleware counts it afterwards and, over the limit, answers with the refusal (every call
 * counts, and a flood of failing calls is refused like any other).
 */
export interface DeferredIpLimit {
  key: string;
  rule: RateLimitRule;
  refusal: string;
  /** Set to false by whoever counted it. */
  pending: boolean;
}

/**
 * Counts one call against `key`; when over the limit throws TOO_MANY_REQUESTS with a message
 * a person can act on ("… Try again in 4 seconds.") and `retryAfterMs` for programs (sent as
 * `error.data.retryAfterMs`, and as a Retry-After header over HTTP).
 */
export async function enforceRateLimit(ctx: { limiter: RateLimiter }, key: string, rule: RateLimitRule, refusal: string): Promise<void> {
  const result = await ctx.limiter.consume(key, rule);
  if (result.ok) return;
  throw rateLimitRefusal(result.retryAfterMs, refusal);
}

/** The TOO_MANY_REQUESTS error of {@link enforceRateLimit}, for a limit counted some other way. */
export function rateLimitRefusal(retryAfterMs: number, refusal: string): AppError {
  return new AppError('TOO_MANY_REQUESTS', `${refusal} Try again in ${describeDuration(retryAfterMs)}.`, { retryAfterMs });
}

/** "at most 10 in 10 seconds" */
export function describeRule(rule: RateLimitRule): string {
  return `at most ${rule.limit} in ${describeDuration(rule.windowMs)}`;
}

/** A duration for a person, rounded up: 1 second, 45 seconds, 2 minutes, 3 hours. */
export function describeDuration(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return plural(minutes, 'minute');
  return plural(Math.ceil(ms / 3_600_000), 'hour');
}

/**
 * The per-address key: an IPv4 address as is (also when written IPv4-mapped, `::ffff:a.b.c.d`),
 * an IPv6 address by its /64 network, since one subscriber usually holds a whole /64.
 */
export function ipKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const address = ip.split('%')[0]!;
  if (!isIPv6(address)) return ip;
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head, tail] = address.split('::') as [string, string | undefined];
  const full =
    tail === undefined ? groups(head) : [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
