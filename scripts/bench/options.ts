import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT } from '../cluster/index.ts';

// The command line (`pnpm bench --help`) and the constants every step shares.

export const USAGE = `usage: pnpm bench [options]

  --nodes N          Parley nodes behind nginx (default 3)
  --clients N        WebSocket clients through nginx, one user each (default 300; --quick 120)
  --rooms M          rooms the clients are spread over, client i in room i mod M (default 10)
  --partitions P     workspaces the rooms are spread over, room r in workspace r mod P (default 1)
  --rate R           the latency step's send rate, messages/s (default 100)
  --rates a,b,…      the knee's rising send rates (default 100,250,500,1000,2000,4000)
  --step-seconds S   length of each knee step (default 8; --quick 3)
  --latency-seconds S  length of the latency step (default 15; --quick 5)
  --p99-bound MS     a knee step fails when p99 delivery exceeds this (default 1000)
  --idle K           idle subscribed WebSockets opened on node-1 for the RSS step (default 10000; --quick 2000; 0 skips)
  --storm N          the resume storm, last: N subscribed clients through nginx, kill -9 of one node while messages flow,
                     how long until its clients have every event they missed, once (default 10000; --quick 1000; 0 skips)
  --storm-rate R     the storm's messages/s, round-robin over the rooms, for 5 s after the kill (default 10: each reaches
                     every storm client of its room, 1,000 of 10,000 with 10 rooms)
  --notes N          the notes step: N editors on N notes of their own, all at once (default 200; 0 skips the step)
  --note-contenders N  people asking for one note's lock at once in the notes step (default 50)
  --send ws|http     how messages are sent: over each sender's own WebSocket, as @parley/client does with a
                     token (default), or tRPC HTTP POST through nginx, as a browser's client (cookie session) does
  --body-bytes B     pad each message body to B bytes after its \`b|step|seq|time\` marker (default: no padding; --compare 200)
  --compare          the same workload on Parley, then on the Socket.IO 4 peer (scripts/peer/server.ts: @socket.io/redis-adapter,
                     each message inserted into PostgreSQL before it is broadcast), in this process, one after the other, each
                     behind the same nginx.conf on a fresh database and the same (flushed) redis-server; a side-by-side report
                     in docs/benchmarks-vs-socketio.md. Its defaults: --nodes 2 --clients 200 --rooms 20 --rates 250,500,750,1000,1250
                     --step-seconds 8 --p99-bound 100 --body-bytes 200, and --rate 250 (the step its latency rows are read at;
                     CPU rows at 500/s); after a 10 s warm-up at 500 msg/s every rate of the ladder is run (no knee search, no latency step),
                     and the steps only Parley has (call costs, notes, kill -9, idle RSS, storm) are skipped; --partitions spreads
                     Parley's rooms over workspaces and leaves the peer as it is; --profile is not supported
  --quick            a short run (under a minute)
  --profile          sample the nodes' CPU (the inspector's profiler, as --cpu-prof) and print where it went
  --out FILE         where to write the report (default docs/benchmarks.md; --compare docs/benchmarks-vs-socketio.md); --no-write to only print
  --no-write

  DATABASE_URL  the PostgreSQL server to make the run's database on (default postgres://postgres@127.0.0.1:5432/postgres);
                a fresh database parley_bench_* is created and dropped after
  NGINX         the nginx binary (default /usr/sbin/nginx, else nginx on PATH)
  Redis: a private redis-server (on PATH) on a free port, stopped after.`;

/** As e2e/cluster/harness.ts: every bench client comes from 127.0.0.1, so the per-address and per-user limits would refuse it. */
export const RELAXED_RATE_LIMIT_ENV = {
  RATE_LIMIT_MESSAGES: '1000000/1m',
  RATE_LIMIT_REQUESTS_PER_IP: '1000000/1m',
  RATE_LIMIT_LOGIN: '1000000/1m',
  RATE_LIMIT_LOGIN_PER_IP: '1000000/1m',
  // Note locks, renewals and saves count as changes (30 in 10 s a person); the notes step makes more.
  RATE_LIMIT_CHANGES: '1000000/1m',
  // The idle and storm steps open 10,000 sockets from this one address, dozens per bench user.
  WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
  WS_MAX_CONNECTIONS_PER_USER: '100000',
};
/** `--compare`'s ladder (messages/s), and the rate its latency row and CPU rows are read at. */
export const COMPARE_RATES = [250, 500, 750, 1000, 1250] as const;
export const COMPARE_LATENCY_RATE = 250;
export const COMPARE_CPU_RATE = 500;
/** How long the storm step sends messages after the kill. */
export const STORM_SEND_SECONDS = 5;
/** Issue 12's goal: with this many subscribed clients, 99% of a killed node's resumed within STORM_GOAL_MS. */
export const STORM_GOAL_CLIENTS = 10_000;
export const STORM_GOAL_MS = 10_000;
/** How long the storm step waits for its clients to subscribe, to receive the probe, and to catch up after the kill. */
export const STORM_WAIT_MS = 60_000;
/** Sends in flight at once (an open-loop generator that stops offering past this). */
export const MAX_IN_FLIGHT = 1500;
export const PASSWORD = 'correct horse battery';
export const IDLE_PARTITION = 'bench_idle';
/** The per-call cost step's workspace: its owner alone, so its sends reach no subscriber. */
export const COST_PARTITION = 'bench_cost';
/** The notes step's workspace: its editors are members, nobody watches it. */
export const NOTES_PARTITION = 'bench_notes';

