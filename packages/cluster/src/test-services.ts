import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * Finds a Redis server for tests: `REDIS_URL`, else 127.0.0.1:6379. Returns null when none
 * answers PING.
 */
export async function findRedis(): Promise<string | null> {
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter((u): u is string => Boolean(u));
  for (const url of candidates) {
    if (await pings(url)) return url;
  }
  return null;
}

async function pings(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export const servicesRequired = () => process.env.PARLEY_REQUIRE_SERVICES === '1';

function skipOrFail(reason: string): null {
  if (servicesRequired()) throw new Error(`${reason}, and PARLEY_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(`\n*** SKIPPING Redis tests: ${reason} ***\n`);
  return null;
}

/**
 * The Redis URL for a `*.redis.test.ts` file, or null (the caller skips). The skip is loud,
 * and with `PARLEY_REQUIRE_SERVICES=1` (set by CI) a missing server fails the run instead.
 * Share the server safely with {@link uniquePrefix}.
 */
export async function redisForTests(): Promise<string | null> {
  const url = await findRedis();
  return url ?? skipOrFail('Redis not reachable (REDIS_URL or 127.0.0.1:6379)');
}

/** A key/channel prefix no other test file (or run) uses, e.g. `test:bus:3f9a…:`. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** A private `redis-server` this test can stop and start again (on the same port) at will. */
export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: like a crash or a network cut, no goodbye to clients). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A TCP port nothing listens on right now (the OS picks it), for servers a test or script starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const hasRedisServerBinary = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Starts a private, throw-away `redis-server` (from PATH) on a free port, for tests that take
 * Redis away from a node. Returns null when the binary is missing (loud skip, or a failure
 * with `PARLEY_REQUIRE_SERVICES=1`).
 */
export async function privateRedisForTests(): Promise<RedisServer | null> {
  if (!hasRedisServerBinary()) return skipOrFail('no redis-server binary on PATH to start a private Redis');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) return;
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await pings(url))) {
      if (Date.now() > deadline) throw new Error(`private redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, port, start, stop, [Symbol.asyncDispose]: stop };
}

/** Resolves when `predicate` is true, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
