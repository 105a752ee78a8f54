import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ParleyNode } from '../src/node.ts';
import { signUp, sleep, startTestNode, until, uuidv7 } from './helpers.ts';

/**
 * A raw WebSocket speaking tRPC's wire format, so a test can do what a hostile client does:
 * batch hundreds of calls in a frame, call procedures that do not exist, stop reading.
 */
class RawSocket {
  readonly messages: { id?: unknown; result?: { type?: string; data?: unknown }; error?: { message: string; data?: { code?: string } } }[] = [];
  closed: { code: number; reason: string } | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = new TextDecoder().decode(Array.isArray(data) ? Buffer.concat(data) : data);
      if (text !== 'PING' && text !== 'PONG') this.messages.push(JSON.parse(text));
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', () => {});
  }

  static open(url: string, token?: string): Promise<RawSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawSocket(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(calls: object | object[]): void {
    this.ws.send(JSON.stringify(calls));
  }

  answer(id: number) {
    return this.messages.find((m) => m.id === id && (m.error || m.result?.type === 'data'));
  }

  /** Stops reading: the node's answers pile up in the kernel, then in the node. */
  stopReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.resume();
  }

  close(): void {
    this.ws.terminate();
  }
}

const query = (id: number, path: string, input?: unknown) => ({ id, jsonrpc: '2.0', method: 'query', params: { path, input } });
const subscription = (id: number, path: string, input?: unknown) => ({ id, jsonrpc: '2.0', method: 'subscription', params: { path, input } });

describe('WebSocket limits (a hostile client costs a node bounded memory)', () => {
  let node: ParleyNode;
  beforeAll(async () => {
    node = await startTestNode({
      api: { rateLimits: { requestsPerIp: { limit: 40, windowMs: 60_000 } } },
      wsLimits: {
        maxCallsPerFrame: 50,
        maxInFlight: 5,
        maxSubscriptions: 2,
        highWaterBytes: 64 * 1024,
        maxBufferedBytes: 1024 * 1024,
        maxConnectionsPerUser: 3,
      },
    });
  });
  afterAll(() => node?.close());

  test('a frame with more calls than the limit closes the connection (1008) and none of them runs', async () => {
    const s = await RawSocket.open(node.url);
    s.send(Array.from({ length: 51 }, (_, i) => query(i + 1, 'auth.me')));
    await until(
      () => s.closed,
      (c) => c !== null,
      5_000,
    );
    expect(s.closed).toEqual({ code: 1008, reason: 'At most 50 calls in one message.' });
    expect(s.messages).toEqual([]);
  });

  test('calls past the in-flight bound are answered TOO_MANY_REQUESTS at once; the others run', async () => {
    const s = await RawSocket.open(node.url);
    s.send(Array.from({ length: 8 }, (_, i) => query(i + 1, 'auth.me')));
    await until(
      () => s.messages.length,
      (n) => n >= 8,
      5_000,
    );
    const codes = Array.from({ length: 8 }, (_, i) => s.answer(i + 1)?.error?.data?.code ?? 'ok');
    expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(3);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
    expect(s.answer(8)?.error?.message).toBe('At most 5 calls waiting for an answer on one connection.');
    // Answered calls free their slots: the next frame runs.
    s.send([query(9, 'auth.me')]);
    await until(
      () => s.answer(9),
      (a) => a !== undefined,
      5_000,
    );
    expect(s.answer(9)?.error).toBeUndefined();
    s.close();
  });

  test('subscriptions past the per-connection bound are refused; a stopped one frees its slot', async () => {
    const alice = await signUp(node.url, `wslim_${uuidv7().slice(-8)}`);
    const partitionId = `wsl${uuidv7().slice(-6)}`;
    await alice.client.trpc.partition.create.mutate({ id: partitionId, name: 'Limits' });
    const s = await RawSocket.open(node.url, alice.token);
    s.send([
      subscription(1, 'event.onEvent', { partitionId }),
      subscription(2, 'event.onEvent', { partitionId }),
      subscription(3, 'event.onEvent', { partitionId }),
    ]);
    await until(
      () => s.messages.find((m) => m.id === 3),
      (m) => m !== undefined,
      5_000,
    );
    expect(s.messages.find((m) => m.id === 3)?.error).toMatchObject({
      message: 'At most 2 subscriptions on one connection.',
      data: { code: 'TOO_MANY_REQUESTS' },
    });
    s.send({ id: 1, method: 'subscription.stop' });
    await until(
      () => s.messages.find((m) => m.id === 1 && m.result?.type === 'stopped'),
      (m) => m !== undefined,
      5_000,
    );
    s.send(subscription(4, 'event.onEvent', { partitionId }));
    await until(
      () => s.messages.find((m) => m.id === 4),
      (m) => m !== undefined,
      5_000,
    );
    expect(s.messages.find((m) => m.id === 4)?.result?.type).toBe('started');
    s.close();
    await alice.client.close();
  });

  test('connections per user past the bound are closed with a reason', async () => {
    const bob = await signUp(node.url, `wsuser_${uuidv7().slice(-8)}`);
    const sockets = await Promise.all(Array.from({ length: 4 }, () => RawSocket.open(node.url, bob.token)));
    await until(
      () => sockets.filter((s) => s.closed).length,
      (n) => n === 1,
      5_000,
    );
    const closed = sockets.find((s) => s.closed)!;
    expect(closed.closed).toEqual({ code: 1008, reason: 'Too many connections for this account (at most 3).' });
    for (const s of sockets) s.close();
    await bob.client.close();
  });
  test('calls to procedures that do not exist count against the per-address limit', async () => {
    const s = await RawSocket.open(node.url);
    // The limit is 40 calls a minute from this address; earlier tests spent some of it.
    for (let i = 0; i < 45; i++) {
      s.send(query(100 + i, `no.such${i}`));
      await until(
        () => s.answer(100 + i),
        (a) => a !== undefined,
        5_000,
      );
    }
    const codes = s.messages.map((m) => m.error?.data?.code);
    expect(codes).toContain('NOT_FOUND');
    expect(codes.at(-1)).toBe('TOO_MANY_REQUESTS');
    expect(s.messages.at(-1)?.error?.message).toMatch(/^Too many requests from your network \(at most 40 in 1 minute\)\. Try again in/);
    expect(s.messages.find((m) => m.error?.data?.code === 'NOT_FOUND')?.error?.message).toMatch(/^Parley has no procedure named "no\.such\d+"\.$/);
    // The same address is now over its limit for real procedures too.
    s.send(query(999, 'auth.me'));
    await until(
      () => s.answer(999),
      (a) => a !== undefined,
      5_000,
    );
    expect(s.answer(999)?.error?.data?.code).toBe('TOO_MANY_REQUESTS');
    s.close();
    // And over HTTP, in a batch.
    const r = await fetch(`${node.url}/trpc/no.such,also.not?batch=1`);
    expect(r.status).toBe(429);
  });
});

