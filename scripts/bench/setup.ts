import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { findNginx, REPO_ROOT, startCluster, type Cluster, type NodeProcess } from '../cluster/index.ts';
import { machineInfo, openFilesSoftLimit } from './machine.ts';
import type { MeasuredSystem } from './measure.ts';
import { COST_PARTITION, fail, IDLE_PARTITION, PASSWORD, RELAXED_RATE_LIMIT_ENV, type Options } from './options.ts';
import type { MachineInfo } from './results.ts';
import { log, onCleanup, pool } from './run.ts';
import { createBenchDatabase, findRedisServer, startPrivateRedis, type BenchDatabase, type PrivateRedis } from './services.ts';
import { TrpcHttp } from './wire.ts';

/** One benchmark person: signed in (a token), a member of one room of one workspace. */
export interface Person {
  username: string;
  token: string;
  room: number;
  partitionId: string;
}

/** What the set-up made, for every later step. */
export interface Run extends MeasuredSystem {
  opts: Options;
  commandLine: string;
  info: MachineInfo;
  /** The nodes' environment (the idle node's too). */
  env: Record<string, string>;
  profileDir: string | undefined;
  redis: PrivateRedis;
  db: BenchDatabase;
  /** This script's own PostgreSQL backend, left out of the CPU readings. */
  ownBackend: number;
  cluster: Cluster;
  nodes: readonly NodeProcess[];
  /** The index in `nodes` of the node behind an nginx upstream address; -1 if none. */
  nodeIndex: (upstream: string | undefined) => number;
  nginxMaster: number;
  nodeLogs: string[];
  /** nginx's error log lines so far by what happened (`no live upstreams while connecting to upstream`), without the request. */
  nginxErrors: Map<string, number>;
  http: TrpcHttp;
  ownerToken: string;
  partitionIds: string[];
  roomIds: string[];
  roomPartition: string[];
  people: Person[];
  /** The first people, also members of the idle step's workspace. */
  idleUsers: number;
  /** Each workspace's last event id before any client subscribed. */
  heads: Map<string, string>;
}

/** `2026/01/01 00:00:00 [error] 12#12: *34 upstream timed out (110: …) while connecting to upstream, client: …`: what happened. */
const NGINX_ERROR = /\[(?:warn|error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$/;

/** The PostgreSQL server each run's fresh database is made on (`DATABASE_URL`). */
export const databaseBaseUrl = () => process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Services (a private redis-server, a fresh database), the cluster, and the workspaces, rooms and people. */
export async function setUp(opts: Options): Promise<Run> {
  const commandLine = `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const nginxBinary = findNginx() ?? fail('nginx not found: apt-get install nginx, or set NGINX=/path/to/nginx');
  if (!findRedisServer()) fail('redis-server not found on PATH (apt-get install redis-server): the benchmark runs a private one');
  const baseUrl = databaseBaseUrl();

  const fdLimit = openFilesSoftLimit();
  // The idle step's sockets are closed before the storm opens its own.
  const fdNeeded = opts.clients + Math.max(opts.idle, opts.storm) + 600;
  // nginx inherits the limit: two files per proxied socket, spread over its workers (one per
  // core, `worker_processes auto`) unevenly (a fifth more on one of two was seen).
  const nginxNeeded = Math.ceil((2 * (opts.clients + opts.storm) * 1.2) / availableParallelism()) + 100;
  if (Math.max(fdNeeded, nginxNeeded) > fdLimit) {
    fail(
      `this run needs about ${fdNeeded} open files in this process (clients + idle or storm sockets + HTTP) and ${nginxNeeded} in each nginx ` +
        `worker, but the limit is ${fdLimit}: raise it (ulimit -n ${Math.max(fdNeeded, nginxNeeded) + 1000}) or lower --idle / --storm`,
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
  const nginxErrors = new Map<string, number>();
  const cluster: Cluster = await startCluster({
    databaseUrl: db.url,
    redisUrl: redis.url,
    nodes: opts.nodes,
    nginxBinary,
    env,
    onLog: (source, line) => {
      if (nodeLogs.length < 200) nodeLogs.push(`${source}: ${line}`);
      const nginxError = source === 'nginx' ? NGINX_ERROR.exec(line)?.[1] : undefined;
      if (nginxError) nginxErrors.set(nginxError, (nginxErrors.get(nginxError) ?? 0) + 1);
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
  return {
    opts,
    commandLine,
    info,
    env,
    profileDir,
    redis,
    db,
    ownBackend,
    messageTables: partitionIds.map((p) => `messages_${p}`),
    cluster,
    nodes,
    nodeIndex,
    nginxMaster,
    nodeLogs,
    nginxErrors,
    http,
    ownerToken,
    partitionIds,
    roomIds,
    roomPartition,
    people,
    idleUsers,
    heads,
  };
}
