import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createParleyClient, type ParleyClient } from '@parley/client';
import type { ParleyNode } from '../src/node.ts';
import { waitUntil as until } from '@parley/cluster/test-services';
import { signUp, startTestNode } from './helpers.ts';

/**
 * `message.send` goes over the client's WebSocket while one is open (token clients), and a
 * send whose socket dies before the answer is sent again by the outbox with the same clientId:
 * here the first attempt is committed and its answer lost, the worst case.
 */

/** A TCP proxy whose open connections can be cut at once (new ones still pass). */
async function cuttableProxy(port: number) {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((downstream) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    downstream.pipe(upstream).pipe(downstream);
    const drop = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('message.send over the WebSocket', () => {
  let node: ParleyNode;
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let roomId: string;
  const partitionId = 'socketsend';
  const clients: ParleyClient[] = [];
  /** message.send calls that reached the node over HTTP. */
  let httpSends = 0;

  beforeAll(async () => {
    node = await startTestNode({ dataDir: 'memory://' });
    node.server.http.on('request', (req) => {
      if (req.url?.includes('message.send')) httpSends++;
    });
    proxy = await cuttableProxy(node.port);
    alice = await signUp(node.url, 'alice');
    await alice.client.trpc.partition.create.mutate({ id: partitionId, name: 'Socket send' });
    roomId = (await alice.client.trpc.room.list.query({ partitionId }))[0]!.id;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await alice?.client.close();
    await proxy?.close();
    await node?.close();
  });

  const client = () => {
    const c = createParleyClient({ url: proxy.url, token: alice.token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    clients.push(c);
    return c;
  };

  test('while the socket is open a send takes it, not HTTP', async () => {
    const a = client();
    a.messages.watch(partitionId);
    await until(() => a.connection.getSnapshot().state === 'CONNECTED', 20_000, 'the socket');
    const before = httpSends;
    for (const body of ['one', 'two', 'three']) a.outbox.send({ partitionId, roomId, body });
    await until(() => a.outbox.getSnapshot().length === 0, 20_000, 'the outbox to empty');
    expect(httpSends).toBe(before);
    const { messages } = await alice.client.trpc.message.list.query({ partitionId, roomId });
    expect(messages.map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });

  test('a send whose socket drops before the answer is sent again with the same clientId: stored once, shown once', async () => {
    const a = client();
    a.messages.watch(partitionId);
    await a.messages.loadRoom(partitionId, roomId);
    await until(() => a.connection.getSnapshot().state === 'CONNECTED', 20_000, 'the socket');

    // The node commits the first attempt, then its answer waits until the socket is gone.
    const writer = node.deps.messageWriter;
    const write = writer.write.bind(writer);
    const attempts: { clientId: string; outcome: string }[] = [];
    let releaseAnswer!: () => void;
    const answerHeld = new Promise<void>((resolve) => (releaseAnswer = resolve));
    writer.write = async (pid, item) => {
      const outcome = await write(pid, item);
      attempts.push({ clientId: item.clientId, outcome: outcome.kind });
      if (attempts.length === 1) await answerHeld;
      return outcome;
    };
    try {
      const httpBefore = httpSends;
      const entry = a.outbox.send({ partitionId, roomId, body: 'in flight' });
      await until(() => attempts.length === 1, 20_000, 'the first attempt to commit');
      expect(httpSends, 'the first attempt went over the socket').toBe(httpBefore);
      proxy.cut();
      await until(() => a.connection.getSnapshot().state !== 'CONNECTED', 20_000, 'the client to see the socket drop');
      releaseAnswer();

      await until(() => a.outbox.getSnapshot().length === 0, 30_000, 'the outbox to send it again');
      expect(attempts).toEqual([
        { clientId: entry.clientId, outcome: 'inserted' },
        { clientId: entry.clientId, outcome: 'duplicate' },
      ]);
      const { messages } = await alice.client.trpc.message.list.query({ partitionId, roomId });
      expect(messages.filter((m) => m.body === 'in flight')).toHaveLength(1);
      await until(() => a.connection.getSnapshot().state === 'CONNECTED', 20_000, 'the client to reconnect');
      await until(() => a.messages.getRoom(partitionId, roomId).messages.every((m) => m.status === 'SENT'), 20_000, 'the message to show as sent');
      expect(a.messages.getRoom(partitionId, roomId).messages.filter((m) => m.body === 'in flight')).toHaveLength(1);
    } finally {
      writer.write = write;
      releaseAnswer();
    }
  });
});
