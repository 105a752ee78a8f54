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
 *
 * Everything it starts (a private redis-server, a fresh database, the nodes and nginx) is
 * stopped and dropped at the end, on failure, and on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNodeProcess, findNginx, freePort, REPO_ROOT, startCluster, type Cluster, type NodeProcess } from './cluster/index.ts';
import { childPids, cpuDelta, cpuOf, loadAverage, machineCpu, rssBytes, type MachineCpu } from './bench/procstat.ts';
import { summarizeProfile, type ProfileSummary } from './bench/profile.ts';
import { createBenchDatabase, findRedisServer, redisCommandCounts, startPrivateRedis, type BenchDatabase, type PrivateRedis } from './bench/services.ts';
import { markdownTable, mib, ms, num, percentiles, textTable, type Percentiles } from './bench/stats.ts';
import { procedureCosts, type CallCost } from './bench/procedure-cost.ts';
import { TrpcHttp, TrpcSocket, uuidv7 } from './bench/wire.ts';

const USAGE = `usage: pnpm bench [options]

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
  --send ws|http     how messages are sent: over each sender's own WebSocket, as @parley/client does with a
                     token (default), or tRPC HTTP POST through nginx, as a browser's client (cookie session) does
  --quick            a short run (under a minute)
  --profile          sample the nodes' CPU (the inspector's profiler, as --cpu-prof) and print where it went
  --out FILE         where to write the report (default docs/benchmarks.md); --no-write to only print
  --no-write

  DATABASE_URL  the PostgreSQL server to make the run's database on (default postgres://postgres@127.0.0.1:5432/postgres);
                a fresh database parley_bench_* is created and dropped after
  NGINX         the nginx binary (default /usr/sbin/nginx, else nginx on PATH)
  Redis: a private redis-server (on PATH) on a free port, stopped after.`;

/** As e2e/cluster/harness.ts: every bench client comes from 127.0.0.1, so the per-address and per-user limits would refuse it. */
const RELAXED_RATE_LIMIT_ENV = {
  RATE_LIMIT_MESSAGES: '1000000/1m',
  RATE_LIMIT_REQUESTS_PER_IP: '1000000/1m',
  RATE_LIMIT_LOGIN: '1000000/1m',
  RATE_LIMIT_LOGIN_PER_IP: '1000000/1m',
};
/** Sends in flight at once (an open-loop generator that stops offering past this). */
const MAX_IN_FLIGHT = 1500;
const PASSWORD = 'correct horse battery';
const IDLE_PARTITION = 'bench_idle';
/** The per-call cost step's workspace: its owner alone, so its sends reach no subscriber. */
const COST_PARTITION = 'bench_cost';

interface Options {
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
  send: 'http' | 'ws';
  quick: boolean;
  profile: boolean;
  out: string | null;
}

function fail(message: string): never {
  console.error(`pnpm bench: ${message}`);
  process.exit(2);
}

