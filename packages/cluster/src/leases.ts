import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '@parley/db';
import { leaseSubject, writeAudit } from './audit.ts';

/** A lease lives this long unless its holder renews it: how long a dead node's jobs stay orphaned at most. */
export const LEASE_TTL_MS = 10_000;
/** Renewed three times per TTL: two renewals can fail (a slow query, a blip) before it lapses. */
export const LEASE_RENEW_MS = 3_000;
/** A node whose heartbeat is older than this (by the database clock) is not healthy. */
export const NODE_STALE_MS = 15_000;

/** The scope of a `global` job's one lease. */
export const GLOBAL_SCOPE = 'global';

const msFromNow = (ms: number): RawBuilder<string> => sql<string>`now() + ${ms} * interval '1 millisecond'`;
const msAgo = (ms: number): RawBuilder<string> => sql<string>`now() - ${ms} * interval '1 millisecond'`;

export interface LeaseKey {
  job: string;
  scope: string;
}

/** A lease this node holds: `generation` is its fencing token, renewals and release present it. */
export interface HeldLease extends LeaseKey {
  generation: number;
}

export interface AcquiredLease extends HeldLease {
  /** Who held it before: another node (a takeover), this node (a restart), or null. */
  previousHolder: string | null;
  takenOver: boolean;
  expiresAt: string;
}

export interface LeaseTiming {
  ttlMs?: number | undefined;
  /** Heartbeat age after which a holder counts as dead (default {@link NODE_STALE_MS}). */
  staleMs?: number | undefined;
}

/**
 * Takes the lease of `job` in `scope` for `nodeId`, atomically: one upsert that succeeds only
 * when there is no lease, it was released, it expired, its holder is dead (inactive, or no
 * heartbeat for `staleMs`) or is this node. Of two contenders exactly one gets a row back.
 * Each acquisition increments `generation` (the fencing token) and is audited in the same
 * transaction: `lease.taken_over` when another node held it, else `lease.acquired`.
 */
export async function acquireLease(db: Kysely<Database>, key: LeaseKey & { nodeId: string }, timing: LeaseTiming = {}): Promise<AcquiredLease | null> {
  const ttlMs = timing.ttlMs ?? LEASE_TTL_MS;
  const staleMs = timing.staleMs ?? NODE_STALE_MS;
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('leases')
      .values({
        job: key.job,
        scope: key.scope,
        holder: key.nodeId,
        generation: 1,
        acquired_at: sql<string>`now()`,
        renewed_at: sql<string>`now()`,
        expires_at: msFromNow(ttlMs),
      })
      .onConflict((oc) =>
        oc
          .columns(['job', 'scope'])
          // In ON CONFLICT … SET, `leases.*` is the row as it was: previous_holder keeps the old holder.
          .doUpdateSet({
            holder: key.nodeId,
            previous_holder: sql<string | null>`leases.holder`,
            generation: sql<number>`leases.generation + 1`,
            acquired_at: sql<string>`now()`,
            renewed_at: sql<string>`now()`,
            expires_at: msFromNow(ttlMs),
          })
          .where((eb) =>
            eb.or([
              eb('leases.holder', 'is', null),
              eb('leases.expires_at', '<', sql<string>`now()`),
              eb('leases.holder', '=', key.nodeId),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('nodes')
                    .select('nodes.id')
                    .whereRef('nodes.id', '=', 'leases.holder')
                    .where('nodes.status', '<>', 'inactive')
                    .where('nodes.heartbeat_at', '>', msAgo(staleMs)),
                ),
              ),
            ]),
          ),
      )
      .returning(['generation', 'previous_holder', 'expires_at'])
      .executeTakeFirst();
    if (!row) return null;
    const takenOver = row.previous_holder !== null && row.previous_holder !== key.nodeId;
    await writeAudit(trx, {
      actor: key.nodeId,
      action: takenOver ? 'lease.taken_over' : 'lease.acquired',
      subject: leaseSubject(key.job, key.scope),
      details: { job: key.job, scope: key.scope, generation: row.generation, ...(row.previous_holder ? { from: row.previous_holder } : {}) },
    });
    return {
      job: key.job,
      scope: key.scope,
      generation: row.generation,
      previousHolder: row.previous_holder,
      takenOver,
      expiresAt: row.expires_at,
    };
  });
}

/**
 * Extends the leases `nodeId` still holds (same holder and generation: nobody took them over)
 * by `ttlMs` from the database's now, in one statement. Returns the ones renewed; a lease
 * missing from the answer is lost.
 */
