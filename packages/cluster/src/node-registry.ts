import { sql, type Kysely } from 'kysely';
import type { Database, NodeStatus } from '@parley/db';
import { writeAudit } from './audit.ts';
import type { ClusterLogger } from './bus.ts';
import { NODE_STALE_MS, releaseLeases } from './leases.ts';

/** Heartbeat period: three fit in {@link NODE_STALE_MS}, so one late beat does not make a node unhealthy. */
export const HEARTBEAT_MS = 5_000;

/** What a node reports about its load with every heartbeat. */
export interface NodeLoad {
  connections: number;
  leasesHeld: number;
}

export interface NodeInfo {
  pid?: number | undefined;
  version?: string | undefined;
  /** Where the node listens, as it sees it (for the admin view, not for routing). */
  url?: string | undefined;
}

export interface NodeRegistryOptions {
  db: Kysely<Database>;
  nodeId: string;
  log: ClusterLogger;
  info?: NodeInfo | undefined;
  load: () => NodeLoad;
  heartbeatMs?: number | undefined;
}

/**
 * This node's row in `nodes`. `start()` upserts it as `active` and heartbeats (with the
 * connection and lease counts) until `stop()`; `drain()` marks it `draining`, `stop()`
 * `inactive`. Each transition is audited. A node is healthy while `active` with a heartbeat
 * younger than {@link NODE_STALE_MS} by the database clock (the nodes' clocks are never
 * compared).
 */
export interface NodeRegistry {
  readonly nodeId: string;
  /** `unregistered` before `start()`. */
  readonly status: NodeStatus | 'unregistered';
  start(): Promise<void>;
  /** One heartbeat now (the timer calls it every `heartbeatMs`). */
  heartbeat(): Promise<void>;
  /** Marks the node `draining` (idempotent). */
  drain(): Promise<void>;
  /** Stops the heartbeat and marks the node `inactive` (idempotent). */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const registry = createNodeRegistry({ db, nodeId: 'web-1', log, load: () => ({ connections: 3, leasesHeld: 1 }) });
 * await registry.start();
 * await registry.drain();
 * await registry.stop();
 * ```
 */
export function createNodeRegistry(opts: NodeRegistryOptions): NodeRegistry {
  const { db, nodeId, log } = opts;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  let status: NodeStatus | 'unregistered' = 'unregistered';
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  let failing = false;

  const register = async () => {
    const load = opts.load();
    const info = { pid: opts.info?.pid ?? null, version: opts.info?.version ?? null, url: opts.info?.url ?? null };
    const previous = await db
      .selectFrom('nodes')
      .select(['status', sql<number>`extract(epoch from now() - heartbeat_at)::float8`.as('age_seconds')])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (previous && previous.status !== 'inactive' && previous.age_seconds * 1000 < NODE_STALE_MS) {
      // A restart after a crash looks like this too (same SERVER_ID within seconds); two live
      // processes sharing one id would take each other's leases, so say it loudly.
      log.warn({ nodeId, heartbeatAgeSeconds: previous.age_seconds }, 'a node with this id looked alive: is SERVER_ID unique?');
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('nodes')
        .values({ id: nodeId, status: 'active', connections: load.connections, leases_held: 0, ...info })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            status: 'active',
            started_at: sql<string>`now()`,
            heartbeat_at: sql<string>`now()`,
            stopped_at: null,
            connections: load.connections,
            leases_held: 0,
            ...info,
          }),
        )
        .execute();
      await writeAudit(trx, {
        actor: nodeId,
        action: 'node.registered',
        subject: nodeId,
        details: { ...definedOnly(opts.info ?? {}), restarted: previous !== undefined },
      });
    });
    // A new process holds nothing: leases recorded for this id belong to a previous life.
    await releaseLeases(db, nodeId, 'all', 'restarted');
    status = 'active';
  };

  const beat = async () => {
    if (status === 'unregistered' || status === 'inactive') return;
    const load = opts.load();
    try {
      const row = await db
        .updateTable('nodes')
        .set({ heartbeat_at: sql<string>`now()`, connections: load.connections, leases_held: load.leasesHeld })
        .where('id', '=', nodeId)
        .returning('status')
        .executeTakeFirst();
      if (!row) {
        log.warn({ nodeId }, 'this node’s row is gone: registering again');
        await register();
      }
      if (failing) log.info({ nodeId }, 'heartbeat works again');
      failing = false;
    } catch (error) {
      // Logged once per outage: the heartbeat retries every period, the log must not flood.
      if (!failing) log.warn({ err: error, nodeId }, 'heartbeat failed; other nodes will see this one as unhealthy if it lasts');
      failing = true;
    }
  };

  const setStatus = async (next: 'draining' | 'inactive') => {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('nodes')
        .set({
          status: next,
          heartbeat_at: sql<string>`now()`,
          ...(next === 'inactive' ? { stopped_at: sql<string>`now()`, connections: 0, leases_held: 0 } : {}),
        })
        .where('id', '=', nodeId)
        .execute();
      await writeAudit(trx, { actor: nodeId, action: next === 'draining' ? 'node.draining' : 'node.inactive', subject: nodeId });
    });
  };

  return {
    nodeId,
    get status() {
      return status;
    },
    async start() {
      if (status !== 'unregistered') return;
      await register();
      timer = setInterval(() => {
        beating ??= beat().finally(() => (beating = undefined));
      }, heartbeatMs);
      timer.unref();
    },
    heartbeat: () => (beating ??= beat().finally(() => (beating = undefined))),
    async drain() {
      if (status !== 'active') return;
      status = 'draining';
      await setStatus('draining');
    },
    async stop() {
      clearInterval(timer);
      if (status === 'unregistered' || status === 'inactive') return;
      status = 'inactive';
      await beating;
      await setStatus('inactive');
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Deletes the rows of nodes not heard from in `olderThanMs` (by the database clock) that hold
 * no lease, each audited as `node.pruned`. Nodes started without SERVER_ID get a new id at
 * every start, so without this their rows would pile up in the admin view forever.
 * Returns the ids deleted.
 */
export async function pruneNodes(db: Kysely<Database>, olderThanMs: number, actor: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .deleteFrom('nodes')
      .where(sql<boolean>`heartbeat_at < now() - ${olderThanMs} * interval '1 millisecond'`)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('leases').select('leases.job').whereRef('leases.holder', '=', 'nodes.id'))))
      .returning(['id', 'heartbeat_at'])
      .execute();
    await writeAudit(
      trx,
      rows.map((r) => ({ actor, action: 'node.pruned' as const, subject: r.id, details: { lastHeartbeatAt: r.heartbeat_at } })),
    );
    return rows.map((r) => r.id);
  });
}