function parseOptions(): Options {
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
      send: { type: 'string' },
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
  const rates = values.rates
    ? values.rates.split(',').map((r) => int(r.trim(), '--rates', 0, 1, 1_000_000))
    : quick
      ? [250, 1000, 2000]
      : [100, 250, 500, 1000, 2000, 4000];
  const send = values.send ?? 'ws';
  if (send !== 'http' && send !== 'ws') fail(`--send must be http or ws (got "${send}")`);
  const o: Options = {
    nodes: int(values.nodes, '--nodes', 3, 1, 16),
    clients: int(values.clients, '--clients', quick ? 120 : 300, 2, 5000),
    rooms: int(values.rooms, '--rooms', 10, 1, 1000),
    partitions: int(values.partitions, '--partitions', 1, 1, 100),
    rate: int(values.rate, '--rate', 100, 1, 100_000),
    rates,
    stepSeconds: int(values['step-seconds'], '--step-seconds', quick ? 3 : 8, 1, 600),
    latencySeconds: int(values['latency-seconds'], '--latency-seconds', quick ? 5 : 15, 1, 600),
    p99BoundMs: int(values['p99-bound'], '--p99-bound', 1000, 1, 600_000),
    idle: int(values.idle, '--idle', quick ? 2000 : 10_000, 0, 100_000),
    send,
    quick,
    profile: values.profile,
    out: values['no-write'] ? null : (values.out ?? join(REPO_ROOT, 'docs/benchmarks.md')),
  };
  if (o.partitions > o.rooms) fail('--partitions cannot be more than --rooms');
  if (o.clients < o.rooms) fail('--clients must be at least --rooms (every room needs a client)');
  return o;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on every way out

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];
let cleaning: Promise<void> | undefined;
function onCleanup(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup (${name}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the nodes, nginx and redis-server, dropping the database…`);
    const hard = setTimeout(() => process.exit(130), 40_000);
    hard.unref();
    void cleanup().finally(() => process.exit(130));
  });
}

const started = performance.now();
const log = (message: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
const sleep = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, t));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages and deliveries

/**
 * Every message the benchmark sends, by sequence number (arrays, not objects: a knee run sends
 * tens of thousands), and the deliveries of the current step.
 */
class Tracker {
  readonly sentAt: number[] = [];
  readonly room: number[] = [];
  readonly step: number[] = [];
  /** The node that committed it (answered the POST, or the sender's socket): index in cluster.nodes, -1 unknown. */
  readonly origin: number[] = [];
  readonly acked: number[] = [];
  /** Distinct clients that received it. */
  readonly delivered: number[] = [];
  /** The current step's deliveries: message, receiving node, latency (ms). */
  dSeq: number[] = [];
  dNode: number[] = [];
  dLat: number[] = [];
  duplicates = 0;
  /** Deliveries (distinct) of the current step's messages, whenever they arrive. */
  stepDelivered = 0;
  currentStep = -1;

  add(room: number, step: number, at: number): number {
    const seq = this.sentAt.length;
    this.sentAt.push(at);
    this.room.push(room);
    this.step.push(step);
    this.origin.push(-1);
    this.acked.push(0);
    this.delivered.push(0);
    return seq;
  }

  beginStep(step: number): void {
    this.currentStep = step;
    this.dSeq = [];
    this.dNode = [];
    this.dLat = [];
    this.stepDelivered = 0;
  }

  deliver(seq: number, node: number, latency: number): void {
    if (seq < 0 || seq >= this.sentAt.length) return;
    this.delivered[seq]! += 1;
    if (this.step[seq] !== this.currentStep) return;
    this.stepDelivered += 1;
    this.dSeq.push(seq);
    this.dNode.push(node);
    this.dLat.push(latency);
  }
}

/** Body of a benchmark message: `b|<step>|<seq>|<send time, performance.now() ms>`. */
function parseBody(body: unknown): { seq: number; at: number } | null {
  if (typeof body !== 'string' || !body.startsWith('b|')) return null;
  const parts = body.split('|');
  return { seq: Number(parts[2]), at: Number(parts[3]) };
}

const MAX_RECONNECT_ATTEMPTS = 10;
/** `@parley/client`'s backoff (packages/client/src/backoff.ts): min(1000·2^attempt + random(0..1000), 30000) ms. */
const reconnectDelayMs = (attempt: number) => Math.min(1000 * 2 ** attempt + Math.floor(Math.random() * 1001), 30_000);

interface ClientEvents {
  onDelivered(client: BenchClient, seq: number, at: number): void;
  onStarted(client: BenchClient): void;
  nodeIndex(upstream: string | undefined): number;
}

/**
 * One person's WebSocket through nginx with an `event.onEvent` subscription, reconnecting as
 * `@parley/client`'s connection does: after a loss, wait min(1000·2^attempt + random(0..1000),
 * 30000) ms, open a new socket (nginx picks a node), and subscribe again with `lastEventId`
 * (the server replays what was missed, then streams live). 10 failed attempts: FAILED.
 */
class BenchClient {
  socket: TrpcSocket | undefined;
  node = -1;
  lastEventId: string | null = null;
  lastId = 0;
  attempt = 0;
  closed = false;
  failed = false;
  connects = 0;
  errors: string[] = [];
  #retry: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    readonly username: string,
    readonly token: string,
    readonly room: number,
    readonly partitionId: string,
    readonly url: string,
    readonly events: ClientEvents,
  ) {}

  connect(): void {
    if (this.closed) return;
    this.connects += 1;
    const socket = new TrpcSocket(this.url, this.token, { onClose: () => this.#lost(socket) });
    this.socket = socket;
    socket.opened.then(
      () => {
        if (this.socket !== socket) return;
        this.attempt = 0; // CONNECTED: the transport opened
        this.node = this.events.nodeIndex(socket.upstream);
        socket.subscribe(
          'event.onEvent',
          { partitionId: this.partitionId, lastEventId: this.lastEventId },
          {
            onStarted: () => this.events.onStarted(this),
            onData: (id, event) => this.#data(id, event),
            onError: (error) => {
              this.errors.push(error.message);
              socket.close();
              this.#lost(socket);
            },
          },
          this.lastEventId,
        );
      },
      () => {},
    );
  }

  #data(id: string, event: unknown): void {
    const n = Number(id);
    if (n <= this.lastId) {
      tracker.duplicates += 1;
      return;
    }
    this.lastId = n;
    this.lastEventId = id;
    const e = event as { type?: string; data?: { body?: unknown } };
    if (e.type !== 'message.created') return;
    const parsed = parseBody(e.data?.body);
    if (parsed) this.events.onDelivered(this, parsed.seq, parsed.at);
  }

  #lost(socket: TrpcSocket): void {
    if (this.closed || this.socket !== socket) return;
    this.socket = undefined;
    this.node = -1;
    if (this.attempt >= MAX_RECONNECT_ATTEMPTS) {
      this.failed = true;
      return;
    }
    const delay = reconnectDelayMs(this.attempt);
    this.attempt += 1;
    this.#retry = setTimeout(() => this.connect(), delay);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.#retry);
    this.socket?.close();
    this.socket = undefined;
  }
}

const tracker = new Tracker();

// ---------------------------------------------------------------------------------------------
// CPU readings

interface CpuReading {
  wall: number;
  nodes: Map<number, number>;
  nginx: Map<number, number>;
  pg: Map<number, number>;
  redis: Map<number, number>;
  generator: NodeJS.CpuUsage;
  machine: MachineCpu;
}

interface CpuUsed {
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

interface StepResult {
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
  pass: boolean;
  why: string;
}

interface RssResult {
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
}

interface ResumeResult {
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

interface MachineInfo {
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

function sh(cmd: string, args: string[]): string {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  } catch {
    return '';
  }
}

function machineInfo(postgresVersion: string): MachineInfo {
  const model = cpus()[0]?.model ?? (/Model name:\s*(.*)/.exec(sh('lscpu', []))?.[1] ?? 'unknown');
  const limits = (() => {
    try {
      return /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      return null;
    }
  })();
  let portRange = '';
  try {
    portRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–');
  } catch {
    portRange = 'unknown';
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: Number(sh('nproc', [])) || cpus().length,
    cpuModel: model.trim(),
    memory: `${num(totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    postgres: postgresVersion,
    redis: /v=(\S+)/.exec(sh('redis-server', ['--version']))?.[1] ?? 'unknown',
    nginx: /nginx\/(\S+)/.exec(sh(findNginx() ?? 'nginx', ['-v']))?.[1] ?? 'unknown',
    loadBefore: loadAverage(),
    uptimeBefore: sh('uptime', []),
    openFiles: limits ? `${limits[1]} (hard ${limits[2]})` : 'unknown',
    portRange,
  };
}

function openFilesSoftLimit(): number {
  try {
    const m = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions();
  const commandLine = `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const nginxBinary = findNginx() ?? fail('nginx not found: apt-get install nginx, or set NGINX=/path/to/nginx');
  if (!findRedisServer()) fail('redis-server not found on PATH (apt-get install redis-server): the benchmark runs a private one');
  const baseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

  const fdLimit = openFilesSoftLimit();
  const fdNeeded = opts.clients + opts.idle + 600;
  if (fdNeeded > fdLimit) {
    fail(
      `this run needs about ${fdNeeded} open files in this process (clients + idle sockets + HTTP) but the limit is ${fdLimit}: ` +
        `raise it (ulimit -n ${fdNeeded + 1000}) or lower --idle`,
    );
  }

  // -------- services
  log(`a private redis-server, a fresh database on ${new URL(baseUrl).host}…`);
  const redis: PrivateRedis = await startPrivateRedis();
  onCleanup('redis-server', () => redis.stop());
  const db: BenchDatabase = await createBenchDatabase(baseUrl);
  onCleanup('database', () => db.drop());
  const pgVersion = (await db.client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  const ownBackend = (await db.client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  const info = machineInfo(pgVersion);
  log(`machine: ${info.nproc} cores (${info.cpuModel}), ${info.memory}; load ${info.loadBefore.join(' ')}`);
  if (info.loadBefore[0] > info.nproc / 2) {
    log(`warning: the machine is busy (load ${info.loadBefore[0]} on ${info.nproc} cores): the numbers will be lower than on a quiet machine`);
  }

  let profileDir: string | undefined;
  // A preload in every node: a full GC on SIGWINCH (for the RSS step), and with --profile the CPU profiler.
  const preload = pathToFileURL(join(REPO_ROOT, 'scripts/bench/node-preload.mjs')).href;
  const env: Record<string, string> = {
    LOG_LEVEL: 'warn',
    ...RELAXED_RATE_LIMIT_ENV,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    PARLEY_BENCH_GC: '1',
  };
  if (opts.profile) {
    profileDir = mkdtempSync(join(tmpdir(), 'parley-bench-prof-'));
    onCleanup('profiles', () => rmSync(profileDir!, { recursive: true, force: true }));
    env.PARLEY_CPU_PROF_DIR = profileDir;
  }

  // -------- cluster
  log(`starting ${opts.nodes} node${opts.nodes === 1 ? '' : 's'} and nginx…`);
  const nodeLogs: string[] = [];
  const cluster: Cluster = await startCluster({
    databaseUrl: db.url,
    redisUrl: redis.url,
    nodes: opts.nodes,
    nginxBinary,
    env,
    onLog: (source, line) => {
      if (nodeLogs.length < 200) nodeLogs.push(`${source}: ${line}`);
    },
  });
  const clusterRef = cluster;
  onCleanup('cluster', () => clusterRef.stop());
  const nodes = cluster.nodes;
  const nodeIndex = (upstream: string | undefined) => {
    const n = clusterRef.nodeAt(upstream);
    return n ? nodes.indexOf(n) : -1;
  };
  const nginxMaster = Number(readFileSync(join(dirname(cluster.nginx.confPath), 'nginx.pid'), 'utf8').trim());
  log(`cluster: ${cluster.url} (${nodes.map((n) => `${n.id} pid ${n.pid}`).join(', ')}; nginx pid ${nginxMaster})`);

  const http = new TrpcHttp(cluster.url, { maxSockets: 256 });
  onCleanup('http agent', () => http.close());

  // -------- workspaces, rooms, people
  const setupStart = performance.now();
  const owner = await http.mutation<{ token: string }>('auth.register', { username: 'bench_owner', password: PASSWORD, session: 'token' }, null);
  const ownerToken = owner.data.token;
  const partitionIds = Array.from({ length: opts.partitions }, (_, i) => `bench_${i}`);
  const invites = new Map<string, string>();
  for (const id of [...partitionIds, IDLE_PARTITION, COST_PARTITION]) {
    const r = await http.mutation<{ inviteCode: string }>('partition.create', { id, name: `Bench ${id}` }, ownerToken);
    invites.set(id, r.data.inviteCode);
  }
  const roomIds: string[] = [];
  const roomPartition: string[] = [];
  for (let r = 0; r < opts.rooms; r++) {
    const partitionId = partitionIds[r % opts.partitions]!;
    const room = await http.mutation<{ id: string }>('room.create', { partitionId, name: `room-${r}` }, ownerToken);
    roomIds.push(room.data.id);
    roomPartition.push(partitionId);
  }
  const idleUsers = Math.min(opts.clients, 100);
  log(`registering ${opts.clients} people (argon2id each), joining ${opts.rooms} rooms in ${opts.partitions} workspace(s)…`);
  const people = await pool(
    Array.from({ length: opts.clients }, (_, i) => i),
    8,
    async (i) => {
      const username = `bench_u${i}`;
      const room = i % opts.rooms;
      const partitionId = roomPartition[room]!;
      const reg = await http.mutation<{ token: string }>('auth.register', { username, password: PASSWORD, session: 'token' }, null);
      const token = reg.data.token;
      await http.mutation('partition.join', { inviteCode: invites.get(partitionId) }, token);
      await http.mutation('room.join', { partitionId, roomId: roomIds[room] }, token);
      if (i < idleUsers && opts.idle > 0) await http.mutation('partition.join', { inviteCode: invites.get(IDLE_PARTITION) }, token);
      return { username, token, room, partitionId };
    },
  );
  const heads = new Map<string, string>();
  for (const id of partitionIds) {
    const h = await http.query<{ lastEventId: number }>('event.head', { partitionId: id }, ownerToken);
    heads.set(id, String(h.lastEventId));
  }
  log(`setup took ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

  // -------- 0. node CPU per call, by procedure (one node, no nginx, nobody subscribed)
  const costCalls = opts.quick ? 200 : 1000;
  log(`cost per call: ${costCalls} calls of each, 4 at once, straight to ${nodes[0]!.id}…`);
  const costRoom = (await http.query<{ id: string }[]>('room.list', { partitionId: COST_PARTITION }, ownerToken))[0]!.id;
  const callCosts = await procedureCosts(
    { url: nodes[0]!.url, pid: nodes[0]!.pid!, token: ownerToken, partitionId: COST_PARTITION, roomId: costRoom },
    costCalls,
    4,
  );
  for (const c of callCosts) log(`  ${c.call.padEnd(42)} ${num(c.cpuUs, 0).padStart(6)} µs CPU per call`);

  // -------- clients through nginx
  let startedCount = 0;
  const resumeWatch: { onStarted?: (c: BenchClient) => void; onDelivered?: (c: BenchClient, seq: number) => void } = {};
  const events: ClientEvents = {
    nodeIndex,
    onStarted: (c) => {
      startedCount += 1;
      resumeWatch.onStarted?.(c);
    },
    onDelivered: (c, seq, at) => {
      tracker.deliver(seq, c.node, performance.now() - at);
      resumeWatch.onDelivered?.(c, seq);
    },
  };
  const clients = people.map((p, i) => new BenchClient(i, p.username, p.token, p.room, p.partitionId, clusterRef.url, events));
  onCleanup('clients', () => clients.forEach((c) => c.close()));
  for (const c of clients) c.lastEventId = heads.get(c.partitionId)!;
  for (const c of clients) c.lastId = Number(c.lastEventId);
  log(`connecting ${clients.length} WebSocket clients through nginx…`);
  // One after another in small groups, so least_conn spreads them evenly.
  for (let i = 0; i < clients.length; i += 20) {
    const group = clients.slice(i, i + 20);
    group.forEach((c) => c.connect());
    await waitFor(() => startedCount >= i + group.length, 30_000);
  }
  if (!(await waitFor(() => startedCount >= clients.length, 30_000))) {
    throw new Error(`only ${startedCount} of ${clients.length} subscriptions started:\n${clients.flatMap((c) => c.errors).slice(0, 5).join('\n')}`);
  }
  const perNode = nodes.map((_, n) => clients.filter((c) => c.node === n).length);
  log(`clients per node: ${nodes.map((n, i) => `${n.id} ${perNode[i]}`).join(', ')}`);

  const roomMembers: BenchClient[][] = roomIds.map((_, r) => clients.filter((c) => c.room === r));

  // -------- measurement helpers
  const pgPids = async () =>
    (await db.client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> $2', [db.name, ownBackend])).rows.map(
      (r) => r.pid,
    );
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

  let inFlight = 0;
  const sendErrors: string[] = [];
  let stepErrors = 0;
  let stepAcked = 0;
  const send = async (room: number, step: number): Promise<void> => {
    const members = roomMembers[room]!;
    const at = performance.now();
    const seq = tracker.add(room, step, at);
    const sender = members[seq % members.length]!;
    const input = { partitionId: roomPartition[room], roomId: roomIds[room], clientId: uuidv7(), body: `b|${step}|${seq}|${at.toFixed(3)}` };
    inFlight += 1;
    try {
      if (opts.send === 'ws' && sender.socket?.open) {
        const node = sender.node;
        await sender.socket.mutate('message.send', input);
        tracker.origin[seq] = node;
      } else {
        const r = await http.mutation('message.send', input, sender.token);
        tracker.origin[seq] = nodeIndex(r.upstream);
      }
      tracker.acked[seq] = 1;
      if (tracker.step[seq] === step) stepAcked += 1;
    } catch (error) {
      stepErrors += 1;
      if (sendErrors.length < 20) sendErrors.push(error instanceof Error ? error.message : String(error));
    } finally {
      inFlight -= 1;
    }
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
    for (const p of partitionIds) {
      const prefix = `b|${step}|%`;
      const r = await db.client.query<{ n: number; last: number | null }>(
        `select count(*)::int as n, (extract(epoch from max(created_at)) * 1000)::float8 as last from "messages_${p}" where body like $1`,
        [prefix],
      );
      persisted += r.rows[0]!.n;
      last = Math.max(last, r.rows[0]!.last ?? 0);
      // One group commit is one transaction: its rows share now(), the transaction's start time.
      const b = await db.client.query<{ n: number }>(`select count(*)::int as n from "messages_${p}" where body like $1 group by created_at`, [prefix]);
      sizes.push(...b.rows.map((row) => row.n));
    }
    return { persisted, last, sizes };
  };

  const pgXacts = async () =>
    Number(
      (await db.client.query<{ n: string }>('select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1', [db.name]))
        .rows[0]!.n,
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

  const results: StepResult[] = [];
  let stepNo = 0;
  const runStep = async (kind: 'latency' | 'knee', rate: number, seconds: number): Promise<StepResult> => {
    await quiesce();
    const step = ++stepNo;
    const label = kind === 'latency' ? `latency @ ${rate}/s` : `${rate}/s`;
    tracker.beginStep(step);
    stepErrors = 0;
    stepAcked = 0;
    sendErrors.length = 0;
    const dup0 = tracker.duplicates;
    const stopQueues = watchQueues();
    const xact0 = await pgXacts();
    const redis0 = await redisCounts();
    const tCounts0 = performance.now();
    const cpu0 = await readCpu();
    const wall0 = Date.now();
    const t0 = performance.now();
    const total = Math.round(rate * seconds);
    let offered = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - t0;
        const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
        while (offered < due && inFlight < MAX_IN_FLIGHT) {
          void send(offered % opts.rooms, step);
          offered += 1;
        }
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 2);
    });
    const tSent = performance.now();
    await waitFor(() => inFlight === 0, 60_000);
    const expectedOf = () => {
      let e = 0;
      for (let s = tracker.sentAt.length - 1; s >= 0 && tracker.step[s]! >= step; s--) {
        if (tracker.step[s] === step && tracker.acked[s]) e += roomMembers[tracker.room[s]!]!.length;
      }
      return e;
    };
    const expected = expectedOf();
    await waitFor(() => tracker.stepDelivered >= expected, 20_000, 20);
    const drainMs = performance.now() - tSent;
    const cpu1 = await readCpu();
    const redis1 = await redisCounts();
    const redisWindowS = (performance.now() - tCounts0) / 1000;
    const maxQueued = await stopQueues();
    // Backends report their transaction counts within a second of going idle.
    await sleep(1100);
    const xact1 = await pgXacts();
    const pgWindowS = (performance.now() - tCounts0) / 1000;
    // Net of the background (and of this script's own INFO), per command.
    const redisDelta = [...redis1]
      .map(([command, calls]) => ({
        command,
        calls: Math.round(calls - (redis0.get(command) ?? 0) - (command === 'info' ? 1 : 0) - (background.redisPerS.get(command) ?? 0) * redisWindowS),
      }))
      .filter((c) => c.calls > 0);
    redisDelta.sort((a, b) => b.calls - a.calls);
    const { persisted, last, sizes } = await persistedOf(step);
    const windowS = Math.max(seconds, (last - wall0) / 1000);
    const sameLat: number[] = [];
    const crossLat: number[] = [];
    for (let i = 0; i < tracker.dSeq.length; i++) {
      const origin = tracker.origin[tracker.dSeq[i]!]!;
      const node = tracker.dNode[i]!;
      if (origin < 0 || node < 0) continue;
      (origin === node ? sameLat : crossLat).push(tracker.dLat[i]!);
    }
    const all = percentiles([...tracker.dLat]);
    const batchP = percentiles([...sizes]);
    const result: StepResult = {
      label,
      kind,
      targetRate: rate,
      seconds,
      offered,
      acked: stepAcked,
      errors: stepErrors,
      errorSamples: [...new Set(sendErrors)].slice(0, 5),
      persisted,
      persistedRate: persisted / windowS,
      expectedDeliveries: expected,
      deliveries: tracker.stepDelivered,
      lost: Math.max(0, expected - tracker.stepDelivered),
      duplicates: tracker.duplicates - dup0,
      drainMs,
      all,
      same: percentiles(sameLat),
      cross: percentiles(crossLat),
      batches: batchP ? { count: sizes.length, mean: persisted / sizes.length, p50: batchP.p50, p99: batchP.p99, max: batchP.max } : null,
      maxQueued,
      cpu: cpuUsed(cpu0, cpu1),
      // minus this script's own two readings
      pgTransactions: Math.max(0, Math.round(xact1 - xact0 - 2 - background.pgPerS * pgWindowS)),
      redisCommands: redisDelta.reduce((sum, c) => sum + c.calls, 0),
      redisTop: redisDelta.slice(0, 6),
      pass: true,
      why: '',
    };
    const problems: string[] = [];
    if (result.errors) problems.push(`${result.errors} sends failed (${result.errorSamples[0] ?? ''})`);
    if (result.persisted < result.acked) problems.push(`${result.acked - result.persisted} acknowledged sends not in the table`);
    if (result.lost) problems.push(`${result.lost} deliveries missing after 20 s`);
    if (result.offered < total) problems.push(`only ${result.offered} of ${total} sends could be offered (${MAX_IN_FLIGHT} were waiting for an answer)`);
    if (result.persistedRate < 0.95 * rate) problems.push(`persisted ${num(result.persistedRate)}/s < 95% of ${rate}/s`);
    if (all && all.p99 > opts.p99BoundMs) problems.push(`p99 ${num(all.p99)} ms > ${opts.p99BoundMs} ms`);
    result.pass = problems.length === 0;
    result.why = problems.join('; ');
    results.push(result);
    const c = result.cpu;
    log(
      `${label.padEnd(16)} offered ${offered}, persisted ${persisted} (${num(result.persistedRate)}/s), delivered ${result.deliveries}/${expected}, ` +
        `p50 ${ms(all?.p50)} p99 ${ms(all?.p99)} (same ${ms(result.same?.p99)}, cross ${ms(result.cross?.p99)}), ` +
        `batch mean ${num(result.batches?.mean)} max ${result.batches?.max ?? '—'}, nodes ${num((c.nodesMs / c.wallMs) * 100)}% CPU, ` +
        `machine ${num((c.machineBusyMs / c.machineTotalMs) * 100)}% busy; per message ${num(result.pgTransactions / Math.max(1, result.acked), 1)} PG tx, ` +
        `Redis ${result.redisTop.map((t) => `${t.command} ${num(t.calls / Math.max(1, result.acked), 1)}`).join(', ')}${result.pass ? '' : ` — ${result.why}`}`,
    );
    return result;
  };

  /** `--profile`: the preload samples between the first and the second SIGUSR2. */
  const toggleProfile = () => {
    if (opts.profile) for (const n of nodes) if (n.pid) process.kill(n.pid, 'SIGUSR2');
  };
  toggleProfile();

  await measureBackground(opts.quick ? 2 : 4, opts.quick ? 2000 : 10_000);
  log(`background with no traffic: ${num(background.pgPerS, 1)} PostgreSQL transactions/s, ${num([...background.redisPerS.values()].reduce((a, b) => a + b, 0), 1)} Redis commands/s (subtracted from each step's counts)`);

  // -------- 1. latency at a moderate rate
  log(`latency: ${opts.rate} messages/s for ${opts.latencySeconds} s over ${opts.rooms} rooms (${opts.send} sends)…`);
  // On a shared machine: when other work took more than a quarter of a core, try again (twice at
  // most; not with --quick); the report shows every try and takes the quietest for the headline.
  const latencyTries: StepResult[] = [];
  const otherShare = (t: StepResult) => t.cpu.otherMs / t.cpu.wallMs;
  do {
    if (latencyTries.length) log(`latency: other work took ${num(otherShare(latencyTries.at(-1)!) * 100, 0)}% of a core; again…`);
    latencyTries.push(await runStep('latency', opts.rate, opts.latencySeconds));
  } while (latencyTries.length < (opts.quick ? 1 : 3) && otherShare(latencyTries.at(-1)!) > 0.25);
  const latency = [...latencyTries].sort((a, b) => otherShare(a) - otherShare(b))[0]!;

  // -------- 2. the knee
  log(`knee: ${opts.rates.join(', ')} messages/s, ${opts.stepSeconds} s each, until the persisted rate stops following or p99 > ${opts.p99BoundMs} ms…`);
  const knee: StepResult[] = [];
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  for (const rate of opts.rates) {
    const r = await runStep('knee', rate, opts.stepSeconds);
    knee.push(r);
    if (!r.pass) {
      firstFail = rate;
      break;
    }
    lastPass = rate;
  }
  // Narrow it down: halfway between the last rate that kept up and the first that did not (twice; once with --quick).
  for (let i = 0; i < (opts.quick ? 1 : 2) && lastPass !== null && firstFail !== null; i++) {
    const unit = firstFail - lastPass > 200 ? 50 : 10;
    const mid = Math.round((lastPass + firstFail) / 2 / unit) * unit;
    if (mid <= lastPass || mid >= firstFail) break;
    const r = await runStep('knee', mid, opts.stepSeconds);
    knee.push(r);
    if (r.pass) lastPass = mid;
    else firstFail = mid;
  }
  toggleProfile();
  const kneeStep = [...knee].filter((r) => r.pass).sort((a, b) => b.targetRate - a.targetRate)[0] ?? null;
  const bestPersisted = [...results].sort((a, b) => b.persistedRate - a.persistedRate)[0] ?? null;

  // Every message of the run is in the database, once.
  let rowsTotal = 0;
  let eventsTotal = 0;
  for (const p of partitionIds) {
    rowsTotal += (await db.client.query<{ n: number }>(`select count(*)::int as n from "messages_${p}" where body like 'b|%'`)).rows[0]!.n;
    eventsTotal += (
      await db.client.query<{ n: number }>(
        `select count(*)::int as n from "events_${p}" where type = 'message.created' and data->>'body' like 'b|%'`,
      )
    ).rows[0]!.n;
  }
  const ackedTotal = tracker.acked.reduce((s, a) => s + a, 0);
  log(`every message: ${ackedTotal} acknowledged, ${rowsTotal} rows in messages_*, ${eventsTotal} message.created events in events_*`);


  // -------- 5. kill -9 and resume
  const resume = await measureResume();

  // -------- 4. RSS per idle connection, last, on a node of its own started for it (fresh: no load
  // step's garbage or freed pages in its baseline; and the connections' aftermath, such as
  // presence's grace period, cannot slow a later step)
  let rss: RssResult | null = null;
  if (opts.idle > 0) {
    const idleNode = createNodeProcess({ id: 'node-idle', port: await freePort(), env: { ...env, DATABASE_URL: db.url, REDIS_URL: redis.url } });
    onCleanup('idle node', async () => void (await idleNode.stop('SIGTERM')));
    log(`RSS: starting node-idle (not behind nginx) for ${opts.idle} idle connections…`);
    await idleNode.start();
    rss = await measureIdle(idleNode, people.slice(0, idleUsers).map((p) => p.token), opts.idle);
    await idleNode.stop('SIGTERM');
  }

  // -------- report
  info.loadAfter = loadAverage();
  info.uptimeAfter = sh('uptime', []);
  clients.forEach((c) => c.close());
  await cluster.stop();
  let profiles: { node: string; summary: ProfileSummary }[] = [];
  if (profileDir) {
    profiles = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f, i) => ({ node: `profile ${i + 1} (${f})`, summary: summarizeProfile(join(profileDir!, f)) }));
  }
  const report = {
    opts,
    commandLine,
    info,
    perNode,
    latency,
    latencyTries,
    background: { pgPerS: background.pgPerS, redisPerS: [...background.redisPerS.values()].reduce((a, b) => a + b, 0) },
    knee,
    kneeStep,
    bestPersisted,
    rowsTotal,
    eventsTotal,
    ackedTotal,
    duplicatesTotal: tracker.duplicates,
    rss,
    resume,
    callCosts,
    profiles,
    nodeIds: nodes.map((n) => n.id),
    logs: nodeLogs.filter((l) => /"level":(50|60)/.test(l)).slice(0, 10),
  };
  console.log(`\n${renderText(report)}`);
  if (opts.out) {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, renderMarkdown(report));
    log(`written to ${opts.out}`);
  }

  // ---------------------------------------------------------------------------------------------

  async function measureIdle(node: NodeProcess, tokens: string[], count: number): Promise<RssResult> {
    log(`RSS: ${count} idle WebSockets straight to ${node.id} (${node.url}, not through nginx), each with an event.onEvent subscription…`);
    /** RSS after a full collection (the preload's SIGWINCH), so garbage does not count. */
    const rssAfterGc = async () => {
      if (node.pid) process.kill(node.pid, 'SIGWINCH');
      await sleep(1500);
      return rssBytes(node.pid) ?? 0;
    };
    /** V8's heap in use and the memory held outside it (Buffers), from the node's own /metrics (prom-client's defaults). */
    const heap = async () => {
      try {
        const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
        const pick = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
        return { used: pick('nodejs_heap_size_used_bytes'), external: pick('nodejs_external_memory_bytes') };
      } catch {
        return { used: NaN, external: NaN };
      }
    };
    const rssBefore = await rssAfterGc();
    const heapBefore = await heap();
    const sockets: TrpcSocket[] = [];
    onCleanup('idle sockets', () => sockets.forEach((s) => s.close()));
    let failedToOpen = 0;
    const t0 = performance.now();
    await pool(
      Array.from({ length: count }, (_, i) => i),
      100,
      async (i) => {
        const socket = new TrpcSocket(node.url, tokens[i % tokens.length]!);
        sockets.push(socket);
        try {
          await socket.opened;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no started within 30 s')), 30_000);
            socket.subscribe(
              'event.onEvent',
              { partitionId: IDLE_PARTITION, lastEventId: null },
              {
                onStarted: () => {
                  clearTimeout(timer);
                  resolve();
                },
                onData: () => {},
                onError: (e) => {
                  clearTimeout(timer);
                  reject(e);
                },
              },
            );
          });
        } catch {
          failedToOpen += 1;
        }
      },
    );
    const openSeconds = (performance.now() - t0) / 1000;
    const opened = sockets.filter((s) => s.open).length;
    log(`RSS: ${opened} open in ${openSeconds.toFixed(1)} s (${failedToOpen} failed); settling…`);
    // Idle for a while: what the connections cost at rest (presence heartbeats, keep-alive pings).
    await sleep(opts.quick ? 1500 : 3000);
    const cpuA = cpuOf([node.pid!]);
    const tA = performance.now();
    await sleep(opts.quick ? 3000 : 5000);
    const cpuB = cpuOf([node.pid!]);
    const idleCpuPercent = (cpuDelta(cpuA, cpuB) / (performance.now() - tA)) * 100;
    const rssNoGc = rssBytes(node.pid) ?? 0;
    const rssAfter = await rssAfterGc();
    const heapAfter = await heap();
    let healthConnections: number | null = null;
    try {
      healthConnections = ((await (await fetch(`${node.url}/health`)).json()) as { connections: number }).connections;
    } catch {
      healthConnections = null;
    }
    sockets.forEach((s) => s.close());
    sockets.length = 0;
    await sleep(3000);
    const r: RssResult = {
      node: node.id,
      connections: count,
      opened,
      failedToOpen,
      openSeconds,
      rssBefore,
      rssAfter,
      perTenThousand: opened ? ((rssAfter - rssBefore) / opened) * 10_000 : 0,
      healthConnections,
      idleCpuPercent,
      rssAfterClose: rssBytes(node.pid) ?? null,
      rssBeforeGc: rssNoGc,
      heapPerTenThousand: opened ? ((heapAfter.used - heapBefore.used) / opened) * 10_000 : NaN,
      externalPerTenThousand: opened ? ((heapAfter.external - heapBefore.external) / opened) * 10_000 : NaN,
    };
    log(
      `RSS: ${node.id} ${mib(rssBefore)} → ${mib(rssAfter)} with ${opened} idle subscribed sockets (${mib(r.perTenThousand)} per 10,000; ` +
        `V8 heap in use ${signedMib(r.heapPerTenThousand)}, external ${signedMib(r.externalPerTenThousand)} per 10,000); ` +
        `idle CPU ${num(idleCpuPercent)}%; /health connections ${healthConnections}`,
    );
    return r;
  }

  async function measureResume(): Promise<ResumeResult> {
    await quiesce();
    const victimIndex = nodes.length - 1;
    const victim = nodes[victimIndex]!;
    const onVictim = clients.filter((c) => c.node === victimIndex);
    log(`resume: kill -9 ${victim.id} (pid ${victim.pid}) with ${onVictim.length} of ${clients.length} clients on it…`);
    const step = ++stepNo;
    tracker.beginStep(step);
    const markerOf = new Map<number, number>(); // room → seq of its marker
    const resumedAt = new Map<BenchClient, number>();
    const startedAt = new Map<BenchClient, number>();
    const victims = new Set(onVictim);
    let t0 = 0;
    resumeWatch.onStarted = (c) => {
      if (victims.has(c) && t0 && !startedAt.has(c)) startedAt.set(c, performance.now() - t0);
    };
    resumeWatch.onDelivered = (c, seq) => {
      if (victims.has(c) && markerOf.get(c.room) === seq && !resumedAt.has(c)) resumedAt.set(c, performance.now() - t0);
    };
    const dup0 = tracker.duplicates;
    t0 = performance.now();
    await victim.stop('SIGKILL');
    if (nodes.length === 1) {
      // Nothing is left to serve them: the lone node comes back (its start-up counts in the resume time).
      await victim.start();
    }
    // A message in every room, sent after the kill (through nginx, which routes around the dead node).
    const markers = roomIds.map(async (_, room) => {
      const members = roomMembers[room]!;
      const sender = members.find((m) => !victims.has(m)) ?? members[0]!;
      const at = performance.now();
      const seq = tracker.add(room, step, at);
      markerOf.set(room, seq);
      // The outbox's way: the same clientId again after a failure (a 502 from nginx).
      const input = { partitionId: roomPartition[room], roomId: roomIds[room], clientId: uuidv7(), body: `b|${step}|${seq}|${at.toFixed(3)}` };
      for (let retry = 0; retry < 50; retry++) {
        try {
          const r = await http.mutation('message.send', input, sender.token);
          tracker.origin[seq] = nodeIndex(r.upstream);
          tracker.acked[seq] = 1;
          return;
        } catch {
          await sleep(200);
        }
      }
    });
    await Promise.all(markers);
    const done = await waitFor(() => onVictim.every((c) => resumedAt.has(c) || c.failed), 60_000, 10);
    if (!done) log(`resume: ${onVictim.length - resumedAt.size} clients not resumed within 60 s`);
    const times = [...resumedAt.values()];
    const p = percentiles([...times]);
    const s = percentiles([...startedAt.values()]);
    const markersExpected = roomIds.reduce((sum, _, room) => sum + roomMembers[room]!.length, 0);
    await waitFor(() => tracker.stepDelivered >= markersExpected, 10_000);
    resumeWatch.onStarted = undefined;
    resumeWatch.onDelivered = undefined;
    const restarted = nodes.length === 1;
    const r: ResumeResult = {
      victim: victim.id,
      clientsOnVictim: onVictim.length,
      resumed: resumedAt.size,
      failed: onVictim.filter((c) => c.failed).length,
      p50: p?.p50 ?? null,
      p99: p?.p99 ?? null,
      max: p?.max ?? null,
      resubscribedP99: s?.p99 ?? null,
      markersDelivered: tracker.stepDelivered,
      markersExpected,
      duplicates: tracker.duplicates - dup0,
      restarted,
    };
    log(
      `resume: ${r.resumed}/${r.clientsOnVictim} resumed; p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} from the kill ` +
        `(subscription re-established p99 ${ms(r.resubscribedP99)}); markers delivered ${r.markersDelivered}/${markersExpected}`,
    );
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Reports

type Report = {
  opts: Options;
  commandLine: string;
  info: MachineInfo;
  perNode: number[];
  latency: StepResult;
  /** Every latency step run (more than one when other work disturbed it); `latency` is the quietest. */
  latencyTries: StepResult[];
  /** PostgreSQL transactions and Redis commands per second with no traffic, subtracted from the steps' counts. */
  background: { pgPerS: number; redisPerS: number };
  knee: StepResult[];
  kneeStep: StepResult | null;
  bestPersisted: StepResult | null;
  rowsTotal: number;
  eventsTotal: number;
  ackedTotal: number;
  duplicatesTotal: number;
  rss: RssResult | null;
  resume: ResumeResult;
  callCosts: CallCost[];
  profiles: { node: string; summary: ProfileSummary }[];
  nodeIds: string[];
  logs: string[];
};

const signedMib = (bytes: number) => (Number.isFinite(bytes) ? `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}` : '—');
const pctl = (p: Percentiles | null) => (p ? `${num(p.p50)} / ${num(p.p99)} ms` : '—');
const usPer = (cpuMs: number, count: number) => (count ? (cpuMs * 1000) / count : null);

function headline(r: Report): string[][] {
  const l = r.latency;
  const k = r.kneeStep;
  const cpuRow = (s: StepResult) =>
    `${num(usPer(s.cpu.nodesMs, s.deliveries))} µs (${num(usPer(s.cpu.nodesMs, s.persisted))} µs per message sent; +nginx ${num(usPer(s.cpu.nginxMs, s.deliveries))}, PostgreSQL ${num(usPer(s.cpu.pgMs, s.deliveries))}, Redis ${num(usPer(s.cpu.redisMs, s.deliveries))} µs)`;
  const other = (s: StepResult) => `other work on the machine ${num((s.cpu.otherMs / s.cpu.wallMs) * 100, 0)}% of a core`;
  const rows: string[][] = [
    ['same-node delivery p50 / p99', pctl(l.same), '< 50 ms (same server)', `${l.label}, ${l.same?.count ?? 0} deliveries; ${other(l)}`],
    ['cross-node delivery p50 / p99', pctl(l.cross), '< 100 ms (cross-server via Redis)', `${l.label}, ${l.cross?.count ?? 0} deliveries; ${other(l)}`],
    [
      'persisted messages/s at the knee',
      k ? `${num(k.persistedRate, 0)}/s (${num(k.deliveries / k.seconds, 0)} deliveries/s)` : 'none passed',
      '1,000+ per server instance',
      k
        ? `step ${k.label} (p99 ${num(k.all?.p99)} ms; every send persisted: ${k.persisted}/${k.acked}; ${other(k)}); highest persisted ${num(r.bestPersisted?.persistedRate, 0)}/s at ${r.bestPersisted?.label}`
        : `highest persisted ${num(r.bestPersisted?.persistedRate, 0)}/s at ${r.bestPersisted?.label}`,
    ],
    ['server CPU per delivered message', cpuRow(l), '—', `all nodes, ${l.label}`],
  ];
  if (k) rows.push(['server CPU per delivered message (knee)', cpuRow(k), '—', `all nodes, ${k.label}`]);
  rows.push(
    r.rss
      ? [
          'RSS per 10,000 idle connections',
          mib(r.rss.perTenThousand),
          '10,000+ connections per instance; ~100–200 MB RAM per instance',
          `${r.rss.opened} subscribed sockets on ${r.rss.node}: ${mib(r.rss.rssBefore)} → ${mib(r.rss.rssAfter)} (V8 heap in use ${signedMib(r.rss.heapPerTenThousand)}, external ${signedMib(r.rss.externalPerTenThousand)} per 10,000); idle CPU ${num(r.rss.idleCpuPercent)}%`,
        ]
      : ['RSS per 10,000 idle connections', 'skipped (--idle 0)', '', ''],
  );
  const res = r.resume;
  rows.push([
    '99% of clients resumed after kill -9',
    ms(res.p99),
    '—',
    `${res.resumed}/${res.clientsOnVictim} clients of ${res.victim}; p50 ${ms(res.p50)}, max ${ms(res.max)}; the client's backoff waits 1–2 s before the first retry`,
  ]);
  return rows;
}

function stepRows(steps: StepResult[]): string[][] {
  return steps.map((s) => [
    s.label,
    String(s.offered),
    `${s.persisted}/${s.acked}`,
    num(s.persistedRate, 0),
    `${s.deliveries}/${s.expectedDeliveries}`,
    pctl(s.all),
    pctl(s.same),
    pctl(s.cross),
    s.batches ? `${num(s.batches.mean, 1)} / ${s.batches.p99} / ${s.batches.max}` : '—',
    String(s.maxQueued),
    s.acked ? `${num(s.pgTransactions / s.acked, 1)} / ${num(s.redisCommands / s.acked, 1)}` : '—',
    num(usPer(s.cpu.nodesMs, s.deliveries)),
    `${num((s.cpu.nodesMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.nginxMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.pgMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.redisMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.generatorMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.otherMs / s.cpu.wallMs) * 100, 0)}`,
    num((s.cpu.machineBusyMs / s.cpu.machineTotalMs) * 100, 0),
    s.kind === 'latency' ? '' : s.pass ? 'yes' : `no: ${s.why}`,
  ]);
}

const STEP_HEADER = [
  'step',
  'offered',
  'persisted/acked',
  'persisted/s',
  'delivered/expected',
  'p50 / p99',
  'same-node p50 / p99',
  'cross-node p50 / p99',
  'batch mean / p99 / max',
  'max queued',
  'per message: PG tx / Redis cmds',
  'node µs/delivery',
  'CPU % nodes / nginx / pg / redis / generator / other',
  'machine busy %',
  'keeps up',
];

const COST_HEADER = ['call (one node, no nginx, 4 in flight)', 'node CPU per call', 'wall per call'];
const costRows = (costs: CallCost[]) => costs.map((c) => [c.call, `${num(c.cpuUs, 0)} µs`, `${num(c.wallUs, 0)} µs`]);

function renderText(r: Report): string {
  return [
    `Parley benchmark — ${r.info.date}, ${r.info.nproc} cores (${r.info.cpuModel}), load before ${r.info.loadBefore.join(' ')}, after ${r.info.loadAfter?.join(' ')}`,
    `${r.commandLine}: ${r.opts.nodes} nodes, ${r.opts.clients} clients (${r.perNode.join('/')} per node), ${r.opts.rooms} rooms in ${r.opts.partitions} workspace(s), ${r.opts.send} sends`,
    '',
    textTable(['measure', 'Parley', 'seed claim', 'how'], headline(r)),
    '',
    textTable(STEP_HEADER, stepRows([...r.latencyTries, ...r.knee])),
    '',
    `every message: ${r.ackedTotal} acknowledged, ${r.rowsTotal} rows, ${r.eventsTotal} events; duplicates seen by clients: ${r.duplicatesTotal}`,
    '',
    textTable(COST_HEADER, costRows(r.callCosts)),
    ...r.profiles.flatMap((p) => ['', `CPU profile ${p.node}: ${num(p.summary.totalMs, 0)} ms busy`, ...p.summary.areas.slice(0, 12).map((a) => `  ${num(a.share * 100, 1).padStart(5)}%  ${a.area}`), '  top functions (self time):', ...p.summary.functions.slice(0, 15).map((f) => `  ${num(f.share * 100, 1).padStart(5)}%  ${f.name}`), '  socket writes by caller:', ...p.summary.writesBy.slice(0, 8).map((a) => `  ${num(a.share * 100, 1).padStart(5)}%  ${a.area}`), '  Parley functions (total time, callees included):', ...p.summary.parley.slice(0, 15).map((f) => `  ${num(f.share * 100, 1).padStart(5)}%  ${f.name}`)]),
  ].join('\n');
}

function renderMarkdown(r: Report): string {
  const i = r.info;
  const o = r.opts;
  const l = r.latency;
  const k = r.kneeStep;
  const cpuShare = (s: StepResult) => (s.cpu.nodesMs / s.cpu.wallMs) * 100;
  return `# Benchmarks

Written by \`pnpm bench\` (scripts/bench.ts); run it again to refresh this page. The numbers
are from one machine, shared with other work: read the load figures before comparing runs.

## Machine and run

| | |
| --- | --- |
| date | ${i.date} |
| machine | ${i.nproc} cores (\`nproc\`), ${i.cpuModel}, ${i.memory} RAM |
| load (\`uptime\`) | before: ${i.uptimeBefore}<br>after: ${i.uptimeAfter ?? '—'} |
| software | Node ${i.node}, PostgreSQL ${i.postgres}, Redis ${i.redis}, nginx ${i.nginx} |
| command | \`${r.commandLine}\` |
| topology | ${o.nodes} Parley node process${o.nodes === 1 ? '' : 'es'} behind nginx (the repository's nginx.conf, rendered by \`@parley/scripts/cluster\`), one fresh PostgreSQL database, a private redis-server; all on this machine, with the load generator |
| clients | ${o.clients} WebSocket clients through nginx (${r.perNode.map((n, j) => `${r.nodeIds[j]} ${n}`).join(', ')}), client *i* in room *i* mod ${o.rooms}, ${o.rooms} rooms in ${o.partitions} workspace${o.partitions === 1 ? '' : 's'} (${Math.round(o.clients / o.rooms)} people per room); each one \`event.onEvent\` subscription |
| sends | ${o.send === 'http' ? 'tRPC HTTP `POST /trpc/message.send?batch=1` through nginx, as `@parley/client` sends in a browser (cookie session; keep-alive, up to 256 connections)' : 'tRPC mutations over each sender\'s own WebSocket, as `@parley/client` sends with a token while its socket is open'}, open loop, round-robin over the rooms, sender a member of the room |
| steps | latency ${o.rate} msg/s for ${o.latencySeconds} s; knee ${o.rates.join(', ')} msg/s, ${o.stepSeconds} s each, until a step fails, then ${o.quick ? 'one step' : 'two steps'} halfway between the last that kept up and the first that did not; each step starts once the nodes are quiet (under 15% of a core); a step fails when a send fails, a message is missing from the table or from a client, the persisted rate is below 95% of the offered one, or p99 delivery > ${o.p99BoundMs} ms |
| limits | open files ${i.openFiles}; local ports ${i.portRange}; nginx \`worker_connections 4096\` |

## Results
${noiseNote(r)}

${markdownTable(['measure', 'Parley', 'seed claim (004)', 'how / where'], headline(r))}

Every step (latency first, then the knee; a latency step disturbed by other work is tried again):

${markdownTable(STEP_HEADER, stepRows([...r.latencyTries, ...r.knee]))}

Per message sent at ${l.label}: ${num(l.pgTransactions / Math.max(1, l.acked), 1)} PostgreSQL transactions (\`pg_stat_database\`: each autocommit query is one) and ${num(l.redisCommands / Math.max(1, l.acked), 1)} Redis commands (${l.redisTop.map((t) => `${t.command} ${num(t.calls / Math.max(1, l.acked), 1)}`).join(', ')}; \`INFO commandstats\` of the private redis-server; commands inside a script count as well as the EVALSHA), net of what the cluster does with no traffic (${num(r.background.pgPerS, 1)} transactions/s and ${num(r.background.redisPerS, 1)} commands/s: heartbeats, leases, safety polls, presence, this script's \`/health\` polling). Approximate: a PostgreSQL backend reports its counts when it goes idle, at most once a second and sometimes up to 10 s late, so a step's last transactions can land in the next step's window.

Node CPU per call, by procedure (${r.callCosts[0]?.calls ?? 0} calls of each, 4 in flight, straight to node-1, in a workspace nobody watches, so no delivery is included):

${markdownTable(COST_HEADER, costRows(r.callCosts))}

Every message of the run (before the kill): ${r.ackedTotal} acknowledged, ${r.rowsTotal} rows in \`messages_*\`, ${r.eventsTotal} \`message.created\` events in \`events_*\`; deliveries seen twice by a client: ${r.duplicatesTotal}.
${r.resume ? `After the kill: ${r.resume.markersDelivered}/${r.resume.markersExpected} deliveries of the messages sent after it, ${r.resume.duplicates} duplicates, ${r.resume.failed} clients FAILED.` : ''}
${r.rss ? `Idle sockets: ${r.rss.opened} of ${r.rss.connections} opened and subscribed in ${num(r.rss.openSeconds, 1)} s (${r.rss.failedToOpen} failed); ${r.rss.node}'s /health counted ${r.rss.healthConnections}; RSS with them ${mib(r.rss.rssBeforeGc)} before a full GC, ${mib(r.rss.rssAfter)} after; ${mib(r.rss.rssAfterClose)} 3 s after closing them.` : ''}
${r.logs.length ? `\nErrors the nodes logged:\n\n\`\`\`\n${r.logs.join('\n')}\n\`\`\`\n` : ''}
## What this means

${summaryParagraph(r, cpuShare(l))}

## Where the CPU goes

${bottlenecks(r)}

## How each number is measured

- **Delivery latency** (${l.label}, ${o.latencySeconds} s): each message body carries its send
  time (\`b|step|seq|performance.now()\`, taken just before the request is issued); a receiver
  computes \`now − send time\` when the \`message.created\` event's WebSocket frame arrives (one
  process, one monotonic clock: no skew). Every delivery to every member of the room is a sample.
  *Same-node* means the receiver's WebSocket is on the node that committed and published the
  message (the node that answered the POST, from nginx's \`X-Parley-Node\` response header; the
  receiver's node is the same header on its upgrade response); *cross-node* means the event
  travelled through Redis to another node. Percentiles are nearest-rank.
- **Persisted messages/s at the knee**: rows counted in \`messages_<partition>\` per step
  (\`body like 'b|<step>|%'\`), divided by the longer of the step and the time from its start to
  its last commit (\`max(created_at)\`, the database clock), so a step whose commits trail behind
  the offered rate scores lower. The knee is the last step that kept up (see "steps" above).
  **Group commit batch sizes** are read from the same rows: a batch is one transaction, and its
  rows share \`now()\` (\`created_at\`), so \`group by created_at\` gives each batch's size, per
  step. The nodes expose the same since their start (\`/health\` → \`groupCommit\`, \`/metrics\` →
  \`parley_group_commit_batch_size\`) and the queue depth (\`/health\` →
  \`queues.sendsWaitingToCommit\`, polled every 500 ms: "max queued").
- **CPU per delivered message**: utime + stime from \`/proc/<pid>/stat\` of every node process
  (\`NodeProcess.pid\`), before and after a step (including the drain until every delivery
  arrived), divided by the deliveries of that step. nginx (master and workers), PostgreSQL (the
  backends connected to the run's database; not its shared WAL writer and checkpointer), the
  private redis-server and the generator are read the same way; "other" is the machine's busy
  time (\`/proc/stat\`) minus all of them: other people's work on the machine.
- **RSS per 10,000 idle connections**: ${r.rss ? `${r.rss.opened} WebSockets opened straight to ${r.rss.node}'s port (not through nginx, whose 4096 worker connections and the local port range would be the limit), each authenticated (\`connectionParams\` token, ${Math.min(o.clients, 100)} users' sessions shared) with an \`event.onEvent\` subscription to a workspace of its own with no traffic; VmRSS from \`/proc/<pid>/status\`, each time after a full garbage collection (the bench's preload in the node runs \`gc()\` on SIGWINCH), before opening them and ${o.quick ? 5 : 8} s after the last one opened; the difference is scaled to 10,000. It runs last, on a node of its own (\`node-idle\`, same database and Redis, not behind nginx) started for this step, so its baseline is a fresh node with no connections and no load step's garbage. RSS moves by tens of MiB between runs (freed pages are kept and reused by the allocator); the V8 heap in use after the GC, from the node's \`/metrics\` (\`nodejs_heap_size_used_bytes\`), is the steadier part of it. Idle CPU is the node's CPU over ${o.quick ? 3 : 5} s with them open.` : 'skipped.'}
- **Resume after kill -9**: ${r.resume.clientsOnVictim} clients were on ${r.resume.victim} when it got SIGKILL. Each client
  reconnects as \`@parley/client\` does (a raw \`ws\` client mirroring its connection state machine:
  backoff \`min(1000·2^attempt + random(0..1000), 30000)\` ms, a new socket through nginx, the
  subscription again with \`lastEventId\`), which the benchmark implements itself to stay light.
  Right after the kill one message is sent into every room (through nginx, retried with the same
  \`clientId\` on a 502 as the outbox does). A client counts as resumed when that message reaches
  it; the time is from the kill. The backoff alone puts the first retry 1–2 s after the loss, so
  about 2 s is the floor by design, not server time.${r.resume.restarted ? ' With one node, the node is started again after the kill, and its start-up is part of the time.' : ''}

The load generator is one Node process speaking tRPC's WebSocket protocol directly over \`ws\`
(connectionParams, \`subscription\` with \`lastEventId\`, \`PING\`/\`PONG\`) and tRPC's batched
HTTP POST, no \`@trpc/client\` observables; its CPU share is in the table. It runs on the same
2 cores as everything else, so the nodes never have the machine to themselves.
${r.profiles.length ? `\n## CPU profile (\`--profile\`: the nodes ran with \`--cpu-prof\`, so this run's other numbers are slower)\n\n${r.profiles.map((p) => `### ${p.node}: ${num(p.summary.totalMs, 0)} ms on CPU\n\n${markdownTable(['share', 'where'], p.summary.areas.slice(0, 12).map((a) => [`${num(a.share * 100, 1)}%`, a.area]))}\n\n${markdownTable(['share', 'function (self time)'], p.summary.functions.slice(0, 20).map((f) => [`${num(f.share * 100, 1)}%`, f.name]))}\n\n${markdownTable(['share of all samples', 'socket writes (writev, writeUtf8String) made by'], p.summary.writesBy.slice(0, 8).map((a) => [`${num(a.share * 100, 1)}%`, a.area]))}\n\n${markdownTable(['share', 'Parley function (total time, callees included)'], p.summary.parley.slice(0, 20).map((f) => [`${num(f.share * 100, 1)}%`, f.name]))}`).join('\n\n')}\n` : ''}`;
}

