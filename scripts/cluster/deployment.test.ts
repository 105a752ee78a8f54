import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findAll, nginxTimeMs, only, parseNginxConf, type Directive } from './nginx-conf.ts';
import { markedBlock, NGINX_CONF, renderNginxConf, RENDERED_BLOCKS } from './nginx.ts';
import { NODE_V8_FLAGS, REPO_ROOT } from './node-process.ts';
import { dockerComposeForTests, nginxForTests } from './test-services.ts';

/**
 * docker-compose.yml, nginx.conf and the Dockerfile describe one deployment; nothing runs them
 * here (no Docker engine), so these checks catch the drift: a node added to one file and not
 * the other, a port changed on one side, a timeout below a keep-alive.
 */
const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const template = readFileSync(NGINX_CONF, 'utf8');
const nginxConf = parseNginxConf(template);

interface ComposeService {
  build?: string | { context: string };
  image?: string;
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  ports?: string[];
  volumes?: string[];
  entrypoint?: string[] | string;
}
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
/** The Parley nodes: services built from this repository's Dockerfile. */
const nodeNames = Object.keys(services).filter((name) => services[name]!.build !== undefined);
const env = (name: string) => Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, String(v)]));
const dependsOnHealthy = (name: string) => {
  const deps = services[name]!.depends_on;
  return deps && !Array.isArray(deps) ? Object.keys(deps).filter((d) => deps[d]!.condition === 'service_healthy') : [];
};

const http = only(nginxConf, 'http').block!;
const upstream = only(http, 'upstream', 'parley_nodes').block!;
const server = only(http, 'server').block!;
const location = (...args: string[]) => only(server, 'location', ...args).block!;

/** A numeric constant from a source file (`export const NAME = 25_000;`), read as text: no server code is loaded. */
function constantIn(file: string, name: string): number {
  const m = new RegExp(`export const ${name} = ([\\d_]+);`).exec(read(file));
  if (!m) throw new Error(`${file} no longer exports ${name} as a number: update this test`);
  return Number(m[1]!.replaceAll('_', ''));
}

