import { existsSync, readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ParleyNode } from '../src/node.ts';
import { startTestNode } from './helpers.ts';

/**
 * What a browser, a proxy and an attacker see at the HTTP edge of a node: security headers on
 * the SPA, precompressed assets, the node's id in X-Parley-Node, X-Forwarded-* believed only
 * from TRUST_PROXY, and the __Host- session cookie.
 */

const DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The built page's script, by the name index.html gives it (`pnpm --filter @parley/web build` first). */
function builtScript(): string {
  if (!existsSync(`${DIST}index.html`)) throw new Error('apps/web/dist is not built: run `pnpm --filter @parley/web build`');
  const name = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(`${DIST}index.html`, 'utf8'))?.[1];
  if (!name) throw new Error('apps/web/dist/index.html names no script');
  return name;
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with exactly these headers (fetch would add Accept-Encoding and decode the body). */
function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const register = (url: string, username: string, headers: Record<string, string> = {}) =>
  get(url, '/trpc/auth.register', { 'content-type': 'application/json', ...headers }, 'POST', JSON.stringify({ username, password: 'correct horse battery' }));

const me = async (url: string, cookie: string, headers: Record<string, string> = {}) =>
  (JSON.parse((await get(url, '/trpc/auth.me', { cookie, ...headers })).body.toString()) as { result: { data: { username: string } | null } }).result.data;

describe('the SPA and its assets', () => {
  let node: ParleyNode;
  let script: string;
  beforeAll(async () => {
    script = builtScript();
    node = await startTestNode({ nodeId: 'edge-node-1', dataDir: 'memory://' });
  });
  afterAll(() => node?.close());

  test('the page carries a Content-Security-Policy and the other security headers, no HSTS over plain HTTP', async () => {
    const page = await get(node.url, '/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain(script);
    const csp = String(page.headers['content-security-policy']);
    const host = new URL(node.url).host;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      `connect-src 'self' ws://${host} wss://${host}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    expect(page.headers['strict-transport-security']).toBeUndefined();
  });

  test('a client route (no extension) is the page, revalidated; /sw.js too', async () => {
    for (const path of ['/rooms/abc', '/assets/no-extension', '/sw.js']) {
      const r = await get(node.url, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.headers['content-security-policy'], path).toBeDefined();
    }
  });

  test('a hashed asset is sent brotli-compressed to a browser that accepts it, cached for a year', async () => {
    const raw = readFileSync(`${DIST}${script.slice(1)}`);
    const br = await get(node.url, script, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers['x-content-type-options']).toBe('nosniff');
    expect(br.body.byteLength).toBeLessThan(raw.byteLength / 3);
    expect(brotliDecompressSync(br.body).equals(raw)).toBe(true);

    const gz = await get(node.url, script, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(raw)).toBe(true);

    const plain = await get(node.url, script);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body.equals(raw)).toBe(true);
  });

  test('a missing asset is a 404 that no cache keeps', async () => {
    const r = await get(node.url, '/assets/index-missing.js', { 'accept-encoding': 'br' });
    expect(r.status).toBe(404);
    expect(r.headers['cache-control']).toBe('no-store');
  });

  test('API and health answers are nosniff too, and every answer names the node by its id', async () => {
    for (const path of ['/live', '/health', '/trpc/auth.me', '/', script]) {
      const r = await get(node.url, path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['x-parley-node'], path).toBe('edge-node-1');
    }
  });

  test('the WebSocket upgrade names the node too', async () => {
    const ws = new WebSocket(`${node.url.replace('http', 'ws')}/trpc`);
    const header = await new Promise<string | string[] | undefined>((resolve, reject) => {
      ws.once('upgrade', (res) => resolve(res.headers['x-parley-node']));
      ws.once('error', reject);
    });
    ws.terminate();
    expect(header).toBe('edge-node-1');
  });

  test('switching to Secure cookies: a session under the old name still works, and the prefixed name wins when both are sent', async () => {
    const ann = String((await register(node.url, 'edge_ann')).headers['set-cookie'])
      .split(';')[0]!
      .split('=')[1]!;
    const bob = String((await register(node.url, 'edge_bob')).headers['set-cookie'])
      .split(';')[0]!
      .split('=')[1]!;
    expect((await me(node.url, `parley_session=${ann}`))?.username).toBe('edge_ann');
    expect((await me(node.url, `__Host-parley_session=${ann}`))?.username).toBe('edge_ann');
    expect((await me(node.url, `parley_session=${bob}; __Host-parley_session=${ann}`))?.username).toBe('edge_ann');
  });
});

describe('TRUST_PROXY: X-Forwarded-* only from the listed proxies', () => {
  const limit = { requestsPerIp: { limit: 2, windowMs: 60_000 } };
  let behindProxy: ParleyNode;
  let direct: ParleyNode;
  beforeAll(async () => {
    // Every test client is 127.0.0.1: as the proxy for one node, as a client for the other.
    behindProxy = await startTestNode({ nodeId: 'edge-proxied', dataDir: 'memory://', trustProxy: ['127.0.0.0/8', '::1'], api: { rateLimits: limit } });
    direct = await startTestNode({ nodeId: 'edge-direct', dataDir: 'memory://', trustProxy: [], api: { rateLimits: limit } });
  });
  afterAll(() => Promise.all([behindProxy?.close(), direct?.close()]));

  const call = (node: ParleyNode, forwardedFor: string) => get(node.url, '/trpc/auth.me', { 'x-forwarded-for': forwardedFor }).then((r) => r.status);

  test('behind a trusted proxy each client has its own limit, by the right-most untrusted hop', async () => {
    expect([await call(behindProxy, '203.0.113.1'), await call(behindProxy, '203.0.113.1'), await call(behindProxy, '203.0.113.1')]).toEqual([200, 200, 429]);
    expect(await call(behindProxy, '203.0.113.2')).toBe(200);
    // A client that writes another address in front of its own is still itself.
    expect(await call(behindProxy, '198.51.100.9, 203.0.113.1')).toBe(429);
  });

  test('from a peer that is no trusted proxy, X-Forwarded-For changes nothing', async () => {
    expect([await call(direct, '203.0.113.1'), await call(direct, '203.0.113.2'), await call(direct, '203.0.113.3')]).toEqual([200, 200, 429]);
  });

  test('HSTS and the __Host- cookie only when a trusted proxy says https', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    expect((await get(behindProxy.url, '/', https)).headers['strict-transport-security']).toBe('max-age=31536000');
    expect((await get(direct.url, '/', https)).headers['strict-transport-security']).toBeUndefined();

    const secure = await register(behindProxy.url, 'edge_secure', { ...https, 'x-forwarded-for': '192.0.2.10' });
    const setCookie = String(secure.headers['set-cookie']);
    expect(setCookie).toMatch(/^__Host-parley_session=[a-z2-7]{40}; Path=\/; HttpOnly; SameSite=Lax; Secure; Expires=/);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect((await me(behindProxy.url, setCookie.split(';')[0]!, { 'x-forwarded-for': '192.0.2.10' }))?.username).toBe('edge_secure');

    const plain = await register(behindProxy.url, 'edge_plain', { 'x-forwarded-for': '192.0.2.11' });
    expect(String(plain.headers['set-cookie'])).toMatch(/^parley_session=[a-z2-7]{40}; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
  });
});