/** A warning when other work took a real share of the machine during the steps. */
function noiseNote(r: Report): string {
  const steps = [...r.latencyTries, ...r.knee];
  const retried = r.latencyTries.length > 1 ? ` The latency step ran ${r.latencyTries.length} times because other work disturbed it; the headline is the quietest try.` : '';
  const worst = steps.reduce((a, b) => (b.cpu.otherMs / b.cpu.wallMs > a.cpu.otherMs / a.cpu.wallMs ? b : a));
  const share = (worst.cpu.otherMs / worst.cpu.wallMs) * 100;
  if (share < 20 && !retried) return '';
  return `\n> The machine was not quiet: other work took up to ${num(share, 0)}% of a core (step ${worst.label}; the "other" column), so those steps are slower than they would be on their own.${retried} Compare steps by that column, or run \`pnpm bench\` again when \`uptime\` shows a load well under 1.\n`;
}

function bottlenecks(r: Report): string {
  const l = r.latency;
  const k = r.kneeStep ?? r.bestPersisted ?? l;
  const cost = (prefix: string) => r.callCosts.find((c) => c.call.startsWith(prefix))?.cpuUs ?? null;
  const live = cost('GET /live');
  const httpMe = cost('HTTP auth.me');
  const wsMe = cost('WS auth.me');
  const httpSend = cost('HTTP message.send');
  const wsSend = cost('WS message.send');
  const send = r.opts.send === 'ws' ? wsSend : httpSend;
  const perSent = usPer(l.cpu.nodesMs, l.acked);
  const perSentKnee = usPer(k.cpu.nodesMs, k.acked);
  const receivers = l.acked ? l.expectedDeliveries / l.acked : 0;
  const perDelivery = perSent !== null && send !== null && receivers ? (perSent - send) / receivers : null;
  const share = (ms: number, s: StepResult) => num((ms / s.cpu.wallMs) * 100, 0);
  const pgTx = k.acked ? k.pgTransactions / k.acked : 0;
  const pgTxLatency = l.acked ? l.pgTransactions / l.acked : 0;
  const redisCmds = k.acked ? k.redisCommands / k.acked : 0;
  const redisCmdsLatency = l.acked ? l.redisCommands / l.acked : 0;
  const how = r.opts.send === 'ws' ? 'over its WebSocket (as `@parley/client` sends with a token)' : 'over HTTP (as a browser\'s `@parley/client` sends)';
  return [
    `- **The limit is CPU, and most of it is the nodes'.** At ${k.label} the machine was ${num((k.cpu.machineBusyMs / k.cpu.machineTotalMs) * 100, 0)}% busy; ` +
      `in % of one core: nodes ${share(k.cpu.nodesMs, k)}, PostgreSQL ${share(k.cpu.pgMs, k)}, nginx ${share(k.cpu.nginxMs, k)}, Redis ${share(k.cpu.redisMs, k)}, ` +
      `load generator ${share(k.cpu.generatorMs, k)}, other ${share(k.cpu.otherMs, k)}. Group commit does its part (batches grow with the rate, see the steps), ` +
      `so the database's share per message falls as the rate rises; it is not what stops the knee. The generator and nginx carry every delivery too ` +
      `(nginx proxies each WebSocket frame), so they grow with the deliveries, not with the sends.`,
    `- **Deliveries, not sends, are most of the nodes' work now.** A send ${how} costs the nodes ${num(send, 0)} µs of CPU before any delivery ` +
      `(one node, nobody subscribed: the cost-per-call table), and ${num(perSent, 0)} µs across the cluster with its ${num(receivers, 0)} deliveries at ` +
      `${l.label}, i.e. roughly ${num(perDelivery, 0)} µs per delivery. Under load it is cheaper per message (${num(perSentKnee, 0)} µs at ${k.label}: ` +
      `the event loop handles more per wake-up, group commit shares one statement), which for 1,000 messages/s with ${num(receivers, 0)} receivers each is ` +
      `${num(perSentKnee !== null ? perSentKnee / 1000 : null, 1)} cores for the nodes alone; this machine has ${r.info.nproc} for everything. ` +
      `A \`--profile\` run at the default settings (300 clients in 10 rooms, WebSocket sends, 600–900 messages/s) put about a third of each node's CPU in \`writev\` ` +
      `(one socket write per WebSocket frame, i.e. per delivery: \`ws\` writes each frame on its own), a fifth in @trpc/server's subscription machinery per ` +
      `yielded event (its WebSocket adapter's \`encode\` — a \`JSON.stringify\` per receiver —, \`createSubscribablePromise\`/\`race\` per step of the ` +
      `async iterator, \`_objectSpread2\`), and a tenth in garbage collection; the whole send path (\`sendMessage\`, rate limits, the group commit, ` +
      `the publish) is under a tenth. What would move the knee next: write one socket's frames together (cork the sockets a feed dispatch writes to, ` +
      `uncork after it), and serialize an event once per node rather than once per receiver (a fan-out beneath tRPC's per-subscription encoding).`,
    `- **The fan-out wakes only the streams that deliver.** A stream's \`FeedFilter\` (packages/api/src/features/event/event.service.ts) drops other ` +
      `rooms' events at the feed, before its queue, and each stream waits with one interval timer, not a timer per wait: with ${r.opts.rooms} rooms, ` +
      `${num(r.opts.rooms > 1 ? ((r.opts.rooms - 1) / r.opts.rooms) * 100 : 0, 0)}% of a workspace's streams never wake for a given message.`,
    `- **tRPC over HTTP costs about ${num(httpMe !== null && wsMe !== null ? httpMe - wsMe : null, 0)} µs per call more than over the WebSocket**: \`auth.me\` ` +
      `${num(httpMe, 0)} µs over HTTP, ${num(wsMe, 0)} µs over the socket, and a plain \`GET /live\` ${num(live, 0)} µs; \`message.send\` ${num(httpSend, 0)} vs ` +
      `${num(wsSend, 0)} µs. @trpc/server 11's Node adapter turns every request into a Fetch \`Request\`/\`Response\` with web streams and AbortSignals. ` +
      `\`@parley/client\` therefore sends \`message.send\` over its open WebSocket when it holds a token (packages/client/src/create-client.ts), which ` +
      `this run does (\`--send ${r.opts.send}\`); a browser (cookie session) still sends over HTTP, because only an HTTP answer can renew its cookie: ` +
      `\`pnpm bench --send http\` measures that path.`,
    `- **About ${num(pgTx, 1)} PostgreSQL transactions and ${num(redisCmds, 1)} Redis commands per message at ${k.label}** (${num(pgTxLatency, 1)} and ` +
      `${num(redisCmdsLatency, 1)} at ${l.label}, where every send is a statement of its own; ` +
      `the steps' columns). A validated session and a member's role come from the node's access cache (packages/api/src/access-cache.ts: at most 5 s, ` +
      `dropped on every node through the bus when a session ends or a password changes); the room membership and the \`clientId\` look-up are inside ` +
      `the group-commit statement, which numbers only the sends that survive them, so a new message is one round trip, shared by its batch. In Redis: ` +
      `one script for both rate limits of a send (per address and per user, INCR + PTTL each), the PUBLISH, and \`presence.stopTyping\`'s script only ` +
      `when this node saw the author typing.`,
    `- **Exposed**: each node's group commit is on \`/metrics\` (\`parley_group_commit_batch_size\`, \`parley_group_commit_seconds\`, ` +
      `\`parley_messages_written_total\`) and in \`/health\` (\`groupCommit\`, \`queues.sendsWaitingToCommit\`).`,
  ].join('\n');
}