describe('docker-compose.yml', () => {
  test('PostgreSQL, Redis, at least two Parley nodes from the Dockerfile, and nginx', () => {
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(services.nginx?.image).toMatch(/^nginx:/);
    expect(nodeNames.length).toBeGreaterThanOrEqual(2);
    for (const name of ['postgres', 'redis']) expect(services[name]!.healthcheck, `${name} has a healthcheck`).toBeDefined();
  });

  test('every node has its own SERVER_ID, the compose database and Redis, TRUST_PROXY, and waits for them to be healthy', () => {
    const ids = nodeNames.map((n) => env(n).SERVER_ID);
    expect(new Set(ids).size).toBe(nodeNames.length);
    for (const name of nodeNames) {
      const e = env(name);
      expect(new URL(e.DATABASE_URL!).hostname, `${name}'s DATABASE_URL`).toBe('postgres');
      expect(new URL(e.REDIS_URL!).hostname, `${name}'s REDIS_URL`).toBe('redis');
      // nginx's address on the compose network, from Docker's private pools; never every peer.
      expect(e.TRUST_PROXY).toBe('private');
      expect(dependsOnHealthy(name)).toEqual(expect.arrayContaining(['postgres', 'redis']));
    }
  });

  test('uploads go to the MinIO bucket: every node has the S3 settings and waits for the bucket to exist', () => {
    expect(services.minio?.image).toMatch(/^minio\/minio/);
    expect(services.minio?.ports, 'MinIO publishes no port: files pass through the nodes').toBeUndefined();
    const root = env('minio');
    for (const name of nodeNames) {
      const e = env(name);
      expect(new URL(e.S3_ENDPOINT!).hostname).toBe('minio');
      expect([e.S3_ACCESS_KEY_ID, e.S3_SECRET_ACCESS_KEY]).toEqual([root.MINIO_ROOT_USER, root.MINIO_ROOT_PASSWORD]);
      expect(e.S3_FORCE_PATH_STYLE).toBe('true');
      const deps = services[name]!.depends_on as Record<string, { condition: string }>;
      expect(deps['minio-bucket']?.condition).toBe('service_completed_successfully');
      expect(String(services['minio-bucket']!.entrypoint)).toContain(`parley/${e.S3_BUCKET}`);
    }
  });

  test('nginx mounts nginx.conf, publishes the port it listens on, and waits for every node to be healthy', () => {
    const nginx = services.nginx!;
    expect(nginx.volumes).toContain('./nginx.conf:/etc/nginx/nginx.conf:ro');
    const listen = only(server, 'listen').args[0]!;
    expect(nginx.ports?.map((p) => p.split(':').at(-1))).toContain(listen);
    expect(dependsOnHealthy('nginx').sort()).toEqual([...nodeNames].sort());
    // No node is reachable from outside but through nginx.
    for (const name of nodeNames) expect(services[name]!.ports, `${name} publishes no port`).toBeUndefined();
  });

  test.skipIf(!dockerComposeForTests())('`docker-compose config` accepts it', () => {
    const command = dockerComposeForTests()!;
    const run = spawnSync(command[0]!, [...command.slice(1), '-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('nginx.conf and docker-compose.yml agree', () => {
  test('the upstream is exactly the node services, each on its PORT', () => {
    const servers = markedBlock(template, 'upstream-servers')!;
    const listed = findAll(parseNginxConf(servers), 'server').map((d) => d.args[0]);
    expect(listed.sort()).toEqual(nodeNames.map((n) => `${n}:${env(n).PORT}`).sort());
    expect(findAll(upstream, 'server')).toHaveLength(nodeNames.length);
  });

  test('the Dockerfile builds a non-root node on node:20 with a healthcheck on /live, exposing that PORT', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^\n]*(\\\n[^\n]*)*\/live/m);
    const ports = new Set(nodeNames.map((n) => env(n).PORT));
    expect([...ports]).toEqual([/^EXPOSE (\d+)/m.exec(dockerfile)?.[1]]);
  });

  test("every way of starting a node passes the cluster's V8 flags (the young generation's size)", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    expect(argv[0]).toBe('node');
    expect(argv.slice(1, 1 + NODE_V8_FLAGS.length)).toEqual([...NODE_V8_FLAGS]);
    const scripts = (JSON.parse(read('apps/server/package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'dev', 'start:prod']) {
      for (const flag of NODE_V8_FLAGS) expect(scripts[name]?.split(' '), name).toContain(flag);
    }
  });
});

describe('nginx.conf', () => {
  test('least_conn over a shared zone, with passive health checks on every server', () => {
    expect(only(upstream, 'least_conn')).toBeDefined();
    expect(only(upstream, 'zone').args[0]).toBe('parley_nodes');
    for (const s of findAll(upstream, 'server')) {
      expect(s.args).toEqual(expect.arrayContaining([expect.stringMatching(/^max_fails=\d+$/), expect.stringMatching(/^fail_timeout=\w+$/)]));
    }
  });

  test('WebSocket upgrade on /trpc over HTTP/1.1, with a read timeout above both keep-alives', () => {
    expect(only(server, 'proxy_http_version').args).toEqual(['1.1']);
    const headers = Object.fromEntries(findAll(server, 'proxy_set_header').map((d) => [d.args[0]!.toLowerCase(), d.args[1]]));
    expect(headers.upgrade).toBe('$http_upgrade');
    expect(headers.connection).toBe('$connection_upgrade');
    const map = only(http, 'map', '$http_upgrade', '$connection_upgrade').block!;
    expect(only(map, 'default').args).toEqual(['upgrade']);
    expect(only(location('/trpc'), 'proxy_pass').args).toEqual(['http://parley_nodes']);
    const readTimeout = nginxTimeMs(only(server, 'proxy_read_timeout').args[0]!);
    expect(readTimeout).toBeGreaterThan(constantIn('apps/server/src/server.ts', 'WS_PING_MS'));
    expect(readTimeout).toBeGreaterThan(
      constantIn('packages/client/src/connection.ts', 'KEEP_ALIVE_INTERVAL_MS') + constantIn('packages/client/src/connection.ts', 'KEEP_ALIVE_TIMEOUT_MS'),
    );
  });

  test('forwards the client address (set, not appended), scheme and host', () => {
    const headers = Object.fromEntries(findAll(server, 'proxy_set_header').map((d) => [d.args[0]!.toLowerCase(), d.args[1]]));
    expect(headers).toMatchObject({
      'x-forwarded-for': '$remote_addr',
      'x-forwarded-proto': '$scheme',
      'x-forwarded-host': '$http_host',
      host: '$http_host',
    });
    // proxy_set_header in a location would silently drop every one set at server level.
    for (const loc of findAll(server, 'location')) expect(findAll(loc.block!, 'proxy_set_header')).toEqual([]);
  });

  test("adds no header that shows a node's internal address (the nodes name themselves in X-Parley-Node)", () => {
    const added = findAll(nginxConf, 'add_header');
    for (const header of added) expect(header.args.join(' ')).not.toMatch(/\$upstream_|\$server_addr|\$proxy_host/);
    expect(added.map((h) => h.args[0]!.toLowerCase())).not.toContain('x-parley-node');
  });

  test('retries on another node, but never a request that reached one with a non-idempotent method', () => {
    const next = only(server, 'proxy_next_upstream').args;
    expect(next).toEqual(expect.arrayContaining(['error', 'timeout', 'http_502', 'http_503']));
    expect(next).not.toContain('non_idempotent');
    expect(findAll(nginxConf, 'proxy_next_upstream')).toHaveLength(1);
  });

  test('a per-address request limit on everything proxied', () => {
    const zone = findAll(http, 'limit_req_zone');
    expect(zone).toHaveLength(1);
    const zoneName = zone[0]!.args
      .find((a) => a.startsWith('zone='))!
      .split('=')[1]!
      .split(':')[0];
    for (const path of [['/trpc'], ['/']]) {
      expect(only(location(...path), 'limit_req').args[0]).toBe(`zone=${zoneName}`);
    }
    expect(only(http, 'limit_req_status').args).toEqual(['429']);
  });

  test('/metrics only from loopback and private networks', () => {
    const metrics = location('=', '/metrics');
    const rules = metrics.filter((d) => d.name === 'allow' || d.name === 'deny').map((d) => `${d.name} ${d.args[0]}`);
    expect(rules.at(-1)).toBe('deny all');
    const allowed = rules.slice(0, -1).map((r) => r.replace(/^allow /, ''));
    expect(allowed).toEqual(expect.arrayContaining(['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
    expect(allowed).not.toContain('all');
  });

  test('every other path goes to the nodes (the SPA, /live, /ready, /health)', () => {
    const paths = findAll(server, 'location').map((l) => l.args.join(' '));
    expect(paths.sort()).toEqual(['/', '/trpc', '= /metrics', '~ ^/(media|avatar)(/|$)'].sort());
    expect(only(location('/'), 'proxy_pass').args).toEqual(['http://parley_nodes']);
  });

  test('uploads stream through to the node, which enforces its own limit; nginx caps them above the default 25 MiB', () => {
    const media = location('~', '^/(media|avatar)(/|$)');
    expect(only(media, 'proxy_request_buffering').args).toEqual(['off']);
    expect(only(media, 'proxy_pass').args).toEqual(['http://parley_nodes']);
    const [, amount, unit] = /^(\d+)([km]?)$/.exec(only(media, 'client_max_body_size').args[0]!)!;
    expect(Number(amount) * (unit === 'm' ? 1024 * 1024 : unit === 'k' ? 1024 : 1)).toBeGreaterThan(25 * 1024 * 1024);
  });
});

describe('nginx.conf rendered for local processes', () => {
  const dir = '/tmp/parley-cluster-render';
  const rendered = renderNginxConf(template, {
    port: 18080,
    servers: [
      { host: '127.0.0.1', port: 4001 },
      { host: '127.0.0.1', port: 4002 },
    ],
    dir,
  });
  const withoutBlocks = (conf: string) =>
    RENDERED_BLOCKS.reduce((text, name) => text.replace(new RegExp(`# parley:${name}[^\\n]*\\n[\\s\\S]*?# end parley:${name}\\n`), ''), conf);

  test('differs only inside the marked blocks', () => {
    for (const name of RENDERED_BLOCKS) expect(markedBlock(template, name), `template block ${name}`).toBeDefined();
    expect(withoutBlocks(rendered)).toBe(withoutBlocks(template));
  });

  test("lists the given servers with the template's health-check parameters, minus Docker's DNS", () => {
    const servers = findAll(only(only(parseNginxConf(rendered), 'http').block, 'upstream', 'parley_nodes').block!, 'server');
    expect(servers.map((s) => s.args)).toEqual([
      ['127.0.0.1:4001', 'max_fails=2', 'fail_timeout=5s'],
      ['127.0.0.1:4002', 'max_fails=2', 'fail_timeout=5s'],
    ]);
    expect(findAll(parseNginxConf(rendered), 'resolver')).toEqual([]);
    expect(rendered).toContain('listen 127.0.0.1:18080;');
    expect(rendered).toContain(`pid ${dir}/nginx.pid;`);
  });

  test('refuses a template that lost a marked block', () => {
    const broken = template.replace('# end parley:listen', '');
    expect(() => renderNginxConf(broken, { port: 1, servers: [{ host: '127.0.0.1', port: 2 }], dir })).toThrow(/parley:listen/);
  });

  const nginx = nginxForTests();
  test.skipIf(!nginx)('passes `nginx -t`', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'parley-nginx-t-'));
    try {
      const conf = renderNginxConf(template, { port: 18080, servers: [{ host: '127.0.0.1', port: 4001 }], dir: tmp });
      mkdirSync(join(tmp, 'tmp'));
      writeFileSync(join(tmp, 'nginx.conf'), conf);
      const run = spawnSync(nginx!, ['-t', '-p', `${tmp}/`, '-c', join(tmp, 'nginx.conf'), '-e', 'stderr'], { encoding: 'utf8' });
      expect(run.stderr).toMatch(/test is successful/);
      expect(run.status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('the nginx.conf reader', () => {
  test('directives, blocks, comments and quoted strings', () => {
    const parsed: Directive[] = parseNginxConf(`a 1 "two words";  # a comment; not a directive\nb { c 'x;y' ; d { } }`);
    expect(parsed).toEqual([
      { name: 'a', args: ['1', 'two words'] },
      {
        name: 'b',
        args: [],
        block: [
          { name: 'c', args: ['x;y'] },
          { name: 'd', args: [], block: [] },
        ],
      },
    ]);
    expect(() => parseNginxConf('a { b;')).toThrow(/not closed/);
    expect(nginxTimeMs('60s')).toBe(60_000);
    expect(nginxTimeMs('75')).toBe(75_000);
  });
});
