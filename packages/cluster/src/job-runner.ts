import type { Kysely } from 'kysely';
import type { Database } from '@parley/db';
import type { ClusterLogger } from './bus.ts';
import type { BackgroundJob } from './jobs.ts';
import {
  acquireLease,
  GLOBAL_SCOPE,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  NODE_STALE_MS,
  readLeaseSnapshot,
  releaseLeases,
  renewLeases,
  type HeldLease,
  type LeaseKey,
  type LeaseSnapshot,
} from './leases.ts';

/** How often a node looks for jobs nobody runs: a released lease is picked up within this. */
export const LEASE_SCAN_MS = 2_000;
/** How long `stop()` waits for running passes to notice their aborted signal before releasing anyway. */
const STOP_WAIT_MS = 5_000;

export interface JobRunnerOptions {
  db: Kysely<Database>;
  nodeId: string;
  log: ClusterLogger;
  jobs: readonly BackgroundJob[];
  /** Whether this node may take leases now (false while draining). Default: until `stop()`. */
  accepting?: (() => boolean) | undefined;
  scanMs?: number | undefined;
  leaseTtlMs?: number | undefined;
  renewMs?: number | undefined;
  staleMs?: number | undefined;
  /**
   * A free lease that the least loaded node has not taken after this long is taken by any
   * node that sees it (the chosen one may be dead but not yet stale). Default 3 scans.
   */
  graceMs?: number | undefined;
}

/** A lease this node holds and runs, as `/health` shows it. */
export interface RunningLease extends HeldLease {
  /** When this node took it (its own clock: for display only). */
  since: string;
}

/**
 * Runs each {@link BackgroundJob} on exactly one healthy node per scope. Every `scanMs` it
 * reads which (job, scope) pairs nobody validly holds (no lease, released, expired, or the
 * holder is dead) and takes those a deterministic assignment gives to this node: each free
 * pair, in order, goes to the least loaded healthy node (fewest leases, then fewest
 * connections, then id). Every node computes the same assignment, so they do not fight, and
 * the atomic upsert in {@link acquireLease} settles any race. Held leases are renewed every
 * `renewMs`; a lease that is lost (taken over, or not renewed in time) aborts its job's signal.
 */
export interface JobRunner {
  start(): void;
  /** One scan now (the timer calls it). */
  scan(): Promise<void>;
  readonly held: readonly RunningLease[];
  /** Stops scanning, aborts every job, waits for them (bounded), releases the leases (audited). */
  stop(): Promise<void>;
}

interface Running {
  lease: HeldLease;
  job: BackgroundJob;
  since: string;
  controller: AbortController;
  /** Local monotonic time until which the lease is surely still ours (last renewal start + TTL). */
  validUntil: number;
  loop: Promise<void>;
}

const keyOf = (l: LeaseKey) => `${l.job}\u0000${l.scope}`;
const monotonic = () => performance.now();

/**
 * @example
 * ```ts
 * const runner = createJobRunner({ db, nodeId: 'web-1', log, jobs: [sessionSweep], accepting: () => !draining });
 * runner.start();
 * await runner.stop();
 * ```
 */