function summaryParagraph(r: Report, latencyNodeCpu: number): string {
  const l = r.latency;
  const k = r.kneeStep;
  const parts: string[] = [];
  const crossOk = l.cross && l.cross.p99 < 100;
  const sameOk = l.same && l.same.p99 < 50;
  parts.push(
    `At ${l.label} with ${r.opts.clients} clients, a message reaches clients on the node that committed it in ${pctl(l.same)} (p50 / p99) ` +
      `and clients on other nodes, through Redis, in ${pctl(l.cross)}: ` +
      `${crossOk ? 'under' : 'not under'} the seed's 100 ms cross-server claim at p99${sameOk ? ', and under its 50 ms same-server claim' : ', and not under its 50 ms same-server claim at p99'}. ` +
      `The nodes used ${num(latencyNodeCpu, 0)}% of one core together at that rate.`,
  );
  if (k) {
    parts.push(
      `The send rate was raised until a step stopped keeping up; the last one that did persisted ${num(k.persistedRate, 0)} messages/s ` +
        `(every acknowledged send is a row: ${k.persisted}/${k.acked}) on all ${r.opts.nodes} nodes together, sharing ${r.info.nproc} cores with PostgreSQL, Redis, nginx and the load generator — ` +
        `${k.persistedRate >= 1000 ? 'above' : 'below'} the seed's 1,000+ messages/s per server instance` +
        `${r.opts.nodes > 1 ? ` (which would be ${r.opts.nodes * 1000}/s for ${r.opts.nodes} instances; here they share one machine)` : ''}. ` +
        `Group commit batched ${num(k.batches?.mean, 1)} messages per transaction on average there (largest ${k.batches?.max ?? '—'}).`,
    );
  } else {
    parts.push(`No knee step kept up; the highest persisted rate seen was ${num(r.bestPersisted?.persistedRate, 0)}/s.`);
  }
  const failed = r.knee.filter((s) => !s.pass).sort((a, b) => a.targetRate - b.targetRate)[0];
  if (failed) parts.push(`The lowest rate that did not keep up (${failed.label}): ${failed.why}.`);
  if (r.rss) {
    parts.push(
      `One node held ${r.rss.opened} idle subscribed connections at ${mib(r.rss.rssAfter)} RSS (${mib(r.rss.perTenThousand)} per 10,000), ` +
        `${r.rss.opened >= 10_000 ? 'meeting' : 'not testing'} the seed's 10,000 connections per instance${r.rss.opened >= 10_000 ? '' : ' (run without --quick for 10,000)'}; ` +
        `that is about ${num(r.rss.perTenThousand / 10_000 / 1024, 0)} KiB per subscribed connection, and the whole node at ${mib(r.rss.rssAfter)} is ` +
        `${r.rss.rssAfter > 200 * 1024 * 1024 ? 'over' : 'within'} the seed's "~100–200 MB RAM per instance" (a fresh node with no connection is ${mib(r.rss.rssBefore)}: the tsx loader and every module).`,
    );
  }
  parts.push(
    `After kill -9 of ${r.resume.victim}, 99% of its ${r.resume.clientsOnVictim} clients had resubscribed elsewhere and received a message sent after the kill within ${ms(r.resume.p99)}, ` +
      `most of it the client's deliberate backoff.`,
  );
  return parts.join(' ');
}

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
