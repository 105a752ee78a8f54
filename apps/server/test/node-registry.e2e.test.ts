import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { waitUntil } from '@parley/cluster/test-services';
import { createDb, type DbHandle } from '@parley/db';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { connect, signUp, spawnNode, type NodeProcess } from './helpers.ts';

const baseUrl = await postgresForTests();

interface Health {
  node: string;
  nodeStatus: string;
  leases: { job: string; scope: string; generation: number }[];
}
const health = async (node: NodeProcess) => (await (await fetch(`${node.url}/health`)).json()) as Health;
const key = (l: { job: string; scope: string }) => `${l.job}/${l.scope}`;

/**
 * Three node processes on one fresh PostgreSQL database, with the real timings (heartbeat 5 s,
 * lease TTL 10 s, renewal 3 s, scan 2 s, unhealthy after 15 s): registration, one holder per
 * (job, scope), a holder killed with SIGKILL and its leases taken over, a node drained with
 * SIGTERM and its leases released and picked up.
 */
describe.skipIf(!baseUrl)('node registry and leases across three processes', () => {
  let testDb: TestDatabase;
  let db: DbHandle;
  const nodes = new Map<string, NodeProcess>();
  const ids = ['node-a', 'node-b', 'node-c'];

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const env = { DATABASE_URL: testDb.url, EVENT_POLL_MS: '500' };
    // The first one alone migrates the fresh database; then the other two together.
    nodes.set('node-a', await spawnNode({ ...env, SERVER_ID: 'node-a' }));
    const [b, c] = await Promise.all([spawnNode({ ...env, SERVER_ID: 'node-b' }), spawnNode({ ...env, SERVER_ID: 'node-c' })]);
    nodes.set('node-b', b);
    nodes.set('node-c', c);
    db = await createDb({ databaseUrl: testDb.url });
  });
  afterAll(async () => {
    await Promise.all([...nodes.values()].map((n) => n.stop('SIGKILL')));
    await db?.close();
    await testDb?.drop();
  });

  const leaseRows = () => db.db.selectFrom('leases').select(['job', 'scope', 'holder', 'generation']).orderBy('job').orderBy('scope').execute();
  const holderOf = async (job: string, scope: string) =>
    (await db.db.selectFrom('leases').select('holder').where('job', '=', job).where('scope', '=', scope).executeTakeFirst())?.holder ?? null;
  const audit = (action: string, actor?: string) => {
    let q = db.db
      .selectFrom('audit_log')
      .select(['actor', 'subject', sql<string | null>`details->>'from'`.as('from'), sql<string | null>`details->>'reason'`.as('reason')])
      .where('action', '=', action);
    if (actor) q = q.where('actor', '=', actor);
    return q.orderBy('id').execute();
  };
  const live = () => [...nodes.entries()].filter(([, n]) => n.child.exitCode === null && n.child.signalCode === null);

  test('every node registers as active, and each (job, scope) has exactly one holder, which is the one that runs it', async () => {
    const rows = await db.db.selectFrom('nodes').select(['id', 'status', 'pid', 'url']).orderBy('id').execute();
    expect(rows.map((r) => [r.id, r.status])).toEqual(ids.map((id) => [id, 'active']));
    for (const row of rows) expect(row.url).toBe(nodes.get(row.id)!.url);
    expect((await audit('node.registered')).map((e) => e.subject).sort()).toEqual(ids);

    // Workspaces: any partition-scoped job gets one lease per workspace, created at runtime.
    const owner = await signUp(nodes.get('node-b')!.url, 'owner');
    for (const id of ['alpha', 'bravo', 'charlie']) await owner.client.trpc.partition.create.mutate({ id, name: id });
    await owner.client.close();

    await waitUntil(async () => (await holderOf('session-sweep', 'global')) !== null, 15_000, 'the session sweep to be leased');
    // Wait for a stable picture: what the nodes say they run equals what the table says they hold.
    let held: string[] = [];
    await waitUntil(
      async () => {
        const reports = await Promise.all(ids.map(async (id) => (await health(nodes.get(id)!)).leases.map((l) => `${key(l)}@${id}`)));
        held = reports.flat().sort();
        const table = (await leaseRows())
          .filter((l) => l.holder !== null)
          .map((l) => `${key(l)}@${l.holder}`)
          .sort();
        return held.length > 0 && JSON.stringify(held) === JSON.stringify(table);
      },
      20_000,
      'the nodes’ own reports to match the lease table',
    );
    // No (job, scope) is run by two nodes.
    const pairs = held.map((h) => h.split('@')[0]);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs).toContain('session-sweep/global');
    for (const row of await leaseRows()) expect(ids).toContain(row.holder);
    const health0 = await health(nodes.get('node-a')!);
    expect(health0).toMatchObject({ node: 'node-a', nodeStatus: 'active' });
  });

  test('kill -9 the session sweep’s holder: a healthy node holds it within 15 s, and the audit log says lease.taken_over', async () => {
    const victimId = (await holderOf('session-sweep', 'global'))!;
    const victimLeases = (await leaseRows()).filter((l) => l.holder === victimId).map(key);
    const victim = nodes.get(victimId)!;
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    await waitUntil(
      async () => {
        const rows = await leaseRows();
        return victimLeases.every((k) => {
          const holder = rows.find((r) => key(r) === k)?.holder;
          return holder !== undefined && holder !== null && holder !== victimId;
        });
      },
      15_000,
      `every lease of ${victimId} to be taken over`,
    );
    const tookMs = Date.now() - killedAt;
    const newHolder = (await holderOf('session-sweep', 'global'))!;
    expect(live().map(([id]) => id)).toContain(newHolder);
    const takeovers = (await audit('lease.taken_over')).filter((e) => e.from === victimId);
    expect(takeovers.map((e) => e.subject).sort()).toEqual(victimLeases.sort());
    expect(takeovers.find((e) => e.subject === 'session-sweep/global')?.actor).toBe(newHolder);
    console.info(`[node-registry] ${victimLeases.length} lease(s) of ${victimId} taken over ${tookMs} ms after SIGKILL`);
    nodes.delete(victimId);
  });

  test('SIGTERM a node: it exits 0, its row is inactive, its leases are released (audited) and the other node picks them up promptly', async () => {
    // The session sweep's holder: it surely has a lease to give back.
    const drainedId = (await holderOf('session-sweep', 'global'))!;
    const drained = nodes.get(drainedId)!;
    const holding = (await leaseRows()).filter((l) => l.holder === drainedId).map(key);
    const survivorId = live()
      .map(([id]) => id)
      .find((id) => id !== drainedId)!;
    const stoppedAt = Date.now();
    expect(await drained.stop('SIGTERM')).toBe(0);
    const exitMs = Date.now() - stoppedAt;
    const row = await db.db.selectFrom('nodes').select(['status', 'stopped_at']).where('id', '=', drainedId).executeTakeFirstOrThrow();
    expect(row.status).toBe('inactive');
    expect(row.stopped_at).not.toBeNull();
    const released = (await audit('lease.released', drainedId)).filter((e) => e.reason === 'stopping').map((e) => e.subject);
    expect(released.sort()).toEqual([...holding].sort());
    expect((await audit('node.draining', drainedId)).length).toBe(1);
    expect((await audit('node.inactive', drainedId)).length).toBe(1);

    const pickedUpFrom = Date.now();
    await waitUntil(
      async () => {
        const rows = await leaseRows();
        return holding.every((k) => rows.find((r) => key(r) === k)?.holder === survivorId);
      },
      10_000,
      `${survivorId} to pick up the released leases`,
    );
    console.info(`[node-registry] ${drainedId} drained in ${exitMs} ms; ${holding.length} released lease(s) picked up ${Date.now() - pickedUpFrom} ms later`);
    // Released, then acquired: not a takeover.
    const acquired = (await audit('lease.acquired', survivorId)).map((e) => e.subject);
    for (const k of holding) expect(acquired).toContain(k);
    nodes.delete(drainedId);
  });

  test('the admin view (first account only) shows the survivor healthy, the drained node inactive, the killed one unhealthy', async () => {
    const [survivorId, survivor] = live()[0]!;
    const anon = connect(survivor.url);
    // `owner` registered first on this fresh database, so it is the administrator.
    const { token } = await anon.trpc.auth.login.mutate({ username: 'owner', password: 'correct horse battery', session: 'token' });
    await anon.close();
    const admin = connect(survivor.url, token);
    const other = await signUp(survivor.url, 'someone');
    try {
      await expect(other.client.trpc.admin.nodes.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
      // The killed node stops looking healthy once its heartbeat is 15 s old by the database clock.
      await waitUntil(async () => (await admin.trpc.admin.nodes.query()).filter((n) => n.healthy).length === 1, 30_000, 'one healthy node');
      const view = await admin.trpc.admin.nodes.query();
      expect(view.filter((n) => n.healthy).map((n) => n.id)).toEqual([survivorId]);
      expect(view.find((n) => n.id === survivorId)!.leases.map(key)).toContain('session-sweep/global');
      const inactive = view.filter((n) => n.status === 'inactive');
      expect(inactive).toHaveLength(1);
      const killed = view.find((n) => n.id !== survivorId && n.status !== 'inactive')!;
      expect(killed).toMatchObject({ status: 'active', healthy: false, leases: [] });
      expect(killed.heartbeatAgeSeconds).toBeGreaterThanOrEqual(15);
    } finally {
      await admin.close();
      await other.client.close();
    }
  });
});
