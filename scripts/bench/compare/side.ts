import { tracker } from '../bench-client.ts';
import { createLoad, type LoadClients } from '../load.ts';
import { sh } from '../machine.ts';
import { createMeasures, type MeasuredSystem } from '../measure.ts';
import type { Options } from '../options.ts';
import { loadAverage } from '../procstat.ts';
import type { StepResult } from '../results.ts';
import { log } from '../run.ts';
import { num } from '../stats.ts';

/** The machine's load at one moment: `uptime` as printed, and its three averages. */
export interface MachineLoad {
  uptime: string;
  load: [number, number, number];
}
export const machineLoad = (): MachineLoad => ({ uptime: sh('uptime', []), load: loadAverage() });

/** One system's part of a comparison. */
export interface SideResult {
  system: string;
  /** Before its services and nodes were started (Parley's set-up registers people with argon2id, which loads the machine). */
  before: MachineLoad;
  /** Right before its first measured step. */
  beforeSteps: MachineLoad;
  nodeIds: string[];
  perNode: number[];
  /** PostgreSQL transactions and Redis commands per second with no traffic (subtracted from each step's counts). */
  background: { pgPerS: number; redisPerS: number };
  warmUp: StepResult;
  /** Every rate of `opts.rates`, in order. */
  ladder: StepResult[];
  acked: number;
  /** Rows carrying a benchmark body in the system's table(s), against `acked`. */
  rows: number;
  duplicates: number;
}

/**
 * Rate and length of the unreported step before the ladder, for both systems alike: first
 * connections to PostgreSQL, and V8's optimizing compiler done with the hot paths. Measured
 * with `perf` on a Parley node at 500 msg/s: TurboFan took 8.7% of the node's CPU in its first
 * 15 s of load and 0.2% a minute later, and node CPU per delivery fell by about a fifth from
 * the first 8 s step to the next ones (a 3 s step at 100 msg/s, the earlier warm-up, left the
 * ladder's first steps compiling). A serving node is warm; so are both sides here.
 */
export const WARM_UP = { rate: 500, seconds: 10 } as const;

/**
 * The same steps for either system: the background with no traffic, a warm-up, then every rate
 * of the ladder (not a knee search: both systems run the same rates, so the table lines up).
 */
export async function measureSide(system: string, run: MeasuredSystem & { opts: Options }, clients: LoadClients, before: MachineLoad): Promise<SideResult> {
  const { opts } = run;
  const measures = createMeasures(run);
  const load = createLoad(run, clients, measures);
  await measures.measureBackground(opts.quick ? 2 : 4, opts.quick ? 2000 : 10_000);
  const { background } = measures;
  const redisPerS = [...background.redisPerS.values()].reduce((a, b) => a + b, 0);
  log(`${system}: background with no traffic ${num(background.pgPerS, 1)} PostgreSQL transactions/s, ${num(redisPerS, 1)} Redis commands/s`);

  const beforeSteps = machineLoad();
  const warmUp = await load.runStep('latency', WARM_UP.rate, WARM_UP.seconds);
  warmUp.label = `warm-up @ ${WARM_UP.rate}/s`;
  log(`${system}: ${opts.rates.join(', ')} messages/s, ${opts.stepSeconds} s each, every rate (p99 bound ${opts.p99BoundMs} ms)…`);
  const ladder: StepResult[] = [];
  for (const rate of opts.rates) ladder.push(await load.runStep('knee', rate, opts.stepSeconds));

  let rows = 0;
  for (const table of run.messageTables) {
    rows += (await run.db.client.query<{ n: number }>(`select count(*)::int as n from "${table}" where body like 'b|%'`)).rows[0]!.n;
  }
  const acked = tracker.acked.reduce((s, a) => s + a, 0);
  log(`${system}: ${acked} sends acknowledged, ${rows} rows stored, ${tracker.duplicates} deliveries seen twice`);
  return {
    system,
    before,
    beforeSteps,
    nodeIds: run.nodes.map((n) => n.id),
    perNode: clients.perNode,
    background: { pgPerS: background.pgPerS, redisPerS },
    warmUp,
    ladder,
    acked,
    rows,
    duplicates: tracker.duplicates,
  };
}
