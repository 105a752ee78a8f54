import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createParleyClient, manualNetwork, type NetworkStatus, type ParleyClient, type PresenceSignalDto, type PresenceStatus } from '@parley/client';
import { privateRedisForTests, waitUntil } from '@parley/cluster/test-services';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { signUp, spawnNode, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();

/** Short, so the test sees offline soon; long enough that a reconnect within it cannot miss. */
const GRACE_MS = 5_000;

/**
 * Two node processes on one PostgreSQL database and one Redis, with the presence-sweep job
 * running under its lease on one of them. Ada uses node 1, Bob watches from node 2.
 */
describe.skipIf(!baseUrl || !redis)('presence and typing across two nodes', () => {
  let testDb: TestDatabase;
  const nodes: NodeProcess[] = [];
  const clients: ParleyClient[] = [];
  const partitionId = 'presence_e2e';
  let ada: { id: string; token: string };
  let bob: ParleyClient;
  let general: string;
  /** Every status of Ada that Bob's screen has shown, in order (repeats collapsed). */
  const seenByBob: PresenceStatus[] = [];
  /** The raw signals Bob's node sent him. */
  const rawSignals: PresenceSignalDto[] = [];

  const client = (url: string, token: string, network?: NetworkStatus) => {
    const c = createParleyClient({ url, token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, network });
    clients.push(c);
    return c;
  };
  const adaAsBobSees = () => bob.presence.getSnapshot(partitionId).members[ada.id];

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const env = { DATABASE_URL: testDb.url, REDIS_URL: redis!.url, EVENT_POLL_MS: '200', PRESENCE_GRACE_MS: String(GRACE_MS) };
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'presence-1' }));
    nodes.push(await spawnNode({ ...env, SERVER_ID: 'presence-2' }));
    const [one, two] = nodes as [NodeProcess, NodeProcess];

    const owner = await signUp(two.url, 'bob');
    clients.push(owner.client);
    const { inviteCode } = await owner.client.trpc.partition.create.mutate({ id: partitionId, name: 'Presence' });
    general = (await owner.client.trpc.room.list.query({ partitionId }))[0]!.id;
    const adaAccount = await signUp(one.url, 'ada');
    clients.push(adaAccount.client);
    await adaAccount.client.trpc.partition.join.mutate({ inviteCode });
    ada = { id: adaAccount.user.id, token: adaAccount.token };

    bob = client(two.url, owner.token);
    bob.presence.subscribe(() => {
      const status = adaAsBobSees()?.status;
      if (status && seenByBob.at(-1) !== status) seenByBob.push(status);
    });
    bob.presence.watch(partitionId);
    bob.trpc.presence.onSignal.subscribe({ partitionId }, { onData: (s) => rawSignals.push(s) });
    await waitUntil(() => bob.presence.getSnapshot(partitionId).status === 'live', 15_000, "Bob's presence to be live");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    await testDb?.drop();
  });

  test('Ada connected to node 1 is seen online by Bob on node 2; her typing reaches him and ends by itself', async () => {
    const adaClient = client(nodes[0]!.url, ada.token);
    adaClient.messages.watch(partitionId);
    await waitUntil(() => adaAsBobSees()?.status === 'online', 15_000, 'Bob to see Ada online');

    adaClient.presence.typing(partitionId, general);
    await waitUntil(
      () => bob.presence.getSnapshot(partitionId).typing.some((t) => t.userId === ada.id && t.roomId === general),
      15_000,
      'Bob to see Ada typing',
    );
    const [typing] = bob.presence.getSnapshot(partitionId).typing;
    // About 5 s from now on Bob's clock (the nodes' clock, Redis's, moved onto his).
    expect(typing!.until - Date.now()).toBeGreaterThan(2_000);
    expect(typing!.until - Date.now()).toBeLessThanOrEqual(5_500);
    await waitUntil(() => bob.presence.getSnapshot(partitionId).typing.length === 0, 15_000, 'the typing to end');
    // And the nodes agree: nobody is typing any more.
    expect((await bob.trpc.presence.list.query({ partitionId })).typing).toEqual([]);
    await adaClient.close();
    await waitUntil(() => adaAsBobSees()?.status !== 'online', 15_000, 'Ada to leave');
  });

  test('a quick reconnect (the socket dropped and back within a couple of seconds) never shows Ada offline', async () => {
    // Taken away and given back, as a phone in a tunnel (the socket drops at once).
    const network = manualNetwork();
    const adaClient = client(nodes[0]!.url, ada.token, network);
    adaClient.messages.watch(partitionId);
    adaClient.presence.watch(partitionId);
    await waitUntil(() => adaAsBobSees()?.status === 'online', 15_000, 'Bob to see Ada online');
    const from = seenByBob.length - 1;

    network.set(false);
    await waitUntil(() => adaAsBobSees()?.status === 'reconnecting', 15_000, 'Bob to see the drop');
    network.set(true);
    await waitUntil(() => adaAsBobSees()?.status === 'online', 15_000, 'Bob to see Ada back');

    // Past the grace period and a few sweeps: still online, and offline was never shown.
    await new Promise((r) => setTimeout(r, GRACE_MS + 3_000));
    expect(adaAsBobSees()?.status).toBe('online');
    expect(seenByBob.slice(from)).toEqual(['online', 'reconnecting', 'online']);
    expect((await bob.trpc.presence.list.query({ partitionId })).members.find((m) => m.userId === ada.id)?.status).toBe('online');
    await adaClient.close();
  });

  test('a real disconnect shows reconnecting, then offline with last seen after the grace period, announced once', async () => {
    const adaClient = client(nodes[0]!.url, ada.token);
    adaClient.presence.watch(partitionId);
    await waitUntil(() => adaAsBobSees()?.status === 'online', 15_000, 'Bob to see Ada online');
    const signalsBefore = rawSignals.length;

    const leftAt = Date.now();
    await adaClient.close();
    await waitUntil(() => adaAsBobSees()?.status === 'reconnecting', 15_000, 'Bob to see Ada reconnecting');
    const reconnecting = adaAsBobSees()!;
    expect(reconnecting.offlineAt! - reconnecting.lastSeenAt!).toBe(GRACE_MS);
    expect(Math.abs(reconnecting.lastSeenAt! - leftAt)).toBeLessThan(2_000);

    await waitUntil(() => adaAsBobSees()?.status === 'offline', GRACE_MS + 15_000, 'Bob to see Ada offline');
    expect(Date.now()).toBeGreaterThanOrEqual(reconnecting.offlineAt! - 100);
    expect(adaAsBobSees()).toEqual({ userId: ada.id, status: 'offline', lastSeenAt: reconnecting.lastSeenAt, offlineAt: null });
    const listed = (await bob.trpc.presence.list.query({ partitionId })).members.find((m) => m.userId === ada.id);
    expect(listed).toMatchObject({ status: 'offline', offlineAt: null });
    expect(Date.parse(listed!.lastSeenAt!)).toBeGreaterThan(0);

    // The sweep's announcement (one node, under the partition's lease) arrives as well, once.
    const offlineSignals = () => rawSignals.slice(signalsBefore).filter((s) => s.type === 'presence' && s.userId === ada.id && s.status === 'offline');
    await waitUntil(() => offlineSignals().length > 0, 15_000, 'the presence-sweep to announce Ada offline');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(offlineSignals()).toHaveLength(1);
  });
});
