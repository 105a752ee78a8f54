import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { uuidv7 } from 'uuidv7';
import { createParleyClient, type ParleyClient, type ParleyEvent } from '@parley/client';
import { relaxedRateLimits, silentLogger } from '@parley/api/testing';
import { freePort } from '@parley/cluster/test-services';
import { startNode, type NodeOptions, type ParleyNode } from '../src/node.ts';

export { freePort, uuidv7 };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `read()` until `ok` holds for its value, and returns that value; throws with the last value after `timeoutMs`. */
export async function until<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await sleep(25);
  }
}

/**
 * A node in this process on a free port, logging nothing. Every test client comes from
 * 127.0.0.1, so rate limits are relaxed unless `api.rateLimits` names one to test.
 */
export function startTestNode(opts: Partial<NodeOptions> = {}): Promise<ParleyNode> {
  return startNode({
    nodeId: 'test-node',
    port: 0,
    log: silentLogger,
    ...opts,
    api: { eventPollMs: 200, firstAccountIsAdmin: true, ...opts.api, rateLimits: { ...relaxedRateLimits, ...opts.api?.rateLimits } },
  });
}

/** spawnNode's rate limits unless the test sets them: every test client comes from 127.0.0.1. */
export const RELAXED_RATE_LIMIT_ENV = {
  RATE_LIMIT_MESSAGES: '1000000/1m',
  RATE_LIMIT_REQUESTS_PER_IP: '1000000/1m',
  RATE_LIMIT_LOGIN: '1000000/1m',
  RATE_LIMIT_LOGIN_PER_IP: '1000000/1m',
};

export function connect(url: string, token?: string | null): ParleyClient {
  return createParleyClient({ url, token: token ?? undefined, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
}

export async function signUp(url: string, username: string) {
  const anon = connect(url);
  const { user, token } = await anon.trpc.auth.register.mutate({ username, password: 'correct horse battery', session: 'token' });
  await anon.close();
  return { user, token: token!, client: connect(url, token) };
}

export interface EventLog {
  events: ParleyEvent[];
  ids: number[];
  /** Resolves when `predicate` holds over the events received so far. */
  until(predicate: (events: ParleyEvent[]) => boolean, timeoutMs?: number): Promise<ParleyEvent[]>;
  stop(): void;
  errors: unknown[];
}

/** Subscribes to a partition's events and records every one received. */
export function subscribe(client: ParleyClient, partitionId: string, lastEventId?: number | null): EventLog {
  const events: ParleyEvent[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const sub = client.trpc.event.onEvent.subscribe(
    { partitionId, lastEventId: lastEventId ?? null },
    {
      onData(tracked) {
        events.push(tracked.data);
        for (const w of waiters) w();
      },
      onError(err) {
        errors.push(err);
      },
    },
  );
  return {
    events,
    errors,
    get ids() {
      return events.map((e) => e.id);
    },
    until(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${events.length} events (ids ${events.map((e) => e.id).join(',')}); errors: ${errors.map(String).join('; ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => sub.unsubscribe(),
  };
}

export const messageBodies = (events: ParleyEvent[]) => events.flatMap((e) => (e.type === 'message.created' ? [e.data.body] : []));

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/**
 * tsx as a loader of the node process itself, not its CLI: the CLI runs the program in a child
 * process, so a SIGKILL meant for the node would kill only the wrapper and leave it running.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `apps/server/src/main.ts` as a separate process and waits until it listens. */
export async function spawnNode(env: Record<string, string>): Promise<NodeProcess> {
  const port = await freePort();
  // The test's own REDIS_URL (where its tests find Redis) must not turn every spawned node into a Redis node.
  const { REDIS_URL: _testRedis, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...RELAXED_RATE_LIMIT_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = chunk.toString().match(/Parley is running on (http:\/\/\S+?)"/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    url: url.replace('localhost', '127.0.0.1'),
    child,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