export function createJobRunner(opts: JobRunnerOptions): JobRunner {
  const { db, nodeId, log } = opts;
  const scanMs = opts.scanMs ?? LEASE_SCAN_MS;
  const ttlMs = opts.leaseTtlMs ?? LEASE_TTL_MS;
  const renewMs = opts.renewMs ?? LEASE_RENEW_MS;
  const staleMs = opts.staleMs ?? NODE_STALE_MS;
  const graceMs = opts.graceMs ?? 3 * scanMs;
  const jobs = new Map(opts.jobs.map((j) => [j.name, j]));
  if (jobs.size !== opts.jobs.length) throw new Error('two background jobs share a name');
  const withPartitions = opts.jobs.some((j) => j.scope === 'partition');

  const running = new Map<string, Running>();
  /** Free pairs assigned to another node, with when this node first saw them free. */
  const unclaimedSince = new Map<string, number>();
  let stopping = false;
  let scanTimer: NodeJS.Timeout | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  let renewing: Promise<void> | undefined;
  let scanFailing = false;

  const accepting = () => !stopping && (opts.accepting?.() ?? true);

  const begin = (job: BackgroundJob, lease: HeldLease, startedAt: number) => {
    const controller = new AbortController();
    const entry: Running = {
      lease,
      job,
      since: new Date().toISOString(),
      controller,
      validUntil: startedAt + ttlMs,
      loop: Promise.resolve(),
    };
    running.set(keyOf(lease), entry);
    entry.loop = runLoop(entry);
  };

  const runLoop = async (entry: Running) => {
    const { job, controller } = entry;
    const { signal } = controller;
    while (!signal.aborted) {
      try {
        await job.run(entry.lease.scope, signal);
      } catch (error) {
        if (!signal.aborted) log.warn({ err: error, job: job.name, scope: entry.lease.scope }, 'background job failed; it runs again next interval');
      }
      await sleep(job.intervalMs, signal);
    }
  };

  /** Ends a job whose lease this node no longer holds (no release: it is not ours to release). */
  const lose = (entry: Running, why: string) => {
    running.delete(keyOf(entry.lease));
    entry.controller.abort(new Error(`lease lost: ${why}`));
    log.warn({ job: entry.lease.job, scope: entry.lease.scope, generation: entry.lease.generation, why }, 'lease lost; job stopped');
  };

  const renew = async () => {
    const entries = [...running.values()];
    if (entries.length === 0) return;
    const startedAt = monotonic();
    try {
      const renewed = new Set(
        (
          await renewLeases(
            db,
            nodeId,
            entries.map((e) => e.lease),
            ttlMs,
          )
        ).map(keyOf),
      );
      for (const entry of entries) {
        if (running.get(keyOf(entry.lease)) !== entry) continue;
        if (renewed.has(keyOf(entry.lease))) entry.validUntil = startedAt + ttlMs;
        else lose(entry, 'another node holds it now');
      }
    } catch (error) {
      log.warn({ err: error }, 'renewing leases failed');
      // Without a renewal the lease may lapse and be taken: stop before that can happen.
      const now = monotonic();
      for (const entry of entries)
        if (running.get(keyOf(entry.lease)) === entry && now >= entry.validUntil - renewMs) lose(entry, 'could not renew it in time');
    }
  };

  const wanted = (snapshot: LeaseSnapshot): LeaseKey[] => {
    const pairs: LeaseKey[] = [];
    for (const job of jobs.values()) {
      if (job.scope === 'global') pairs.push({ job: job.name, scope: GLOBAL_SCOPE });
      else for (const partitionId of snapshot.partitions) pairs.push({ job: job.name, scope: partitionId });
    }
    return pairs.sort((a, b) => (a.job === b.job ? cmp(a.scope, b.scope) : cmp(a.job, b.job)));
  };

  const scanOnce = async () => {
    if (!accepting()) return;
    const snapshot = await readLeaseSnapshot(db, { jobs: [...jobs.keys()], withPartitions, staleMs });
    const alive = new Set(snapshot.nodes.map((n) => n.id));
    const leases = new Map(snapshot.leases.map((l) => [keyOf(l), l]));
    const free = wanted(snapshot).filter((pair) => {
      if (running.has(keyOf(pair))) return false;
      const lease = leases.get(keyOf(pair));
      return !lease || lease.holder === null || lease.expired || !alive.has(lease.holder);
    });
    // A node that failed to renew a lease (dead, or stuck) is no candidate, however fresh its
    // last heartbeat: otherwise a killed node would be dealt work until it goes stale.
    const load = new Map<string, { leases: number; connections: number }>();
    for (const node of snapshot.nodes) {
      if (node.status === 'active' && !node.failing) load.set(node.id, { leases: 0, connections: node.connections });
    }
    for (const lease of snapshot.leases) {
      const holder = lease.holder === null || lease.expired ? undefined : load.get(lease.holder);
      if (holder) holder.leases++;
    }

    const now = monotonic();
    const seen = new Set<string>();
    for (const pair of free) {
      const key = keyOf(pair);
      seen.add(key);
      const assignee = leastLoaded(load);
      if (assignee) load.get(assignee)!.leases++;
      let mine = assignee === nodeId;
      if (!mine) {
        const since = unclaimedSince.get(key) ?? now;
        unclaimedSince.set(key, since);
        mine = now - since >= graceMs;
      }
      if (!mine || !accepting()) continue;
      const startedAt = monotonic();
      const lease = await acquireLease(db, { ...pair, nodeId }, { ttlMs, staleMs });
      unclaimedSince.delete(key);
      if (!lease) continue;
      log.info(
        { job: lease.job, scope: lease.scope, generation: lease.generation, from: lease.previousHolder ?? undefined },
        lease.takenOver ? 'lease taken over' : 'lease acquired',
      );
      if (!accepting()) {
        // stop() began while this acquisition was on its way: give it back at once.
        await releaseLeases(db, nodeId, [lease], 'stopping');
        continue;
      }
      begin(jobs.get(lease.job)!, lease, startedAt);
    }
    for (const key of unclaimedSince.keys()) if (!seen.has(key)) unclaimedSince.delete(key);
  };

  const scan = () =>
    (scanning ??= scanOnce()
      .then(() => {
        if (scanFailing) log.info({}, 'lease scan works again');
        scanFailing = false;
      })
      .catch((error: unknown) => {
        if (!scanFailing) log.warn({ err: error }, 'lease scan failed; retrying every scan');
        scanFailing = true;
      })
      .finally(() => (scanning = undefined)));

  return {
    start() {
      if (scanTimer || stopping) return;
      void scan();
      scanTimer = setInterval(() => void scan(), scanMs);
      scanTimer.unref();
      renewTimer = setInterval(() => {
        renewing ??= renew().finally(() => (renewing = undefined));
      }, renewMs);
      renewTimer.unref();
    },
    scan,
    get held() {
      return [...running.values()].map((r) => ({ ...r.lease, since: r.since }));
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(scanTimer);
      clearInterval(renewTimer);
      // A scan or renewal stuck on an unreachable database must not hold the shutdown.
      await Promise.race([Promise.all([scanning, renewing]), delay(STOP_WAIT_MS)]);
      const entries = [...running.values()];
      running.clear();
      for (const entry of entries) entry.controller.abort(new Error('node stopping'));
      const settled = Promise.all(entries.map((e) => e.loop));
      const timedOut = await Promise.race([settled.then(() => false), delay(STOP_WAIT_MS).then(() => true)]);
      if (timedOut) log.warn({ jobs: entries.map((e) => e.lease) }, 'background jobs did not stop in time; releasing their leases anyway');
      if (entries.length > 0)
        await releaseLeases(
          db,
          nodeId,
          entries.map((e) => e.lease),
          'stopping',
        );
    },
  };
}

function leastLoaded(load: Map<string, { leases: number; connections: number }>): string | undefined {
  let best: string | undefined;
  let bestLoad: { leases: number; connections: number } | undefined;
  for (const [id, l] of load) {
    if (
      !bestLoad ||
      l.leases < bestLoad.leases ||
      (l.leases === bestLoad.leases && (l.connections < bestLoad.connections || (l.connections === bestLoad.connections && cmp(id, best!) < 0)))
    ) {
      best = id;
      bestLoad = l;
    }
  }
  return best;
}

/** Byte order, the same on every node whatever its locale. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
