import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onLines, RecentLines, sleep } from './process-util.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));
/**
 * tsx as a loader of this very process (`node --import tsx main.ts`), not its CLI: the CLI runs
 * the program in a child process, so a SIGKILL meant for the node would leave it running.
 */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * V8 flags of every node process, whoever starts it: this cluster (tests, `pnpm cluster`,
 * `pnpm bench`, and `--compare`'s peer, started the same way), the Dockerfile's CMD and
 * apps/server's start scripts (scripts/cluster/deployment.test.ts checks they agree).
 *
 * `--max-semi-space-size=64` (MiB; Node 20's default is 16): a young generation large enough
 * that what a send or a delivery holds for a few milliseconds dies young. With the default,
 * at 250 messages/s each node ran a full mark-compact every 3–4 s with a 13–17 ms pause, and
 * those pauses were most of the p99 (`pnpm bench --rates 250`: p99 25 → 7 ms, full collections
 * per node 8–15 → 1–5 in 20 s). It costs up to about 130 MiB more of a busy node's RSS.
 */
export const NODE_V8_FLAGS = ['--max-semi-space-size=64'] as const;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface NodeProcessOptions {
  /** SERVER_ID: the node's name in `/health`, logs and the node registry. */
  id: string;
  /** Kept across restarts, so nginx's upstream list stays right. */
  port: number;
  /** DATABASE_URL, REDIS_URL, tuning: on top of this process's environment (minus those two). */
  env: Record<string, string>;
  /** Every line the node prints (pino JSON), as it comes. */
  onLog?: ((line: string) => void) | undefined;
  /** Each time the process ends, whoever ended it. */
  onExit?: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  /**
   * The program the process runs (default apps/server/src/main.ts). The benchmark's Socket.IO
   * peer (scripts/peer/server.ts) runs here too, so both systems' nodes are started, watched and
   * measured the same way; it must answer `/health` with `{"node": SERVER_ID}` as Parley does.
   */
  entry?: string | undefined;
}

/** One `apps/server` process on a fixed port that can be killed, drained and started again. */
export interface NodeProcess {
  readonly id: string;
  readonly port: number;
  /** The node itself, bypassing nginx: http://127.0.0.1:<port>. */
  readonly url: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Starts it (again); resolves when its `/health` answers with its id. */
  start(): Promise<void>;
  /**
   * Sends `signal` (SIGTERM: drain; SIGKILL: a crash) and resolves with the exit code once it
   * is gone (null when a signal ended it). A node that ignores SIGTERM is killed after 20 s.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The last lines it printed (over restarts), for failure messages. */
  recentOutput(): string;
}

export function createNodeProcess(options: NodeProcessOptions): NodeProcess {
  const url = `http://127.0.0.1:${options.port}`;
  const recent = new RecentLines();
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);

  // The caller's own DATABASE_URL/REDIS_URL (where its tests find services) must not leak in.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const env = {
    ...inherited,
    HOST: '127.0.0.1',
    PORT: String(options.port),
    SERVER_ID: options.id,
    // nginx runs on this host: it reaches the nodes from loopback.
    TRUST_PROXY: 'loopback',
    ...options.env,
  };

  const line = (text: string) => {
    recent.push(text);
    options.onLog?.(text);
  };

  return {
    id: options.id,
    port: options.port,
    url,
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    recentOutput: () => recent.toString(),
    async start() {
      if (child) return;
      const proc = spawn(process.execPath, [...NODE_V8_FLAGS, '--import', TSX_LOADER, options.entry ?? MAIN], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      onLines(proc.stdout, line);
      onLines(proc.stderr, line);
      exited = new Promise((resolve) => {
        proc.once('exit', (code, signal) => {
          if (child === proc) child = undefined;
          options.onExit?.(code, signal);
          resolve(code);
        });
      });
      let gone = false;
      void exited.then(() => (gone = true));
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!(await answersAs(url, options.id))) {
        if (gone) throw new Error(`node ${options.id} exited while starting:\n${recent.toString()}`);
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`node ${options.id} did not start within ${START_TIMEOUT_MS} ms:\n${recent.toString()}`);
        }
        await sleep(100);
      }
    },
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (!proc) return exited;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** True when the process listening at `url` is the node named `id` (not a leftover on that port). */
async function answersAs(url: string, id: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { node?: unknown };
    return body.node === id;
  } catch {
    return false;
  }
}
