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
  type RateLimitCall,
  type RateLimitManyResult,
  type RateLimitResult,
  type RateLimitRule,
  type RedisRateLimiterOptions,
} from './rate-limit.ts';

/**
 * Work that must run on exactly one healthy node at a time, per partition or per cluster.
 * @example
 * ```ts
 * const sessionSweep: BackgroundJob = {
 *   name: 'session-sweep', scope: 'global', intervalMs: 10 * 60_000,
 *   run: async (_scope, signal) => { if (!signal.aborted) await deleteExpiredSessions(db); },
 * };
 * ```
 */
export type { BackgroundJob } from './jobs.ts';

/**
 * Node ids: `SERVER_ID`, else a usable `HOSTNAME`, else `node-<hex>`; 3–128 characters of
 * `A-Za-z0-9_.-`, no `..` or `//`, not admin/root/system/null.
 * @example
 * ```ts
 * const problem = nodeIdProblem(env.SERVER_ID); // null, or why it is refused
 * const { id, source } = chooseNodeId({ serverId: env.SERVER_ID, hostname: env.HOSTNAME });
 * ```
 */
export { chooseNodeId, generateNodeId, isNodeId, nodeIdProblem, type NodeIdSource } from './node-id.ts';

/**
 * This node's row in `nodes`: registered `active`, heartbeating its load every 5 s, then
 * `draining` and `inactive` on shutdown; each transition audited.
 * @example
 * ```ts
 * const registry = createNodeRegistry({ db, nodeId, log, load: () => ({ connections, leasesHeld: runner.held.length }) });
 * await registry.start();
 * // A global job elsewhere forgets nodes silent for a week that hold no lease:
 * await pruneNodes(db, 7 * 24 * 3_600_000, nodeId);
 * ```
 */
export { createNodeRegistry, pruneNodes, HEARTBEAT_MS, type NodeInfo, type NodeLoad, type NodeRegistry, type NodeRegistryOptions } from './node-registry.ts';

/**
 * Runs background jobs under leases: scans every 2 s, takes free (job, scope) pairs it is the
 * least loaded healthy node for, renews every 3 s (TTL 10 s), aborts a job whose lease is
 * lost, releases everything on `stop()`.
 * @example
 * ```ts
 * const runner = createJobRunner({ db, nodeId, log, jobs, accepting: () => registry.status === 'active' });
 * runner.start();
 * await runner.stop(); // aborts the jobs and releases their leases, audited
 * ```
 */
export { createJobRunner, LEASE_SCAN_MS, type JobRunner, type JobRunnerOptions, type RunningLease } from './job-runner.ts';

/**
 * The lease SQL (atomic upsert with a fencing generation) and its timing constants.
 * @example
 * ```ts
 * const lease = await acquireLease(db, { job: 'session-sweep', scope: GLOBAL_SCOPE, nodeId });
 * if (lease) await releaseLeases(db, nodeId, [lease], 'stopping');
 * ```
 */
export {
  acquireLease,
  GLOBAL_SCOPE,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  NODE_STALE_MS,
  releaseLeases,
  renewLeases,
  type AcquiredLease,
  type HeldLease,
  type LeaseKey,
} from './leases.ts';

/**
 * Appends to `audit_log` (time from the database clock).
 * @example
 * ```ts
 * await writeAudit(db, { actor: nodeId, action: 'node.draining', subject: nodeId });
 * ```
 */
export { leaseSubject, writeAudit, type AuditEntry, type ClusterAuditAction } from './audit.ts';

/**
 * Presence and typing per partition: `online` while a user holds a connection on any node,
 * `reconnecting` for the grace period after their last one ends, then `offline` with
 * `lastSeenAt`; typing that expires. In memory (one node) or in Redis (every node, TTLs,
 * fails soft). Signals travel on the bus; the `presence-sweep` job announces what the clock
 * alone changes.
 * @example
 * ```ts
 * const presence = createMemoryPresence({ bus, graceMs: 60_000 });
 * const release = presence.connect('acme', userId); // while a subscription is open
 * const off = presence.watch('acme', (signal) => console.log(signal.type, signal.userId));
 * const { users, typing } = await presence.snapshot('acme');
 * release();
 * ```
 */
export {
  createMemoryPresence,
  createPresenceSweepJob,
  derivePresence,
  PRESENCE_GRACE_MS,
  PRESENCE_SWEEP_INTERVAL_MS,
  TYPING_THROTTLE_MS,
  TYPING_TTL_MS,
  type MemoryPresenceOptions,
  type Presence,
  type PresenceSignal,
  type PresenceSnapshot,
  type PresenceState,
  type PresenceStatus,
  type TypingEntry,
  type UserPresence,
} from './presence.ts';

/**
 * Presence across nodes in Redis: each node refreshes its own connections with a TTL (a
 * killed node's expire by themselves), scripts on Redis's clock, `state: 'down'` and nothing
 * thrown while Redis is away.
 * @example
 * ```ts
 * const presence = createRedisPresence({ url, log, bus, nodeId: 'node-1', prefix: 'parley:' });
 * await presence.close();
 * ```
 */
export { createRedisPresence, CONNECTION_TTL_MS, type RedisPresenceOptions } from './redis-presence.ts';
