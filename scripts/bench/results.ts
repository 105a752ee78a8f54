import type { MachineCpu } from './procstat.ts';
import type { Percentiles } from './stats.ts';
import type { HopStat } from './hops.ts';

// What the steps measure, as the report reads it.

export interface CpuReading {
  wall: number;
  nodes: Map<number, number>;
  nginx: Map<number, number>;
  pg: Map<number, number>;
  redis: Map<number, number>;
  generator: NodeJS.CpuUsage;
  machine: MachineCpu;
}

export interface CpuUsed {
  wallMs: number;
  nodesMs: number;
  nginxMs: number;
  pgMs: number;
  redisMs: number;
  generatorMs: number;
  /** Everything busy on the machine, all cores. */
  machineBusyMs: number;
  machineTotalMs: number;
  /** Busy CPU not accounted for by the above: other work on the machine (other engineers' tests, PostgreSQL's background writers). */
  otherMs: number;
}

// ---------------------------------------------------------------------------------------------

export interface StepResult {
  label: string;
  kind: 'latency' | 'knee';
  targetRate: number;
  seconds: number;
  offered: number;
  acked: number;
  errors: number;
  errorSamples: string[];
  persisted: number;
  persistedRate: number;
  expectedDeliveries: number;
  deliveries: number;
  lost: number;
  duplicates: number;
  drainMs: number;
  all: Percentiles | null;
  same: Percentiles | null;
  cross: Percentiles | null;
  batches: { count: number; mean: number; p50: number; p99: number; max: number } | null;
  maxQueued: number;
  cpu: CpuUsed;
  /** PostgreSQL transactions (commits + rollbacks) of the run's database in the step, from pg_stat_database. */
  pgTransactions: number;
  /** Redis commands in the step (INFO commandstats), with the most called. */
  redisCommands: number;
  redisTop: { command: string; calls: number }[];
  /** One message's life on the nodes in the step, per hop (hops.ts); null for a system without Parley's /metrics. */
  hops: HopStat[] | null;
  pass: boolean;
  why: string;
}

export interface RssResult {
  node: string;
  connections: number;
  opened: number;
  failedToOpen: number;
  openSeconds: number;
  rssBefore: number;
  rssAfter: number;
  perTenThousand: number;
  healthConnections: number | null;
  idleCpuPercent: number;
  rssAfterClose: number | null;
  /** The same reading just before the collection. */
  rssBeforeGc: number;
  /** V8 heap in use (after the GC), and external memory, grown per 10,000. */
  heapPerTenThousand: number;
  externalPerTenThousand: number;
  /**
   * How much V8's young generation grew meanwhile (bytes, NaN unknown): it grows under a burst
   * of allocation, up to the nodes' `--max-semi-space-size` (scripts/cluster/node-process.ts),
   * and is kept; a node's cost, whatever its connections, so it is shown apart.
   */
  youngGrowth: number;
}

export interface ResumeResult {
  victim: string;
  clientsOnVictim: number;
  resumed: number;
  failed: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  resubscribedP99: number | null;
  markersDelivered: number;
  markersExpected: number;
  duplicates: number;
  restarted: boolean;
}

export interface StormResult {
  /** Clients asked for (`--storm`), and those whose subscription was live (a probe message received) before the kill. */
  clients: number;
  live: number;
  openSeconds: number;
  /** Live clients per node before the kill (index in cluster.nodes). */
  perNode: number[];
  /** Its open files while they were open: the bench process, each nginx worker. */
  openFiles: { bench: number; nginxWorkers: number[] };
  victim: string;
  clientsOnVictim: number;
  /** Messages sent after the kill (the rooms' markers included), the rate asked for, over how long. */
  sent: number;
  ratePerS: number;
  sendSeconds: number;
  /** Sends still failing after 50 tries. */
  sendErrors: number;
  /** The victim's clients: resume times from the kill (ms), nearest rank over those that resumed. */
  resumed: number;
  failed: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  goalMs: number;
  /** Share (0–1) of the victim's clients resumed within goalMs. */
  withinGoal: number;
  /** When 99% of the victim's clients had resumed; null if that never happened. */
  time99: number | null;
  /** The first subscription after the kill started (p50 / p99, ms from the kill). */
  resubscribedP50: number | null;
  resubscribedP99: number | null;
  /** Events skipped (below a later one received), events received twice, and clients still behind when the step ended. */
  missed: number;
  duplicates: number;
  behind: number;
  /** The same checks over the clients of the nodes that stayed up. */
  othersMissed: number;
  othersDuplicates: number;
  othersBehind: number;
  /** The victim's clients by reconnect attempts made after the kill: [attempts, clients], ascending. */
  attempts: [number, number][];
  /** nginx's error log from the kill to the end, by what happened, most frequent first. */
  nginxErrors: { error: string; count: number }[];
  /** Why the victim's clients' attempts failed (a socket that did not open, a subscription refused), most frequent first. */
  clientErrors: { error: string; count: number }[];
  /** Connections the kernel dropped because a listen queue was full (TcpExt ListenOverflows), from the kill to the end; null if unreadable. */
  listenOverflows: number | null;
  /** CPU from the kill until every client had caught up (or the wait ended). */
  cpu: CpuUsed;
  /** This process's event loop delay over the same time (it runs every client: a lag here is in the times). */
  benchLoopDelayMs: { p99: number; max: number };
}

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  postgres: string;
  redis: string;
  nginx: string;
  loadBefore: [number, number, number];
  loadAfter?: [number, number, number];
  uptimeBefore: string;
  uptimeAfter?: string;
  openFiles: string;
  portRange: string;
}

/** One kind of note call: wall-time percentiles (ms) of the calls answered as expected, and the others. */
export interface NoteCallStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  errorSamples: string[];
}

export interface NotesResult {
  /** Editors, each on a note of their own, starting within `spreadMs`, `rounds` times lock → renew → save → unlock, `thinkMs` between calls. */
  editors: number;
  rounds: number;
  separate: {
    acquire: NoteCallStats;
    renew: NoteCallStats;
    save: NoteCallStats;
    unlock: NoteCallStats;
    seconds: number;
    callsPerS: number;
    spreadMs: number;
    thinkMs: number;
  };
  /** People asking for one note's lock at once, `contendedRounds` times; the winner renews, then saves and releases. */
  contenders: number;
  contendedRounds: number;
  contended: { won: NoteCallStats; refused: NoteCallStats; renew: NoteCallStats; save: NoteCallStats; seconds: number; roundsWithOneWinner: number };
  /** Note calls answered by each node (index in cluster.nodes). */
  answeredBy: number[];
  bodyChars: number;
}