describe('a client that never reads its socket', () => {
  let node: ParleyNode;
  const highWaterBytes = 64 * 1024;
  const maxBufferedBytes = 2 * 1024 * 1024;
  beforeAll(async () => {
    node = await startTestNode({ wsLimits: { highWaterBytes, maxBufferedBytes } });
  });
  afterAll(() => node?.close());

  test('flooding calls while not reading: the node stops reading it, then drops it; its memory stays bounded', async () => {
    const s = await RawSocket.open(node.url);
    s.stopReading();
    const frame = JSON.stringify(Array.from({ length: 100 }, (_, i) => query(i + 1, `no.such.procedure.with.a.long.name.${i}`)));
    let peak = 0;
    for (let i = 0; i < 3000 && !s.closed; i++) {
      s.ws.send(frame);
      if (i % 50 === 0) {
        await sleep(5);
        peak = Math.max(peak, node.server.wsBufferedBytes);
      }
    }
    await sleep(200);
    peak = Math.max(peak, node.server.wsBufferedBytes);
    // Never more than the hard bound plus one frame's answers in the node's memory.
    expect(peak).toBeLessThan(maxBufferedBytes + 100 * 300);
    // The client could not hand over what it wrote: the node stopped reading it.
    expect(s.ws.bufferedAmount > 1024 * 1024 || s.closed !== null).toBe(true);
    // Someone else on the node is answered meanwhile.
    const other = await RawSocket.open(node.url);
    other.send(query(1, 'auth.me'));
    await until(
      () => other.answer(1),
      (a) => a !== undefined,
      5_000,
    );
    other.close();
    s.close();
  });

  test('a subscriber that stops reading while others chat: bounded memory, nobody else waits, and it gets every event once it reads again', async () => {
    const alice = await signUp(node.url, `slow_${uuidv7().slice(-8)}`);
    const bob = await signUp(node.url, `fast_${uuidv7().slice(-8)}`);
    const partitionId = `slw${uuidv7().slice(-6)}`;
    const { inviteCode } = await alice.client.trpc.partition.create.mutate({ id: partitionId, name: 'Slow' });
    await bob.client.trpc.partition.join.mutate({ inviteCode });
    const roomId = (await alice.client.trpc.room.list.query({ partitionId }))[0]!.id;
    const { lastEventId: head } = await alice.client.trpc.event.head.query({ partitionId });

    const slow = await RawSocket.open(node.url, alice.token);
    const fast = await RawSocket.open(node.url, bob.token);
    slow.send(subscription(1, 'event.onEvent', { partitionId, lastEventId: head }));
    fast.send(subscription(1, 'event.onEvent', { partitionId, lastEventId: head }));
    await until(
      () => slow.messages.some((m) => m.result?.type === 'started'),
      (v) => v,
      5_000,
    );
    slow.stopReading();

    const count = 1500;
    const body = 'x'.repeat(3900);
    let peak = 0;
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) =>
          bob.client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body: `${i + j} ${body}` }),
        ),
      );
      peak = Math.max(peak, node.server.wsBufferedBytes);
    }
    const delivered = (s: RawSocket) =>
      s.messages.filter((m) => (m.result?.data as { data?: { type?: string } } | undefined)?.data?.type === 'message.created').length;
    await until(
      () => delivered(fast),
      (n) => n >= count,
      30_000,
    );
    peak = Math.max(peak, node.server.wsBufferedBytes);
    // ~6 MB was sent to each subscriber; what the node holds for the one not reading stays near
    // its high-water mark (one event of ~4 KB past it), whatever the amount sent. The sockets
    // that read hold at most one turn's frames (written together at the turn's end: ws-guard.ts).
    expect(peak).toBeLessThan(highWaterBytes + 64 * 1024 + 32 * 1024);
    expect(slow.closed).toBeNull();

    slow.resumeReading();
    await until(
      () => delivered(slow),
      (n) => n >= count,
      30_000,
    );
    const ids = slow.messages.flatMap((m) => (m.result?.type === 'data' ? [Number((m.result.data as { id: string }).id)] : []));
    expect(ids).toEqual(ids.map((_, i) => head + 1 + i));
    slow.close();
    fast.close();
    await alice.client.close();
    await bob.client.close();
  });
});
