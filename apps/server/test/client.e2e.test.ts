import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createParleyClient, type ParleyClient, type RoomView } from '@parley/client';
import { fileStorage } from '@parley/client/file-storage';
import type { ParleyNode } from '../src/node.ts';
import { signUp, sleep, startTestNode, until, uuidv7 } from './helpers.ts';

/**
 * @parley/client against a real server: the connection state machine, the outbox and the
 * message store through a server restart, with a file-backed outbox that outlives the client.
 */

const bodies = (view: RoomView) => view.messages.map((m) => m.body);

describe('@parley/client against a real server', () => {
  let dir: string;
  let node: ParleyNode;
  let port: number;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let roomId: string;
  const partitionId = 'clientco';
  const clients: ParleyClient[] = [];

  const client = (token: string, statePath: string) => {
    const c = createParleyClient({
      url: node.url,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      storage: fileStorage(join(dir, statePath)),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-client-e2e-'));
    node = await startTestNode({ dataDir: join(dir, 'data') });
    port = node.port;
    alice = await signUp(node.url, 'alice');
    bob = await signUp(node.url, 'bob');
    const { inviteCode } = await alice.client.trpc.partition.create.mutate({ id: partitionId, name: 'Client Co' });
    await bob.client.trpc.partition.join.mutate({ inviteCode });
    roomId = (await alice.client.trpc.room.list.query({ partitionId }))[0]!.id;
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await alice?.client.close();
    await bob?.client.close();
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('live both ways; sends during a server outage wait in the outbox and arrive once each, in order', async () => {
    const a = client(alice.token, 'alice.json');
    const b = client(bob.token, 'bob.json');
    a.messages.watch(partitionId);
    b.messages.watch(partitionId);
    await a.messages.loadRoom(partitionId, roomId);
    await b.messages.loadRoom(partitionId, roomId);
    await until(
      () => a.connection.getSnapshot().state,
      (s) => s === 'CONNECTED',
    );

    a.outbox.send({ partitionId, roomId, body: 'hello bob' });
    await until(
      () => bodies(b.messages.getRoom(partitionId, roomId)),
      (xs) => xs.includes('hello bob'),
    );

    await node.close();
    await until(
      () => a.connection.getSnapshot().state,
      (s) => s === 'RECONNECTING',
    );
    for (const body of ['one', 'two', 'three']) a.outbox.send({ partitionId, roomId, body });
    const pendingView = a.messages.getRoom(partitionId, roomId);
    expect(pendingView.messages.slice(-3).map((m) => [m.body, m.status])).toEqual([
      ['one', 'SENDING'],
      ['two', 'SENDING'],
      ['three', 'SENDING'],
    ]);
    await sleep(1500);
    expect(a.outbox.getSnapshot().map((e) => (e.kind === 'send' ? e.body : e.kind))).toEqual(['one', 'two', 'three']);

    node = await startTestNode({ dataDir: join(dir, 'data'), port });
    await until(
      () => a.connection.getSnapshot().state,
      (s) => s === 'CONNECTED',
      60_000,
    );
    const seenByBob = await until(
      () => bodies(b.messages.getRoom(partitionId, roomId)),
      (xs) => xs.includes('three'),
      60_000,
    );
    expect(seenByBob.filter((x) => ['one', 'two', 'three'].includes(x))).toEqual(['one', 'two', 'three']);
    const aView = await until(
      () => a.messages.getRoom(partitionId, roomId),
      (v) => v.messages.every((m) => m.status === 'SENT'),
    );
    expect(bodies(aView)).toEqual(seenByBob);
    expect(new Set(aView.messages.map((m) => m.id)).size).toBe(aView.messages.length);
    const onServer = await bob.client.trpc.message.list.query({ partitionId, roomId });
    expect(onServer.messages.map((m) => m.body)).toEqual(seenByBob);
  });

  test('edits, reactions, pins and deletes made during an outage survive a restart of the client and arrive once each, in order', async () => {
    const a = client(alice.token, 'alice-ops.json');
    const b = client(bob.token, 'bob-ops.json');
    a.messages.watch(partitionId);
    b.messages.watch(partitionId);
    await a.messages.loadRoom(partitionId, roomId);
    await b.messages.loadRoom(partitionId, roomId);
    const [m1, m2, m3] = await Promise.all(
      ['edit me', 'delete me', 'react to me'].map((body) => alice.client.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body })),
    );
    await until(
      () => bodies(a.messages.getRoom(partitionId, roomId)),
      (xs) => xs.includes('react to me'),
    );
    const head = (await bob.client.trpc.event.head.query({ partitionId })).lastEventId;

    await node.close();
    await until(
      () => a.connection.getSnapshot().state,
      (s) => s === 'RECONNECTING',
    );
    a.actions.edit(partitionId, m1!.id, 'edited on the train');
    a.actions.react(partitionId, m3!.id, '👍');
    a.actions.pin(partitionId, m3!.id);
    a.actions.delete(partitionId, m2!.id, 'everyone');
    const shown = a.messages.getRoom(partitionId, roomId).messages;
    expect(shown.find((m) => m.id === m1!.id)).toMatchObject({ body: 'edited on the train', pendingOps: 1 });
    expect(shown.find((m) => m.id === m2!.id)?.deletedAt).toBeTruthy();
    // The page is closed with everything still queued; a new one on the same storage sends it.
    await a.close();
    const again = client(alice.token, 'alice-ops.json');
    again.messages.watch(partitionId);
    await again.outbox.ready;
    expect(again.outbox.getSnapshot().map((e) => (e.kind === 'op' ? e.op.type : e.kind))).toEqual([
      'message.edit',
      'reaction.add',
      'message.pin',
      'message.delete',
    ]);

    node = await startTestNode({ dataDir: join(dir, 'data'), port });
    await until(
      () => again.outbox.getSnapshot().length,
      (n) => n === 0,
      60_000,
    );
    const seen = await until(
      () => b.messages.getRoom(partitionId, roomId).messages,
      (ms) => Boolean(ms.find((m) => m.id === m2!.id)?.deletedAt) && ms.find((m) => m.id === m1!.id)?.body === 'edited on the train',
      60_000,
    );
    expect(seen.find((m) => m.id === m3!.id)).toMatchObject({ pinnedAt: expect.any(String), reactions: [expect.objectContaining({ emoji: '👍', count: 1 })] });
    const log = await node.deps.db.selectFrom('events_clientco').select('type').where('id', '>', head).orderBy('id').execute();
    expect(log.map((e) => e.type)).toEqual(['message.edited', 'reaction.added', 'message.pinned', 'message.deleted']);
  });

  test('a client made again on the same storage shows the room with no network and resumes after its last event', async () => {
    const first = client(alice.token, 'alice2.json');
    first.messages.watch(partitionId);
    await first.messages.loadRoom(partitionId, roomId);
    const before = bodies(first.messages.getRoom(partitionId, roomId));
    expect(before.length).toBeGreaterThan(3);
    await first.close();

    const sent = await bob.client.trpc.message.send.mutate({
      partitionId,
      roomId,
      clientId: uuidv7(),
      body: 'while you were away',
    });

    const again = client(alice.token, 'alice2.json');
    await again.messages.restore(partitionId);
    // From storage alone: what was there before, nothing fetched yet.
    expect(bodies(again.messages.getRoom(partitionId, roomId))).toEqual(before);
    again.messages.watch(partitionId);
    const after = await until(
      () => bodies(again.messages.getRoom(partitionId, roomId)),
      (xs) => xs.includes(sent.body),
    );
    expect(after).toEqual([...before, sent.body]);
  });
});
