/** The benchmark's own services: a fresh PostgreSQL database and a private redis-server. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';
import { freePort } from '../cluster/index.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BenchDatabase {
  url: string;
  name: string;
  /** A client on the bench database, for counting rows. */
  client: pg.Client;
  drop(): Promise<void>;
}

/** Creates `parley_bench_<time>_<pid>` next to `baseUrl`'s database; `drop()` removes it (forcing out leftovers). */
export async function createBenchDatabase(baseUrl: string): Promise<BenchDatabase> {
  const name = `parley_bench_${Date.now().toString(36)}_${process.pid}`;
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const adminClient = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await adminClient.connect();
  try {
    await adminClient.query(`create database "${name}"`);
  } finally {
    await adminClient.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  let dropped = false;
  return {
    url: url.toString(),
    name,
    client,
    async drop() {
      if (dropped) return;
      dropped = true;
      await client.end().catch(() => {});
      const c = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface PrivateRedis {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** True when something on host:port answers PING with PONG. */
export function redisPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The `redis-server` binary on PATH, or null. */
export function findRedisServer(): string | null {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 ? 'redis-server' : null;
}

/** A redis-server of its own on a free port (no persistence), stopped with `stop()`. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let running = true;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      running = false;
      resolve();
    }),
  );
  const deadline = Date.now() + 10_000;
  while (!(await redisPing('127.0.0.1', port))) {
    if (!running) throw new Error(`redis-server exited at start:\n${output}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not answer within 10 s:\n${output}`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid,
    async stop() {
      if (!running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One command on a fresh connection; resolves with the reply's text (a bulk string's content, or the line). */
export function redisCommand(url: string, ...args: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 5000 });
    let buf = Buffer.alloc(0);
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const head = buf.indexOf('\r\n');
      if (head < 0) return;
      const first = buf.subarray(0, head).toString();
      if (first.startsWith('$')) {
        const len = Number(first.slice(1));
        if (buf.length < head + 2 + len) return;
        socket.destroy();
        resolve(buf.subarray(head + 2, head + 2 + len).toString());
      } else {
        socket.destroy();
        if (first.startsWith('-')) reject(new Error(first.slice(1)));
        else resolve(first.slice(1));
      }
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('redis command timed out'));
    });
  });
}

/** Calls per command since start (`INFO commandstats`: `cmdstat_get:calls=3,…`). */
export async function redisCommandCounts(url: string): Promise<Map<string, number>> {
  const text = await redisCommand(url, 'INFO', 'commandstats');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}