export interface Options {
  nodes: number;
  clients: number;
  rooms: number;
  partitions: number;
  rate: number;
  rates: number[];
  stepSeconds: number;
  latencySeconds: number;
  p99BoundMs: number;
  idle: number;
  /** Subscribed clients of the resume storm (0: skipped). */
  storm: number;
  /** The storm's messages/s after the kill, round-robin over the rooms. */
  stormRate: number;
  notes: number;
  noteContenders: number;
  send: 'http' | 'ws';
  /** Bodies padded to this many bytes (0: the bare marker). */
  bodyBytes: number;
  /** Parley, then the Socket.IO peer, side by side (compare/main.ts). */
  compare: boolean;
  quick: boolean;
  profile: boolean;
  out: string | null;
}

export function fail(message: string): never {
  console.error(`pnpm bench: ${message}`);
  process.exit(2);
}

export function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string' },
      clients: { type: 'string' },
      rooms: { type: 'string' },
      partitions: { type: 'string' },
      rate: { type: 'string' },
      rates: { type: 'string' },
      'step-seconds': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'p99-bound': { type: 'string' },
      idle: { type: 'string' },
      storm: { type: 'string' },
      'storm-rate': { type: 'string' },
      notes: { type: 'string' },
      'note-contenders': { type: 'string' },
      send: { type: 'string' },
      'body-bytes': { type: 'string' },
      compare: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (v: string | undefined, name: string, def: number, min: number, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max} (got "${v}")\n\n${USAGE}`);
    return n;
  };
  const quick = values.quick;
  const compare = values.compare;
  if (compare && values.profile) fail('--profile is not supported with --compare');
  const rates = values.rates
    ? values.rates.split(',').map((r) => int(r.trim(), '--rates', 0, 1, 1_000_000))
    : compare
      ? [...COMPARE_RATES]
      : quick
        ? [250, 1000, 2000]
        : [100, 250, 500, 1000, 2000, 4000];
  const send = values.send ?? 'ws';
  if (send !== 'http' && send !== 'ws') fail(`--send must be http or ws (got "${send}")`);
  const o: Options = {
    nodes: int(values.nodes, '--nodes', compare ? 2 : 3, 1, 16),
    clients: int(values.clients, '--clients', compare ? 200 : quick ? 120 : 300, 2, 5000),
    rooms: int(values.rooms, '--rooms', compare ? 20 : 10, 1, 1000),
    partitions: int(values.partitions, '--partitions', 1, 1, 1000),
    rate: int(values.rate, '--rate', compare ? COMPARE_LATENCY_RATE : 100, 1, 100_000),
    rates,
    stepSeconds: int(values['step-seconds'], '--step-seconds', quick ? 3 : 8, 1, 600),
    latencySeconds: int(values['latency-seconds'], '--latency-seconds', quick ? 5 : 15, 1, 600),
    p99BoundMs: int(values['p99-bound'], '--p99-bound', compare ? 100 : 1000, 1, 600_000),
    // --compare runs neither the idle RSS step, the storm nor the notes step: they are Parley's alone.
    idle: compare ? 0 : int(values.idle, '--idle', quick ? 2000 : 10_000, 0, 100_000),
    storm: compare ? 0 : int(values.storm, '--storm', quick ? 1000 : 10_000, 0, 100_000),
    // Modest on purpose: every message reaches --storm / --rooms clients, so at 50/s 10,000 clients
    // in 10 rooms are 50,000 deliveries/s, what a 2-core machine delivers at the knee: the step
    // would measure the fan-out, not the resume.
    stormRate: int(values['storm-rate'], '--storm-rate', 10, 1, 10_000),
    notes: compare ? 0 : int(values.notes, '--notes', 200, 0, 5000),
    noteContenders: int(values['note-contenders'], '--note-contenders', 50, 1, 1000),
    send,
    bodyBytes: int(values['body-bytes'], '--body-bytes', compare ? 200 : 0, 0, 4000),
    compare,
    quick,
    profile: values.profile,
    out: values['no-write'] ? null : (values.out ?? join(REPO_ROOT, compare ? 'docs/benchmarks-vs-socketio.md' : 'docs/benchmarks.md')),
  };
  if (o.partitions > o.rooms) fail('--partitions cannot be more than --rooms');
  if (o.clients < o.rooms) fail('--clients must be at least --rooms (every room needs a client)');
  return o;
}
