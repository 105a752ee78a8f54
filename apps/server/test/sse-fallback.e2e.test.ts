import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createParleyClient, WS_FAILURES_BEFORE_HTTP, type ParleyClient, type ParleyEvent } from '@parley/client';
import type { ParleyNode } from '../src/node.ts';
import { signUp, sleep, startTestNode, until, uuidv7 } from './helpers.ts';

/**
 * The HTTP fallback against a real server: a proxy in front that answers every WebSocket
 * upgrade with 403 (as a proxy that strips `Upgrade` or a corporate network does) but forwards
 * plain HTTP, streaming. A Node client behind it gets its subscriptions as server-sent events
 * (the bearer token in a header, through the `eventsource` package's fetch), resumes them after
 * a server restart with exactly what it missed, sends through its outbox, and moves back to
 * the WebSocket once upgrades pass again.
 */

/** Opens an event stream as a browser's EventSource would and reads it until an event or a refusal arrives. */
async function firstFrames(url: string, headers: Record<string, string>): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  try {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!/event: serialized-error|\nid: /.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

interface UpgradeRefusingProxy {
  url: string;
  /** While true, every WebSocket upgrade gets `403 Forbidden`. */
  refuseUpgrades: boolean;
  /** Every plain HTTP request it forwarded. */
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[];
  upgrades: { refused: number; passed: number };
  close(): Promise<void>;
}

/** A reverse proxy to `127.0.0.1:port` that can refuse WebSocket upgrades. */
async function upgradeRefusingProxy(port: number): Promise<UpgradeRefusingProxy> {
  const proxy: Omit<UpgradeRefusingProxy, 'url' | 'close'> = { refuseUpgrades: true, requests: [], upgrades: { refused: 0, passed: 0 } };
  const server: Server = createServer((req, res) => {
    proxy.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    // No connection pooling: after the node restarts, no stale socket answers a request with a reset.
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
      else res.destroy();
    });
    // The client went away (an event stream closed): so does the request to the node.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    if (proxy.refuseUpgrades) {
      proxy.upgrades.refused += 1;
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    proxy.upgrades.passed += 1;
    const upstream = tcpConnect(port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe('subscriptions over server-sent events where WebSockets are refused', () => {
  let dir: string;
  let node: ParleyNode;
  let port: number;
  let proxy: UpgradeRefusingProxy;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let roomId: string;
  let a: ParleyClient;
  const partitionId = 'ssefallback';
  /** Every event alice's client applied, in order (`messages.onEvent`: each new event once). */
  const received: ParleyEvent[] = [];
  const bodies = () => received.flatMap((e) => (e.type === 'message.created' ? [e.data.body] : []));

  const bobSends = async (prefix: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await bob.client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body: `${prefix}${i}` });
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-sse-e2e-'));
    node = await startTestNode({ dataDir: join(dir, 'data') });
    port = node.port;
    proxy = await upgradeRefusingProxy(port);
    alice = await signUp(node.url, 'alice');
    bob = await signUp(node.url, 'bob');
    const { inviteCode } = await alice.client.trpc.partition.create.mutate({ id: partitionId, name: 'SSE fallback' });
    await bob.client.trpc.partition.join.mutate({ inviteCode });
    roomId = (await alice.client.trpc.room.list.query({ partitionId }))[0]!.id;
    bob.client.messages.watch(partitionId);
    await bob.client.messages.loadRoom(partitionId, roomId);

    a = createParleyClient({
      url: proxy.url,
      token: alice.token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      EventSource,
      connection: { webSocketRetryMs: 1_000 },
    });
    a.messages.onEvent((event) => received.push(event));
  });
  afterAll(async () => {
    await a?.close();
    await alice?.client.close();
    await bob?.client.close();
    await proxy?.close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client falls back to HTTP: live events, presence and the bearer token in a header, never in a URL', async () => {
    a.messages.watch(partitionId);
    a.presence.watch(partitionId);
    await a.messages.loadRoom(partitionId, roomId);
    await until(
      () => a.connection.getSnapshot(),
      (s) => s.state === 'CONNECTED' && s.transport === 'http',
    );
    // The rule: WebSockets refused in a row, then one more refused while HTTP answered.
    expect(proxy.upgrades.refused).toBeGreaterThanOrEqual(WS_FAILURES_BEFORE_HTTP + 1);
    expect(proxy.upgrades.passed).toBe(0);

    await bobSends('live-', 5);
    await until(bodies, (xs) => xs.length >= 5);
    expect(bodies()).toEqual(['live-0', 'live-1', 'live-2', 'live-3', 'live-4']);
    await until(
      () => a.presence.getSnapshot(partitionId).status,
      (s) => s === 'live',
    );
    expect(a.presence.getSnapshot(partitionId).members[bob.user.id]?.status).toBe('online');

    const streams = proxy.requests.filter((r) => r.headers.accept === 'text/event-stream');
    expect(new Set(streams.map((r) => r.url.split('?')[0]))).toEqual(new Set(['/trpc/event.onEvent', '/trpc/presence.onSignal']));
    for (const stream of streams) expect(stream.headers.authorization).toBe(`Bearer ${alice.token}`);
    expect(proxy.requests.some((r) => r.url.includes(alice.token))).toBe(false);
  });

  test('sends go through the outbox as usual, and others see them', async () => {
    a.outbox.send({ partitionId, roomId, body: 'hello over http' });
    await until(
      () => bob.client.messages.getRoom(partitionId, roomId).messages.map((m) => m.body),
      (xs) => xs.includes('hello over http'),
    );
    await until(
      () => a.messages.getRoom(partitionId, roomId).messages.at(-1),
      (m) => m?.body === 'hello over http' && m.status === 'SENT',
    );
    expect(bodies().filter((b) => b === 'hello over http')).toHaveLength(1);
  });

  test('after a server restart the streams resume with exactly the missed events; a send made meanwhile goes once', async () => {
    const before = bodies();
    await node.close();
    await until(
      () => a.connection.getSnapshot().state,
      (s) => s === 'RECONNECTING',
    );
    a.outbox.send({ partitionId, roomId, body: 'written while down' });

    node = await startTestNode({ dataDir: join(dir, 'data'), port });
    await bobSends('missed-', 20);
    await until(
      () => a.connection.getSnapshot(),
      (s) => s.state === 'CONNECTED' && s.transport === 'http',
      60_000,
    );
    const missed = Array.from({ length: 20 }, (_, i) => `missed-${i}`);
    await until(bodies, (xs) => missed.every((m) => xs.includes(m)) && xs.includes('written while down'), 60_000);
    await sleep(500);

    const after = bodies().slice(before.length);
    expect(after.filter((b) => b !== 'written while down')).toEqual(missed);
    expect(after.filter((b) => b === 'written while down')).toHaveLength(1);
    const ids = received.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    const onServer = await bob.client.trpc.message.list.query({ partitionId, roomId });
    expect(onServer.messages.map((m) => m.body)).toEqual(bodies());
  });

  test('once upgrades pass again it moves back to the WebSocket, with no event lost or repeated', async () => {
    proxy.refuseUpgrades = false;
    await until(
      () => a.connection.getSnapshot(),
      (s) => s.state === 'CONNECTED' && s.transport === 'websocket',
      30_000,
    );
    expect(proxy.upgrades.passed).toBeGreaterThanOrEqual(1);

    await bobSends('ws-', 5);
    await until(bodies, (xs) => xs.includes('ws-4'));
    await sleep(300);
    expect(bodies().slice(-5)).toEqual(['ws-0', 'ws-1', 'ws-2', 'ws-3', 'ws-4']);
    const ids = received.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    await until(
      () => a.presence.getSnapshot(partitionId),
      (p) => p.status === 'live' && !p.stale,
    );
  });

  test("the Origin check applies to event streams: the cookie with the server's own origin streams, a cross-site page is refused", async () => {
    const url = `${node.url}/trpc/event.onEvent?input=${encodeURIComponent(JSON.stringify({ partitionId, lastEventId: 0 }))}`;
    const cookie = `parley_session=${bob.token}`;
    // Chromium sends no Origin on a same-origin EventSource (checked by hand); one that does must name the server.
    const own = await firstFrames(url, { cookie, origin: node.url });
    expect(own).toContain('event: connected');
    expect(own).toMatch(/\nid: \d+/);
    const crossSite = await firstFrames(url, { cookie, origin: 'https://evil.example' });
    expect(crossSite).toContain('event: serialized-error');
    expect(crossSite).toContain('This origin is not allowed to call Parley.');
    expect(crossSite).not.toMatch(/\nid: /);
  });
});
