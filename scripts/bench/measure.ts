import { performance } from 'node:perf_hooks';
import type { NodeProcess } from '../cluster/index.ts';
import { childPids, cpuDelta, cpuOf, machineCpu } from './procstat.ts';
import type { CpuReading, CpuUsed } from './results.ts';
import { sleep } from './run.ts';
import { redisCommandCounts, type BenchDatabase, type PrivateRedis } from './services.ts';

export type Measures = ReturnType<typeof createMeasures>;

/** What the readings look at: Parley's run (setup.ts), or the Socket.IO peer's (compare/peer.ts). */
export interface MeasuredSystem {
  db: BenchDatabase;
  /** This script's own PostgreSQL backend, left out of the CPU readings. */
  ownBackend: number;
  redis: PrivateRedis;
  nodes: readonly NodeProcess[];
  nginxMaster: number;
  /** Where a step's messages are counted (`body like 'b|<step>|%'`): Parley's `messages_<workspace>` tables, the peer's one. */
  messageTables: string[];
}

/**
 * Readings every step takes: CPU of each kind of process (/proc), PostgreSQL transactions,
 * Redis commands, rows persisted, the nodes' deepest queue, a quiet start, and the background
 * with no traffic (subtracted from each step's counts).
 */
export function createMeasures(run: MeasuredSystem) {
  const { db, ownBackend, nodes, nginxMaster, redis, messageTables } = run;
  const pgPids = async () =>
    (await db.client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> $2', [db.name, ownBackend])).rows.map((r) => r.pid);
  const readCpu = async (): Promise<CpuReading> => ({
    wall: performance.now(),
    nodes: cpuOf(nodes.flatMap((n) => (n.pid ? [n.pid] : []))),
    nginx: cpuOf([nginxMaster, ...childPids(nginxMaster)]),
    pg: cpuOf(await pgPids()),
    redis: cpuOf(redis.pid ? [redis.pid] : []),
    generator: process.cpuUsage(),
    machine: machineCpu(),
  });
  const cpuUsed = (a: CpuReading, b: CpuReading): CpuUsed => {
    const g = process.cpuUsage(a.generator);
    const used = {
      wallMs: b.wall - a.wall,
      nodesMs: cpuDelta(a.nodes, b.nodes),
      nginxMs: cpuDelta(a.nginx, b.nginx),
      pgMs: cpuDelta(a.pg, b.pg),
      redisMs: cpuDelta(a.redis, b.redis),
      generatorMs: (g.user + g.system) / 1000,
      machineBusyMs: b.machine.busyMs - a.machine.busyMs,
      machineTotalMs: b.machine.totalMs - a.machine.totalMs,
      otherMs: 0,
    };
    used.otherMs = Math.max(0, used.machineBusyMs - used.nodesMs - used.nginxMs - used.pgMs - used.redisMs - used.generatorMs);
    return used;
  };

  /** Polls every node's /health while a step runs: the deepest group-commit queue seen. */
  const watchQueues = () => {
    let max = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await Promise.all(
          nodes.map(async (n) => {
            if (!n.running) return;
            try {
              const h = (await (await fetch(`${n.url}/health`, { signal: AbortSignal.timeout(1000) })).json()) as {
                queues?: { sendsWaitingToCommit?: number };
              };
              max = Math.max(max, h.queues?.sendsWaitingToCommit ?? 0);
            } catch {
              // a busy node may not answer within a second; the next poll will
            }
          }),
        );
        await sleep(500);
      }
    })();
    return async () => {
      stop = true;
      await loop;
      return max;
    };
  };

  const persistedOf = async (step: number) => {
    let persisted = 0;
    let last = 0;
    const sizes: number[] = [];
    for (const table of messageTables) {
      const prefix = `b|${step}|%`;
      const r = await db.client.query<{ n: number; last: number | null }>(
        `select count(*)::int as n, (extract(epoch from max(created_at)) * 1000)::float8 as last from "${table}" where body like $1`,
        [prefix],
      );
      persisted += r.rows[0]!.n;
      last = Math.max(last, r.rows[0]!.last ?? 0);
      // One group commit is one transaction: its rows share now(), the transaction's start time.
      const b = await db.client.query<{ n: number }>(`select count(*)::int as n from "${table}" where body like $1 group by created_at`, [prefix]);
      sizes.push(...b.rows.map((row) => row.n));
    }
    return { persisted, last, sizes };
  };

  const pgXacts = async () =>
    Number(
      (await db.client.query<{ n: string }>('select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1', [db.name])).rows[0]!.n,
    );
  const redisCounts = () => redisCommandCounts(redis.url).catch(() => new Map<string, number>());

  /**
   * Waits until the nodes are quiet (under 15% of a core together over half a second, twice in
   * a row; at most 20 s), so a step does not pay for the previous one's tail: closed sockets'
   * clean-up, queues still draining, presence sweeps.
   */
  const quiesce = async (): Promise<number> => {
    const t0 = performance.now();
    let calm = 0;
    while (calm < 2 && performance.now() - t0 < 20_000) {
      const a = cpuOf(nodes.flatMap((n) => (n.running && n.pid ? [n.pid] : [])));
      const ta = performance.now();
      await sleep(500);
      const b = cpuOf(nodes.flatMap((n) => (n.running && n.pid ? [n.pid] : [])));
      const share = cpuDelta(a, b) / (performance.now() - ta);
      calm = share < 0.15 ? calm + 1 : 0;
    }
    return performance.now() - t0;
  };

  /**
   * What the database and Redis do with no traffic (heartbeats, leases, safety polls, presence
   * refreshes, this script's /health polling), per second: subtracted from each step's counts.
   */
  const background = { pgPerS: 0, redisPerS: new Map<string, number>() };
  const measureBackground = async (seconds: number, settleMs: number) => {
    await quiesce();
    // PostgreSQL's backends report their counts when idle, at most once a second, and up to
    // 10 s late when the shared entry is busy: let the setup's and the cost step's arrive first.
    await sleep(settleMs);
    const stopQueues = watchQueues();
    const x0 = await pgXacts();
    const r0 = await redisCounts();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const r1 = await redisCounts();
    const tr = (performance.now() - t0) / 1000;
    await stopQueues();
    await sleep(1100);
    const x1 = await pgXacts();
    const tx = (performance.now() - t0) / 1000;
    background.pgPerS = Math.max(0, x1 - x0 - 2) / tx;
    for (const [command, calls] of r1) {
      const d = calls - (r0.get(command) ?? 0) - (command === 'info' ? 1 : 0);
      if (d > 0) background.redisPerS.set(command, d / tr);
    }
  };

  return { readCpu, cpuUsed, watchQueues, persistedOf, pgXacts, redisCounts, quiesce, background, measureBackground };
}
