import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createNodeProcess, type NodeProcess } from './node-process.ts';
import { startNginx, type NginxProcess } from './nginx.ts';
import { freePort } from './process-util.ts';

export interface ClusterOptions {
  /** How many nodes (default 3), named `node-1` … `node-N`. */
  nodes?: number | undefined;
  /** nginx's port (default: a free one). */
  port?: number | undefined;
  /** PostgreSQL shared by every node (see {@link ensureDatabase}). */
  databaseUrl: string;
  /** Redis shared by every node; without it the nodes see each other's events by polling the log. */
  redisUrl?: string | undefined;
  /** More environment for every node: LOG_LEVEL, EVENT_POLL_MS, RATE_LIMIT_*, … */
  env?: Record<string, string> | undefined;
  /** An nginx binary (default: {@link findNginx}). */
  nginxBinary?: string | undefined;
  /**
   * Every line any process prints, with its source (`node-2`, `nginx`). Default: nothing is
   * printed (a test or a benchmark stays quiet); recent lines are kept for error messages.
   */
  onLog?: ((source: string, line: string) => void) | undefined;
  /** A node process ended (a crash, a kill, or a stop). */
  onNodeExit?: ((id: string, code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  /** What each node runs instead of Parley (see `NodeProcessOptions.entry`): the benchmark's Socket.IO peer. */
  entry?: string | undefined;
}

export interface Cluster {
  /** Where clients go: nginx, http://127.0.0.1:<port>. */
  readonly url: string;
  readonly port: number;
  readonly nodes: readonly NodeProcess[];
  readonly nginx: NginxProcess;
  /** The node `node-<n>` or with that id. */
  node(id: string | number): NodeProcess;
  /**
   * The node named by an `X-Parley-Node` header (each node sends its own id, nginx passes it
   * through), or undefined.
   */
  nodeAt(header: string | null | undefined): NodeProcess | undefined;
  /** Stops nginx, then every node (SIGTERM: each drains), and removes the run's directory. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A local cluster as processes: N Parley nodes on one PostgreSQL database (and Redis, when
 * given) and nginx in front of them on one port, with the repository's nginx.conf rendered for
 * them. Node 1 starts first (it migrates the database), the others together, then nginx.
 * Everything it started is stopped again if any of it fails to start.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`a cluster needs at least one node (got ${count})`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  const nodes: NodeProcess[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `node-${i}`;
    nodes.push(
      createNodeProcess({
        id,
        port: await freePort(),
        env,
        entry: options.entry,
        onLog: options.onLog && ((line) => options.onLog!(id, line)),
        onExit: options.onNodeExit && ((code, signal) => options.onNodeExit!(id, code, signal)),
      }),
    );
  }
  let nginx: NginxProcess | undefined;
  const stop = async () => {
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await nodes[0]!.start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));
    nginx = await startNginx({
      port: options.port ?? (await freePort()),
      servers: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      dir,
      binary: options.nginxBinary,
      onLog: options.onLog && ((l) => options.onLog!('nginx', l)),
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  const proxy = nginx;
  return {
    url: proxy.url,
    port: proxy.port,
    nodes,
    nginx: proxy,
    node(id) {
      const name = typeof id === 'number' ? `node-${id}` : id;
      const node = nodes.find((n) => n.id === name);
      if (!node) throw new Error(`no node ${name} in this cluster (${nodes.map((n) => n.id).join(', ')})`);
      return node;
    },
    nodeAt(header) {
      const id = header?.split(',').at(-1)?.trim();
      return id ? nodes.find((n) => n.id === id) : undefined;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Creates the database of `databaseUrl` (on the same server, through `postgres`) if it is missing. */
export async function ensureDatabase(databaseUrl: string): Promise<'created' | 'exists'> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`unexpected database name in DATABASE_URL: "${name}"`);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return 'exists';
    await client.query(`create database "${name}"`);
    return 'created';
  } finally {
    await client.end();
  }
}
