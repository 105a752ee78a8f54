import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createApiDeps, deleteExpiredSessions } from '@parley/api';
import { createMemoryBus } from '@parley/cluster';
import { createDb, migrateToLatest, upgradeAllPartitions } from '@parley/db';
import { loadEnv } from './env.ts';
import { createParleyServer } from './server.ts';

const SESSION_SWEEP_MS = 10 * 60_000;

async function main() {
  const env = loadEnv();
  const log = pino({ level: env.LOG_LEVEL });
  const nodeId = env.SERVER_ID ?? env.HOSTNAME ?? hostname();

  let dataDir: string | undefined;
  if (!env.DATABASE_URL) {
    dataDir = resolve(env.DATA_DIR ?? fileURLToPath(new URL('../../../.data', import.meta.url)), 'pglite');
    mkdirSync(dataDir, { recursive: true });
  }
  const database = await createDb({ databaseUrl: env.DATABASE_URL, dataDir });
  const applied = await migrateToLatest(database.db);
  const upgraded = await upgradeAllPartitions(database.db);
  log.info({ driver: database.driver, dataDir, applied, upgradedPartitions: upgraded }, 'database ready');

  const bus = createMemoryBus();
  const deps = createApiDeps({
    db: database.db,
    dbDriver: database.driver,
    bus,
    log,
    config: {
      sessionIdleMs: env.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: env.SESSION_ABSOLUTE_DAYS * 24 * 60 * 60_000,
      eventPollMs: env.EVENT_POLL_MS,
    },
  });

  const webDist = env.WEB_DIST ?? join(fileURLToPath(new URL('../../web/dist', import.meta.url)));
  const server = createParleyServer({
    deps,
    nodeId,
    origins: { allowed: env.ALLOWED_ORIGINS, trustProxy: env.TRUST_PROXY },
    cookieSecure: env.COOKIE_SECURE,
    webDist,
  });
  const url = await server.listen(env.PORT, env.HOST);
  log.info({ url, node: nodeId }, `Parley is running on ${url}`);

  const sweep = setInterval(() => {
    deleteExpiredSessions(database.db).catch((err: unknown) => log.warn({ err }, 'session sweep failed'));
  }, SESSION_SWEEP_MS);
  sweep.unref();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(sweep);
    await server.close();
    deps.feeds.close();
    await bus.close();
    await database.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
