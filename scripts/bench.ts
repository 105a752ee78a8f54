/**
 * `pnpm bench`: Parley under load on this machine, as the deployment runs it (N nodes behind
 * nginx on PostgreSQL and Redis, `@parley/scripts/cluster`), and the numbers written to
 * docs/benchmarks.md. A benchmark, not a test: it prints what it measured and fails only when
 * it cannot run.
 *
 * Steps (see USAGE and docs/benchmarks.md for how each is measured):
 *   1. latency: N clients in M rooms at a moderate send rate; p50/p99 same-node and cross-node;
 *   2. knee: a rising send rate until the persisted rate stops following it or p99 > bound;
 *   3. CPU per delivered message, from /proc, for every step;
 *   4. RSS of one node holding K idle, subscribed WebSockets (direct, not through nginx);
 *   5. kill -9 of a node: time until 99% of its clients are resumed and caught up.
 *   6. notes (seed 001): lock acquire / renew / save latency, 200 editors on 200 notes and 50
 *      contending for one (--notes 0 skips it); it runs before the kill.
 *   7. the resume storm (issue 12), last: --storm subscribed clients through nginx, kill -9 of a
 *      node while messages flow; time until its clients have every missed event, none twice.
 *
 * Everything it starts (a private redis-server, a fresh database, the nodes and nginx) is
 * stopped and dropped at the end, on failure, and on Ctrl-C.
 */
import { main } from './bench/main.ts';
import { cleanup, stopOnSignals } from './bench/run.ts';

// The steps are in bench/: options.ts (the flags, `--help`), setup.ts (services, cluster,
// people), call-costs.ts (0), connect.ts, measure.ts and load.ts (what every step reads and the
// generator), latency.ts (1), knee.ts (2, CPU from /proc in each: 3), totals.ts, notes.ts (6), resume.ts (5),
// idle.ts (4), storm.ts (7, its arithmetic in storm-stats.ts), report.ts (the table and docs/benchmarks.md), main.ts (the order).
stopOnSignals();
await main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (error: unknown) => {
    console.error(`pnpm bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exit(1);
  },
);
