import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;

// PostgreSQL prints '2026-11-23 09:32:15.123+00'; JavaScript's Date wants 'T' and '+00:00'.
const toIso = (value: string) => {
  let iso = value.replace(' ', 'T');
  if (/[+-]\d\d$/.test(iso)) iso += ':00';
  return new Date(iso).toISOString();
};
const parsers: Record<number, (value: string) => unknown> = {
  [INT8_OID]: (value) => Number(value),
  [TIMESTAMPTZ_OID]: toIso,
  [TIMESTAMP_OID]: (value) => toIso(`${value}Z`),
};

/**
 * PGlite's PostgreSQL runs inside one WebAssembly memory, which grows and never shrinks:
 * whatever PostgreSQL touches once stays in the process's RSS. Its defaults are a server's
 * (`shared_buffers` 128MB, `maintenance_work_mem` 64MB); an embedded node keeps its working set
 * in the OS page cache instead. Measured on a migrated data directory (docs/production.md):
 * RSS after opening 286–313 MB with the defaults, 161–171 MB with these.
 */
const PGLITE_SETTINGS = ['shared_buffers=16MB', 'maintenance_work_mem=16MB'];

/**
 * A statement whose text begins with this comment is prepared once per connection (a named
 * statement) and re-used with new parameters: PostgreSQL parses and plans it once instead of
 * at every call. For hot statements whose text does not vary with their input (arrays, not
 * lists of values): one prepared statement per distinct text per connection. Run them on
 * {@link DbHandle.writeDb}: its sessions keep one generic plan per statement, made without
 * sequential scans. A plan made from the statistics of a new workspace's empty tables would
 * otherwise scan (or hash) the whole table at every call once it has grown, until the next
 * ANALYZE: measured in `pnpm bench --compare`, the send statement's cost grew with the number of
 * messages stored (1.3 ms of PostgreSQL CPU per send at 7,500 messages).
 * @example sql`${sql.raw(PREPARED)} select … where id = any(${ids}::text[])`
 */
export const PREPARED = '/* prepared */';

/** Statement names by text (`p1`, `p2`, …): the same text gets the same name on every connection. */
const preparedNames = new Map<string, string>();

/** `pg`'s client, preparing the statements marked {@link PREPARED} (Kysely passes text and values). */
class PreparingClient extends pg.Client {
  override query(config: unknown, values?: unknown, callback?: unknown): never {
    if (typeof config === 'string' && config.startsWith(PREPARED) && Array.isArray(values) && callback === undefined) {
      let name = preparedNames.get(config);
      if (name === undefined) {
        name = `p${preparedNames.size + 1}`;
        preparedNames.set(config, name);
      }
      return super.query({ name, text: config, values }) as never;
    }
    return (super.query as (...args: unknown[]) => never)(config, values, callback);
  }
}

export type DbDriver = 'pg' | 'pglite';

export interface DbHandle {
  db: Kysely<Database>;
  /**
   * The connections of the hot write statements (the group commit of sends). On PostgreSQL a
   * pool of its own whose sessions plan with `enable_seqscan = off` and a generic plan
   * (`plan_cache_mode = force_generic_plan`): a plan made while a new workspace's tables were
   * empty must still probe their indexes once they hold millions of rows (see {@link PREPARED}).
   * On PGlite, `db` itself. The first of {@link DbHandle.writeLanes}.
   */
  writeDb: Kysely<Database>;
  /**
   * The same sessions one by one (on PostgreSQL, each lane a pool of one connection; on PGlite,
   * `[db]`): the group commit keeps each workspace on one lane, so a workspace's statement is
   * parsed and planned, and its tables' catalog entries loaded, on one session per node instead
   * of on every session of the pool.
   */
  writeLanes: readonly Kysely<Database>[];
  driver: DbDriver;
  /** true when every query runs on one connection (PGlite): no real row locks across connections. */
  singleConnection: boolean;
  /** The pg pool's connections (for metrics); absent on PGlite, which has one. */
  poolStats?: (() => PoolStats) | undefined;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface PoolStats {
  /** Connections open, idle or busy. */
  total: number;
  idle: number;
  /** Queries waiting for a free connection: above zero for long, the pool is too small. */
  waiting: number;
}

export interface CreateDbOptions {
  /** postgres://… — when set, a real PostgreSQL pool is used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory (embedded default); `memory://` keeps it in memory. */
  dataDir?: string | undefined;
  /** Pool size for pg. */
  poolSize?: number | undefined;
  /** How many {@link DbHandle.writeLanes} for pg, one connection each (default 5: one group commit in flight per workspace at a time). */
  writePoolSize?: number | undefined;
  /** Errors of idle pooled connections (a server restart, say); the pool replaces them. */
  onIdleError?: ((error: Error) => void) | undefined;
}

/**
 * Opens the database: PostgreSQL through `pg` when `databaseUrl` is given, otherwise an
 * embedded PGlite in `dataDir`. Both return timestamps as ISO strings and int8 as numbers.
 */
export async function createDb(options: CreateDbOptions): Promise<DbHandle> {
  if (options.databaseUrl) {
    const connect = (max: number, settings?: string) => {
      const pool = new pg.Pool({
        connectionString: options.databaseUrl,
        max,
        Client: PreparingClient,
        types: {
          getTypeParser: (oid: number, format?: 'text' | 'binary') => parsers[oid] ?? pg.types.getTypeParser(oid, format),
        },
        ...(settings ? { options: settings } : {}),
      });
      // Without a listener, an idle connection dropped by the server would crash the process.
      pool.on('error', (error) => options.onIdleError?.(error));
      return { pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
    };
    const main = connect(options.poolSize ?? 10);
    // The prepared statements (PREPARED) are planned once, with index probes only: their plans
    // do not depend on their parameters' values (arrays of one batch's sends), and planning
    // was a third of their cost.
    const lanes = Array.from({ length: Math.max(1, options.writePoolSize ?? 5) }, () =>
      connect(1, '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off'),
    );
    const pools = [main, ...lanes];
    const close = async () => {
      await Promise.all(pools.map((p) => p.db.destroy()));
    };
    const sum = (count: (pool: pg.Pool) => number) => pools.reduce((n, p) => n + count(p.pool), 0);
    const poolStats = () => ({ total: sum((p) => p.totalCount), idle: sum((p) => p.idleCount), waiting: sum((p) => p.waitingCount) });
    const writeLanes = lanes.map((l) => l.db);
    return { db: main.db, writeDb: writeLanes[0]!, writeLanes, driver: 'pg', singleConnection: false, poolStats, close, [Symbol.asyncDispose]: close };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const settings = PGLITE_SETTINGS.flatMap((s) => ['-c', s]);
  const pglite = await PGlite.create(options.dataDir ?? 'memory://', {
    parsers,
    startParams: [...PGlite.defaultStartParams, ...settings],
    initDbStartParams: settings,
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  const close = () => db.destroy();
  return { db, writeDb: db, writeLanes: [db], driver: 'pglite', singleConnection: true, close, [Symbol.asyncDispose]: close };
}
