import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { privateRedisForTests, waitUntil } from '@parley/cluster/test-services';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { DeliveryChecker, formatReport, startCluster, type Cluster, type DeliveryReport, type NodeProcess } from '@parley/scripts/cluster';
import { nginxForTests } from '@parley/scripts/cluster/test-services';
import { clusterClient, health, RELAXED_RATE_LIMIT_ENV, sendContinuously, steerAwayFrom, type ClusterClient } from './harness.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();
const nginxBinary = nginxForTests();

const statusOf = (url: string, agent: Agent) =>
  new Promise<number>((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).once('error', reject);
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nothingWrong = { lost: 0, duplicated: 0, outOfOrder: 0, reordered: 0 };

/**
 * Three node processes on one fresh PostgreSQL database and a private Redis, nginx in front
 * (nginx.conf rendered for them), and four people whose clients (@parley/client, through nginx
 * only) all watch one room: alice and bob send, carol and dave mostly read. Each fault happens
 * mid-stream; afterwards every outbox drains and the delivery checker must count, for every
 * client, nothing lost, nothing twice, no event out of order or missing. Killed nodes are
 * started again (same port) before the next scenario.
 */
describe.skipIf(!baseUrl || !redis || !nginxBinary)('three nodes behind nginx', () => {
  let testDb: TestDatabase;
  let cluster: Cluster;
  const partitionId = 'failover';
  let roomId: string;
  const people: ClusterClient[] = [];
  const alice = () => people[0]!;
  const bob = () => people[1]!;
  const carol = () => people[2]!;

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    cluster = await startCluster({
      databaseUrl: testDb.url,
      redisUrl: redis!.url,
      nginxBinary: nginxBinary!,
      // While Redis is down the nodes read the log every 200 ms.
      env: { LOG_LEVEL: 'warn', EVENT_POLL_MS: '200', ...RELAXED_RATE_LIMIT_ENV },
    });
    const owner = await clusterClient(cluster, 'alice');
    people.push(owner);
    const { inviteCode } = await owner.client.trpc.partition.create.mutate({ id: partitionId, name: 'Failover' });
    roomId = (await owner.client.trpc.room.list.query({ partitionId }))[0]!.id;
    for (const name of ['bob', 'carol', 'dave']) {
      const person = await clusterClient(cluster, name);
      await person.client.trpc.partition.join.mutate({ inviteCode });
      people.push(person);
    }
    // Every stream starts after the joins: from here on each event is a message in the room
    // all four are in, so each client must see every id, densely.
    const { lastEventId: head } = await owner.client.trpc.event.head.query({ partitionId });
    for (const person of people) {
      person.watch(partitionId, head);
      await person.connected();
    }
  });

  afterAll(async () => {
    await Promise.all(people.map((p) => p.close()));
    await cluster?.stop();
    await redis?.stop();
    await testDb?.drop();
  });

  /** Ends a scenario: outboxes drained, every message everywhere; prints and checks the counts. */
  async function settle(label: string, checker: DeliveryChecker, senders: ClusterClient[]): Promise<DeliveryReport> {
    try {
      for (const s of senders) await s.drained();
      const report = await checker.waitForAll(30_000);
      console.log(`${formatReport(report, label)}\nnodes: ${people.map((p) => `${p.name} ${p.nodes.join(' → ')}`).join('; ')}`);
      expect(report.totals).toEqual(nothingWrong);
      for (const p of people) expect(p.errors).toEqual([]);
      return report;
    } catch (error) {
      console.log(`${formatReport(checker.report(), label)}\n${logs()}`);
      throw error;
    }
  }

  const logs = () => [...cluster.nodes.map((n) => `--- ${n.id}\n${n.recentOutput()}`), `--- nginx\n${cluster.nginx.recentOutput()}`].join('\n');

  /** A fresh checker that every client reports to from here on. */
  function newChecker(): DeliveryChecker {
    const checker = new DeliveryChecker();
    for (const p of people) p.reportTo(checker);
    return checker;
  }

  /** Two senders, `before` ms, the fault, `after` ms more, then stop sending and settle. */
  async function midStream(label: string, fault: () => Promise<void>, timing = { before: 1500, after: 2500 }) {
    const checker = newChecker();
    const senders = [alice(), bob()];
    const sending = sendContinuously(senders, { partitionId, roomId }, label);
    try {
      await sleep(timing.before);
      await fault();
      await sleep(timing.after);
    } finally {
      sending.stop();
    }
    const report = await settle(label, checker, senders);
    expect(report.sent).toBeGreaterThan(20);
    return report;
  }

  const nodeWithMostClients = (): NodeProcess => {
    const counts = new Map<NodeProcess, number>();
    for (const p of people) {
      const n = p.node();
      if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  };

  test("clients on different nodes see each other's messages live", async () => {
    // Connected one after another, least_conn put the first three on three different nodes.
    expect(new Set(people.map((p) => p.node()?.id)).size).toBe(3);
    expect(bob().node()).not.toBe(alice().node());
    const checker = newChecker();
    alice().send(partitionId, roomId, `hello from ${alice().node()!.id}`);
    bob().send(partitionId, roomId, `hello back from ${bob().node()!.id}`);
    carol().send(partitionId, roomId, `and from ${carol().node()!.id}`);
    await settle('live across nodes', checker, [alice(), bob(), carol()]);
  });

  test('nginx limits requests per client address, loopback exempt (a local load generator is not throttled)', async () => {
    // 127.0.0.2 is another address of this machine; nginx sees it as a client like any other.
    const statuses = async (localAddress: string, count: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 20, localAddress });
      try {
        return await Promise.all(Array.from({ length: count }, () => statusOf(`${cluster.url}/live`, agent)));
      } finally {
        agent.destroy();
      }
    };
    // burst=200 at 50 r/s: 600 requests would have to take 8 s for none to be refused.
    const limited = await statuses('127.0.0.2', 600);
    expect(limited.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(limited.filter((s) => s === 200).length).toBeGreaterThanOrEqual(200);
    expect(new Set(await statuses('127.0.0.1', 600))).toEqual(new Set([200]));
  });

  test('kill -9 of a node while two people send', async () => {
    const victim = alice().node()!;
    const onVictim = people.filter((p) => p.node() === victim);
    try {
      await midStream(`kill -9 ${victim.id}`, async () => {
        expect(await victim.stop('SIGKILL')).toBeNull();
      });
      for (const p of onVictim) expect(p.node()).not.toBe(victim);
    } finally {
      await victim.start();
    }
  });

  test('SIGTERM: the node drains (clients are told to reconnect), exits 0, and its clients resume elsewhere', async () => {
    const victim = nodeWithMostClients();
    const onVictim = people.filter((p) => p.node() === victim);
    expect(onVictim.length).toBeGreaterThan(0);
    try {
      await midStream(`SIGTERM ${victim.id}`, async () => {
        expect(await victim.stop('SIGTERM')).toBe(0);
      });
      for (const p of onVictim) expect(p.node()).not.toBe(victim);
    } finally {
      await victim.start();
    }
  });

  test('Redis killed and started again mid-stream', async () => {
    const allSay = (redisState: string) =>
      waitUntil(
        async () => (await Promise.all(cluster.nodes.map(health))).every((h) => h?.redis === redisState),
        15_000,
        `every node to report Redis ${redisState}`,
      );
    await midStream('Redis down and back', async () => {
      await redis!.stop();
      // Every node noticed: from here cross-node events come from polling the log.
      await allSay('down');
      await sleep(1000);
      await redis!.start();
    });
    await allSay('up');
  });

  test('offline for a while: sends wait in the outbox; back on another node, everything missed arrives and the queue goes out once', async () => {
    const checker = newChecker();
    const away = carol();
    const before = away.node()!;
    away.network.set(false);
    await waitUntil(() => away.client.connection.getSnapshot().state === 'DISCONNECTED', 10_000, 'carol offline');
    for (let i = 1; i <= 5; i++) away.send(partitionId, roomId, `written offline #${i}`);
    expect(away.client.outbox.getSnapshot().map((e) => e.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);

    // The others go on meanwhile; carol will have to catch up on all of it.
    const sending = sendContinuously([alice(), bob()], { partitionId, roomId }, 'while carol is away');
    await sleep(2000);
    sending.stop();
    await alice().drained();
    await bob().drained();

    // nginx picks where carol lands; make sure least_conn does not pick her old node.
    const release = await steerAwayFrom(cluster, before);
    try {
      away.network.set(true);
      await away.connected();
      expect(away.node()).toBeDefined();
      expect(away.node()).not.toBe(before);
    } finally {
      await release();
    }
    const report = await settle(`offline, back on ${away.node()!.id} (was ${before.id})`, checker, [away]);
    expect(report.sent).toBeGreaterThan(10);
  });
});
