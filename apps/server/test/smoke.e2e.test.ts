import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import type { ParleyNode } from '../src/node.ts';
import { connect, messageBodies, signUp, startTestNode, subscribe, uuidv7 } from './helpers.ts';

/** The embedded default (PGlite in a data directory): the main flow, and a restart. */
describe('smoke on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-smoke-'));
  let node: ParleyNode;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
  });
  afterAll(async () => {
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('health endpoints answer', async () => {
    expect((await fetch(`${node.url}/live`)).status).toBe(200);
    expect(await (await fetch(`${node.url}/ready`)).json()).toEqual({ status: 'ready' });
    const health = await (await fetch(`${node.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', database: { driver: 'pglite', up: true }, bus: 'memory' });
  });

  test('register, create a workspace, chat live, and find it all again after a restart', async () => {
    const ann = await signUp(node.url, 'ann');
    const ben = await signUp(node.url, 'ben');
    const { partition, inviteCode } = await ann.client.trpc.partition.create.mutate({ name: 'Smoke Test' });
    await ben.client.trpc.partition.join.mutate({ inviteCode });
    const general = (await ben.client.trpc.room.list.query({ partitionId: partition.id }))[0]!;
    const benLive = subscribe(ben.client, partition.id, null);
    await new Promise((r) => setTimeout(r, 200));
    await ann.client.trpc.message.send.mutate({ partitionId: partition.id, roomId: general.id, clientId: uuidv7(), body: 'hello ben' });
    await benLive.until((es) => messageBodies(es).includes('hello ben'));
    benLive.stop();
    await Promise.all([ann.client.close(), ben.client.close()]);

    const port = node.port;
    await node.close();
    node = await startTestNode({ dataDir, port });
    const again = connect(node.url, ann.token);
    const page = await again.trpc.message.list.query({ partitionId: partition.id, roomId: general.id });
    expect(page.messages.map((m) => [m.authorName, m.body])).toEqual([['ann', 'hello ben']]);
    await again.close();
  });

  test('the browser flow: an HttpOnly cookie session, and Origin checks on requests and WebSocket upgrades', async () => {
    // Same origin: the Origin's host is the Host the request was sent to.
    const origin = node.url;
    const res = await fetch(`${node.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ username: 'browser', password: 'correct horse battery' }),
    });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^parley_session=[a-z2-7]{40}; Path=\/; HttpOnly; SameSite=Lax/);
    const body = (await res.json()) as { result: { data: { token: string | null } } };
    expect(body.result.data.token).toBeNull();
    const cookie = setCookie.split(';')[0]!;

    const me = await fetch(`${node.url}/trpc/auth.me`, { headers: { cookie } });
    expect(((await me.json()) as { result: { data: { username: string } } }).result.data.username).toBe('browser');

    const forged = await fetch(`${node.url}/trpc/partition.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'https://evil.example' },
      body: JSON.stringify({ name: 'CSRF' }),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toBe('This origin is not allowed to call Parley.');

    const upgrade = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${node.url.replace('http', 'ws')}/trpc`, { headers });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
    expect(await upgrade({ origin: 'https://evil.example', cookie })).toBe(403);
    expect(await upgrade({ cookie })).toBe(101);
  });

  test('bad input over HTTP: 400 with a message a person can read', async () => {
    const res = await fetch(`${node.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ok_name', password: 'short', session: 'token' }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; data: { code: string; stack?: string } } };
    expect(error.message).toBe('password: A password has at least 8 characters.');
    expect(error.data.code).toBe('BAD_REQUEST');
    expect(error.data.stack).toBeUndefined();
  });
});
