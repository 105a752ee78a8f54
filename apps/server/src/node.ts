import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import pino from 'pino';
import { createApiDeps, deleteExpiredSessions, type ApiConfigOverrides, type ApiDeps, type Logger } from '@parley/api';
import {
  createMemoryBus,
  createMemoryPresence,
  createMemoryRateLimiter,
  createRedisBus,
  createRedisPresence,
  createRedisRateLimiter,
  type Bus,
  type RateLimiter,
} from '@parley/cluster';
import { createDb, migrateToLatest, upgradeAllPartitions, type DbHandle } from '@parley/db';
import { createParleyServer, type ParleyServer } from './server.ts';

const SESSION_SWEEP_MS = 10 * 60_000;
/** How long startup waits for Redis before serving without it (degraded: polling, limits fail open). */
const REDIS_STARTUP_WAIT_MS = 3_000;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeOptions {
  nodeId: string;
  port: number;
  host?: string | undefined;
  /** PostgreSQL; without it an embedded PGlite database lives in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  allowedOrigins?: readonly string[] | undefined;
  trustProxy?: boolean | undefined;
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
}

export interface ParleyNode {
  url: string;
  port: number;
  server: ParleyServer;
  deps: ApiDeps;
  database: DbHandle;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * One Parley node: database (migrated, partitions upgraded), bus, API, HTTP+WS server.
 * The composition root shared by `main.ts` and the end-to-end tests.
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
  const deps = createApiDeps({ db: database.db, dbDriver: database.driver, bus, limiter, presence, log, config: opts.api });
  const server = createParleyServer({
    deps,
    nodeId: opts.nodeId,
    origins: { allowed: opts.allowedOrigins ?? [], trustProxy: opts.trustProxy ?? false },
    cookieSecure: opts.cookieSecure ?? 'auto',
    webDist: opts.webDist ?? resolve(REPO_ROOT, 'apps/web/dist'),
  });
  const url = await server.listen(opts.port, opts.host);
  const port = Number(new URL(url).port);

  const sweep = setInterval(() => {
    deleteExpiredSessions(database.db).catch((err: unknown) => log.warn({ err }, 'session sweep failed'));
  }, SESSION_SWEEP_MS);
  sweep.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sweep);
      await server.close();
      deps.feeds.close();
      // Before the bus: its last announcements (who left with this node) go out on it.
      await presence.close();
      if (!opts.bus) await bus.close();
      if (!opts.limiter) await limiter.close();
      await database.close();
    })();
    return closing;
  };
  return { url, port, server, deps, database, close, [Symbol.asyncDispose]: close };
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
