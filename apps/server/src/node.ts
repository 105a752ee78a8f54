import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import pino from 'pino';
import { createApiDeps, grantConfiguredAdmins, openAdminSetup, type ApiConfigOverrides, type ApiDeps, type Logger } from '@parley/api';
import {
  createJobRunner,
  createMemoryBus,
  createMemoryPresence,
  createMemoryRateLimiter,
  createPresenceSweepJob,
  createRedisBus,
  createRedisPresence,
  createNodeRegistry,
  createRedisRateLimiter,
  NODE_STALE_MS,
  type BackgroundJob,
  type Bus,
  type JobRunner,
  type NodeRegistry,
  type RateLimiter,
} from '@parley/cluster';
import { createDb, migrateToLatest, upgradeAllPartitions, type DbHandle } from '@parley/db';
import { nodePruneJob, noteLockSweepJob, sessionSweepJob } from './background-jobs.ts';
import { addressMatcher } from './http-util.ts';
import { createServerMetrics, metricsAccess } from './metrics.ts';
import { createParleyServer, redisState, type ParleyServer } from './server.ts';
import type { WsLimits } from './ws-guard.ts';

/** How long startup waits for Redis before serving without it (degraded: polling, limits fail open). */
const REDIS_STARTUP_WAIT_MS = 3_000;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** Default METRICS_ALLOW: loopback and private networks (a Prometheus beside the nodes). */
const METRICS_ALLOW_DEFAULT = ['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

export interface NodeOptions {
  nodeId: string;
  port: number;
  host?: string | undefined;
  /** PostgreSQL; without it an embedded PGlite database lives in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  allowedOrigins?: readonly string[] | undefined;
  /** Proxies whose X-Forwarded-* headers are believed: addresses and CIDR ranges (TRUST_PROXY). Default: none. */
  trustProxy?: readonly string[] | undefined;
  cookieSecure?: 'auto' | 'true' | 'false' | undefined;
  webDist?: string | undefined;
  api?: ApiConfigOverrides | undefined;
  /** Redis: the bus and the rate limiter go through it (unless `bus`/`limiter` are given). */
  redisUrl?: string | undefined;
  /** Prefix of every Redis key and channel (default `parley:`): several deployments can share one Redis. */
  redisPrefix?: string | undefined;
  bus?: Bus | undefined;
  limiter?: RateLimiter | undefined;
  /** How long a user stays `reconnecting` after their last connection ends (default 60 s). */
  presenceGraceMs?: number | undefined;
  log?: Logger | undefined;
  /** Background jobs besides the built-in ones (tests). */
  jobs?: readonly BackgroundJob[] | undefined;
  /** Who may read `/metrics` (addresses or CIDR ranges; default loopback and private networks). */
  metricsAllow?: readonly string[] | undefined;
  /** What one WebSocket connection may cost (ws-guard.ts defaultWsLimits where unset). */
  wsLimits?: Partial<WsLimits> | undefined;
}

export interface ParleyNode {
  url: string;
  port: number;
  server: ParleyServer;
  deps: ApiDeps;
  database: DbHandle;
  registry: NodeRegistry;
  runner: JobRunner;
  /** Drains and stops (idempotent): see {@link startNode}. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * One Parley node: database (migrated, partitions upgraded), bus, API, HTTP+WS server, its row
 * in the node registry and the background jobs it runs under leases. The composition root
 * shared by `main.ts` and the end-to-end tests.
 *
 * `close()` drains: `/ready` answers 503 and WebSocket upgrades are refused at once, the row
 * says `draining`; then, together, WebSocket clients are told to reconnect elsewhere (1001)
 * while in-flight requests finish (at most 5 s), and the jobs are aborted and their leases
 * released (another node takes them on its next scan); the row says `inactive`; last, the
 * bus, limiter, presence and database close. Every step is bounded and a failing one is
 * logged, not fatal: a node that cannot reach its database still exits.
 */
export async function startNode(opts: NodeOptions): Promise<ParleyNode> {
  const log = opts.log ?? pino({ level: 'info' });
  let dataDir: string | undefined;
  if (!opts.databaseUrl && opts.dataDir === 'memory://') {
    dataDir = 'memory://';
  } else if (!opts.databaseUrl) {
    dataDir = resolve(opts.dataDir ?? resolve(REPO_ROOT, '.data'), 'pglite');
    mkdirSync(dataDir, { recursive: true });
  }
  const database = await createDb({
    databaseUrl: opts.databaseUrl,
    dataDir,
    onIdleError: (err) => log.warn({ err }, 'idle database connection lost'),
  });
  try {
    const applied = await migrateToLatest(database.db);
    const upgraded = await upgradeAllPartitions(database.db);
    log.info({ driver: database.driver, dataDir, applied, upgradedPartitions: upgraded }, 'database ready');
    await grantConfiguredAdmins({ db: database.db, log }, opts.api?.adminUsernames ?? []);
  } catch (error) {
    await database.close();
    throw error;
  }

  const redis = opts.redisUrl ? { url: opts.redisUrl, log, prefix: opts.redisPrefix, name: redisClientName(opts.nodeId) } : undefined;
  const bus = opts.bus ?? (redis ? createRedisBus(redis) : createMemoryBus());
  const limiter = opts.limiter ?? (redis ? createRedisRateLimiter(redis) : createMemoryRateLimiter());
  if (redis && !(await becomesUp(bus, REDIS_STARTUP_WAIT_MS))) {
    log.warn({}, 'Redis is not reachable yet: serving degraded (event log polling, rate limits fail open) until it is');
  }
  const presence = redis
    ? createRedisPresence({ ...redis, name: `${redis.name}:presence`, bus, nodeId: opts.nodeId, graceMs: opts.presenceGraceMs })
    : createMemoryPresence({ bus, graceMs: opts.presenceGraceMs });
  // Assigned below; the metrics and the registry read them only once the node runs.
  let server: ParleyServer | undefined;
  let runner: JobRunner | undefined;
  let registry: NodeRegistry | undefined;
  const metrics = createServerMetrics({
    nodeId: opts.nodeId,
    version: VERSION,
    connections: () => server?.connections ?? 0,
    leasesHeld: () => runner?.held.length ?? 0,
    draining: () => server?.draining ?? false,
    poolStats: database.poolStats,
    redis: () => redisState([bus, limiter, presence]),
  });
  const deps = createApiDeps({
    db: database.db,
    writeDb: database.writeLanes,
    dbDriver: database.driver,
    bus,
    limiter,
    presence,
    log,
    config: { nodeStaleMs: NODE_STALE_MS, ...opts.api },
    metrics: metrics.api,
  });

  server = createParleyServer({
    deps,
    nodeId: opts.nodeId,
    origins: { allowed: opts.allowedOrigins ?? [], isTrustedProxy: addressMatcher(opts.trustProxy ?? []) },
    cookieSecure: opts.cookieSecure ?? 'auto',
    webDist: opts.webDist ?? resolve(REPO_ROOT, 'apps/web/dist'),
    cluster: { status: () => registry?.status ?? 'unregistered', leases: () => runner?.held ?? [] },
    metrics,
    metricsAllowed: metricsAccess(opts.metricsAllow ?? METRICS_ALLOW_DEFAULT),
    wsLimits: opts.wsLimits,
  });
  const url = await server.listen(opts.port, opts.host);
  const setupToken = await openAdminSetup({ db: database.db });
  if (setupToken) {
    log.warn(
      {},
      `No Parley administrator yet. Open ${url}/?setup=${setupToken} and create the administrator's account (the token works once, for 24 hours), or name one in ADMIN_USERNAMES.`,
    );
  }
  const port = Number(new URL(url).port);

  registry = createNodeRegistry({
    db: database.db,
    nodeId: opts.nodeId,
    log,
    info: { pid: process.pid, version: VERSION, url },
    load: () => ({ connections: server.connections, leasesHeld: runner?.held.length ?? 0 }),
  });
  // Singleton work, each (job, scope) on exactly one healthy node under a lease. Add a job here.
  const jobs: BackgroundJob[] = [
    sessionSweepJob(database.db, log),
    nodePruneJob(database.db, log, opts.nodeId),
    createPresenceSweepJob(presence),
    noteLockSweepJob(deps),
    ...(opts.jobs ?? []),
  ];
  runner = createJobRunner({ db: database.db, nodeId: opts.nodeId, log, jobs, accepting: () => registry.status === 'active' });

  const step = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      log.warn({ err }, `shutdown: ${what} failed`);
    }
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      server.drain();
      await step('marking the node draining', () => registry.drain());
      await Promise.all([step('stopping background jobs', () => runner.stop()), step('closing the server', () => server.close())]);
      await step('marking the node inactive', () => registry.stop());
      deps.feeds.close();
      deps.access.close();
      deps.mediaStorage.close();
      // Before the bus: its last announcements (who left with this node) go out on it.
      await presence.close();
      if (!opts.bus) await bus.close();
      if (!opts.limiter) await limiter.close();
      await database.close();
    })();
    return closing;
  };

  try {
    await registry.start();
  } catch (error) {
    await close();
    throw error;
  }
  runner.start();
  log.info({ node: opts.nodeId, jobs: jobs.map((j) => `${j.name} (${j.scope})`) }, 'registered; background jobs run under leases');
  return { url, port, server, deps, database, registry, runner, close, [Symbol.asyncDispose]: close };
}

/** CLIENT SETNAME accepts no spaces; a node id is shown as `parley-<id>`. */
function redisClientName(nodeId: string): string {
  return `parley-${nodeId.replace(/[^\w.-]/g, '_')}`;
}

function becomesUp(bus: Bus, timeoutMs: number): Promise<boolean> {
  if (bus.state !== 'down') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, timeoutMs);
    const off = bus.onStateChange((state) => {
      if (state !== 'up') return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}