export async function renewLeases(db: Kysely<Database>, nodeId: string, leases: readonly HeldLease[], ttlMs = LEASE_TTL_MS): Promise<LeaseKey[]> {
  if (leases.length === 0) return [];
  return db
    .updateTable('leases')
    .set({ expires_at: msFromNow(ttlMs), renewed_at: sql<string>`now()` })
    .where('holder', '=', nodeId)
    .where((eb) => eb.or(leases.map((l) => eb.and([eb('job', '=', l.job), eb('scope', '=', l.scope), eb('generation', '=', l.generation)]))))
    .returning(['job', 'scope'])
    .execute();
}

/**
 * Gives leases up at once (holder null, expired now), so another node can take them on its
 * next scan instead of waiting for the TTL. Only leases still held with the same generation
 * are touched; each release is audited (`lease.released`, with `reason`).
 */
export async function releaseLeases(db: Kysely<Database>, nodeId: string, leases: readonly HeldLease[] | 'all', reason: string): Promise<LeaseKey[]> {
  if (leases !== 'all' && leases.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    let query = trx
      .updateTable('leases')
      .set({ holder: null, previous_holder: sql<string | null>`holder`, expires_at: sql<string>`now()` })
      .where('holder', '=', nodeId);
    if (leases !== 'all') {
      query = query.where((eb) => eb.or(leases.map((l) => eb.and([eb('job', '=', l.job), eb('scope', '=', l.scope), eb('generation', '=', l.generation)]))));
    }
    const released = await query.returning(['job', 'scope', 'generation']).execute();
    await writeAudit(
      trx,
      released.map((l) => ({
        actor: nodeId,
        action: 'lease.released' as const,
        subject: leaseSubject(l.job, l.scope),
        details: { job: l.job, scope: l.scope, generation: l.generation, reason },
      })),
    );
    return released.map(({ job, scope }) => ({ job, scope }));
  });
}

/** What a scan needs to decide, read with the database clock. */
export interface LeaseSnapshot {
  /**
   * Nodes that count as alive: not inactive, heartbeat fresher than `staleMs`. `failing`: it
   * let a lease expire, or one was taken over from it after its last heartbeat — dead or stuck,
   * whatever its heartbeat says, until it beats again.
   */
  nodes: { id: string; status: 'active' | 'draining'; connections: number; failing: boolean }[];
  leases: { job: string; scope: string; holder: string | null; expired: boolean }[];
  /** Every partition id (only read when `withPartitions`). */
  partitions: string[];
}

/** Reads nodes, leases of `jobs` and (for partition-scoped jobs) the partition ids: three small queries. */
export async function readLeaseSnapshot(
  db: Kysely<Database>,
  opts: { jobs: readonly string[]; withPartitions: boolean; staleMs?: number | undefined },
): Promise<LeaseSnapshot> {
  const staleMs = opts.staleMs ?? NODE_STALE_MS;
  const [nodes, leases, partitions] = await Promise.all([
    db
      .selectFrom('nodes')
      .select((eb) => [
        'id',
        'status',
        'connections',
        eb
          .or([
            eb.exists(
              eb
                .selectFrom('leases as l')
                .select('l.job')
                .whereRef('l.holder', '=', 'nodes.id')
                .where('l.expires_at', '<', sql<string>`now()`),
            ),
            eb.exists(
              eb
                .selectFrom('leases as l')
                .select('l.job')
                .whereRef('l.previous_holder', '=', 'nodes.id')
                .whereRef('l.holder', '<>', 'nodes.id')
                .whereRef('l.acquired_at', '>', 'nodes.heartbeat_at'),
            ),
          ])
          .as('failing'),
      ])
      .where('status', '<>', 'inactive')
      .where('heartbeat_at', '>', msAgo(staleMs))
      .execute(),
    opts.jobs.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('leases')
          .select(['job', 'scope', 'holder', sql<boolean>`expires_at < now()`.as('expired')])
          .where('job', 'in', opts.jobs)
          .execute(),
    opts.withPartitions ? db.selectFrom('partitions').select('id').orderBy('id').execute() : Promise.resolve([]),
  ]);
  return {
    nodes: nodes.map((n) => ({ id: n.id, status: n.status as 'active' | 'draining', connections: n.connections, failing: Boolean(n.failing) })),
    leases,
    partitions: partitions.map((p) => p.id),
  };
}
