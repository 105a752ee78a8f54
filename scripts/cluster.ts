/**
 * `pnpm cluster [--nodes N] [--port P] [--s3]`: the docker-compose topology as local processes. N
 * Parley nodes (default 3) on the local PostgreSQL and Redis, nginx in front on one port
 * (default 8080) with the repository's nginx.conf rendered for them. Prints the URL and the
 * nodes, then their logs; Ctrl-C (or SIGTERM) stops everything. With `--s3`, an S3-protocol
 * server (s3rver) holds the uploads, as MinIO does in docker-compose.yml. The pieces are in
 * scripts/cluster/ (`@parley/scripts/cluster`), for the tests and the benchmark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDatabase, findNginx, REPO_ROOT, startCluster, startLocalS3, type Cluster, type LocalS3 } from './cluster/index.ts';

const USAGE = `usage: pnpm cluster [--nodes N] [--port P] [--s3]

  --nodes N   Parley nodes to start (default 3)
  --port P    nginx's port on 127.0.0.1 (default 8080)
  --s3        keep uploads in a local S3-protocol server (s3rver) instead of the database

  DATABASE_URL  PostgreSQL (default postgres://postgres@127.0.0.1:5432/parley, created if missing)
  REDIS_URL     Redis (default redis://127.0.0.1:6379)
  LOG_LEVEL     the nodes' log level (default info)
  NGINX         the nginx binary (default /usr/sbin/nginx, else nginx on PATH)`;

function fail(message: string): never {
  console.error(`pnpm cluster: ${message}`);
  process.exit(1);
}

function integer(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max} (got "${value}")\n\n${USAGE}`);
  return n;
}

/** Sends PING over a plain TCP connection; true on +PONG. Only a hint: the nodes run without Redis too. */
function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const COLORS = [36, 33, 35, 32, 34, 31];
const paint = (text: string, i: number) => (process.stdout.isTTY ? `\x1b[${COLORS[i % COLORS.length]}m${text}\x1b[0m` : text);
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino JSON line as `node-2 info  message {extra fields}`; anything else as it is. */
function formatLine(line: string): string {
  try {
    const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${typeof msg === 'string' ? msg : ''}${extra}`;
  } catch {
    return line;
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', short: 'n', default: '3' },
      port: { type: 'string', short: 'p', default: '8080' },
      help: { type: 'boolean', short: 'h', default: false },
      s3: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const nodes = integer(values.nodes, '--nodes', 1, 32);
  const port = integer(values.port, '--port', 1, 65535);
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/parley';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const nginxBinary = findNginx() ?? fail('nginx not found: install it (apt-get install nginx, brew install nginx) or set NGINX=/path/to/nginx');

  try {
    const db = await ensureDatabase(databaseUrl);
    if (db === 'created') console.log(`created the database ${new URL(databaseUrl).pathname.slice(1)}`);
  } catch (error) {
    fail(`PostgreSQL at ${databaseUrl} is not reachable (${error instanceof Error ? error.message : String(error)}); set DATABASE_URL`);
  }
  if (!(await redisAnswers(redisUrl)))
    console.warn(`warning: Redis at ${redisUrl} does not answer; the nodes start degraded (log polling) and catch up when it comes`);

  if (!existsSync(join(REPO_ROOT, 'apps/web/dist/index.html'))) {
    console.log('building the web app (apps/web/dist is missing)…');
    const build = spawnSync('pnpm', ['--filter', '@parley/web', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (build.status !== 0) fail('the web app did not build');
  }

  let s3: LocalS3 | undefined;
  if (values.s3) {
    try {
      s3 = await startLocalS3();
    } catch (error) {
      fail(`the local S3 server did not start (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  const order = new Map<string, number>();
  const colorOf = (source: string) => order.get(source) ?? (order.set(source, order.size), order.size - 1);
  let stopping = false;
  console.log(`starting ${nodes} node${nodes === 1 ? '' : 's'} and nginx…`);
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      nodes,
      port,
      databaseUrl,
      redisUrl,
      nginxBinary,
      env: { LOG_LEVEL: process.env.LOG_LEVEL || 'info', ...s3?.env },
      onLog: (source, line) => console.log(`${paint(source.padEnd(7), colorOf(source))} ${formatLine(line)}`),
      onNodeExit: (id, code, signal) => {
        if (!stopping) console.log(`${paint(id.padEnd(7), colorOf(id))} exited (${signal ?? `code ${code}`}); the others go on serving`);
      },
    });
  } catch (error) {
    await s3?.stop();
    fail(error instanceof Error ? error.message : String(error));
  }

  console.log(
    [
      '',
      `Parley is running on ${cluster.url}  (nginx, least_conn over ${nodes} node${nodes === 1 ? '' : 's'})`,
      ...cluster.nodes.map((n) => `  ${n.id.padEnd(7)} ${n.url}  pid ${n.pid}`),
      `  database ${databaseUrl}`,
      `  redis    ${redisUrl}`,
      `  uploads  ${s3 ? `S3 (s3rver) at ${s3.endpoint}, bucket ${s3.env.S3_BUCKET}` : 'in the database (add --s3 for an S3 bucket)'}`,
      `  nginx    ${cluster.nginx.confPath} (access log ${cluster.nginx.accessLogPath})`,
      `Try a failover: kill -9 a node's pid; its clients reconnect through nginx to the others.`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  const shutdown = async (signal: string) => {
    if (stopping) {
      console.log('stopping already; a second signal does not hurry it');
      return;
    }
    stopping = true;
    console.log(`\n${signal}: stopping nginx and the nodes (each drains)…`);
    await cluster.stop();
    await s3?.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
