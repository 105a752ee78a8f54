import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import pino from 'pino';
import { createApiDeps, deleteExpiredSessions, type ApiConfig, type ApiDeps, type Logger } from '@parley/api';
import { createMemoryBus, type Bus } from '@parley/cluster';
import { createDb, migrateToLatest, upgradeAllPartitions, type DbHandle } from '@parley/db';
import { createParleyServer, type ParleyServer } from './server.ts';

const SESSION_SWEEP_MS = 10 * 60_000;
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
  api?: Partial<ApiConfig> | undefined;
  bus?: Bus | undefined;
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

  const bus = opts.bus ?? createMemoryBus();
  const deps = createApiDeps({ db: database.db, dbDriver: database.driver, bus, log, config: opts.api });
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
      if (!opts.bus) await bus.close();
      await database.close();
    })();
    return closing;
  };
  return { url, port, server, deps, database, close, [Symbol.asyncDispose]: close };
}
