import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HTTP_MAX_BATCH, HTTP_MAX_BODY_BYTES } from '../src/server.ts';
import type { ParleyNode } from '../src/node.ts';
import { startTestNode } from './helpers.ts';

/** A raw HTTP request: the headers we choose, then `body` chunks as they are given. */
function post(url: string, path: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    // The server may answer and close before the rest is written: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('HTTP limits (a hostile client costs bounded memory)', () => {
  let node: ParleyNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(() => node?.close());

  test('a body announced larger than 1 MiB is refused with 413 before any of it is read', async () => {
    const r = await post(node.url, '/trpc/auth.login', { 'content-length': String(300 * 1024 * 1024) }, [Buffer.from('{"username":')]);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toMatchObject({ message: 'The request is too large: at most 1024 KiB.', data: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  test('a chunked body (no length announced) is cut off at 1 MiB with 413', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const chunks = Array.from({ length: Math.ceil((2 * HTTP_MAX_BODY_BYTES) / chunk.length) }, () => chunk);
    const r = await post(node.url, '/trpc/auth.login', { 'transfer-encoding': 'chunked' }, chunks);
    expect(r.status).toBe(413);
  });

  test(`a batch of more than ${HTTP_MAX_BATCH} calls is refused; ${HTTP_MAX_BATCH} are answered`, async () => {
    const batch = (n: number) => fetch(`${node.url}/trpc/${Array.from({ length: n }, () => 'auth.me').join(',')}?batch=1`);
    const over = await batch(HTTP_MAX_BATCH + 1);
    expect(over.status).toBe(400);
    const at = await batch(HTTP_MAX_BATCH);
    expect(at.status).toBe(200);
    expect(((await at.json()) as unknown[]).length).toBe(HTTP_MAX_BATCH);
  });

  test('an ordinary call is untouched', async () => {
    const r = await post(node.url, '/trpc/auth.register', {}, [
      Buffer.from(JSON.stringify({ username: `limits_${Date.now().toString(36)}`, password: 'correct horse battery', session: 'token' })),
    ]);
    expect(r.status).toBe(200);
  });
});
