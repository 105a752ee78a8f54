import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { createDb, migrateToLatest, type DbHandle } from '@parley/db';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createJobRunner, type JobRunner } from './job-runner.ts';
import type { BackgroundJob } from './jobs.ts';
import { acquireLease, readLeaseSnapshot, releaseLeases, renewLeases } from './leases.ts';
import { createNodeRegistry, type NodeRegistry } from './node-registry.ts';
import { waitUntil } from './test-services.ts';

const baseUrl = await postgresForTests();
const quiet = { info() {}, warn() {} };

describe.skipIf(!baseUrl)('leases on PostgreSQL', () => {
  let testDb: TestDatabase;
  /** Two pools: two contenders really race on two connections. */
  let a: DbHandle;
  let b: DbHandle;
  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    a = await createDb({ databaseUrl: testDb.url });
    b = await createDb({ databaseUrl: testDb.url });
    await migrateToLatest(a.db);
    for (const id of ['node-a', 'node-b']) {
      await a.db.insertInto('nodes').values({ id, status: 'active', pid: null, version: null, url: null }).execute();
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await testDb?.drop();
  });

  const lease = (job: string, scope = 'global') =>
    a.db.selectFrom('leases').selectAll().where('job', '=', job).where('scope', '=', scope).executeTakeFirstOrThrow();
  const audit = (job: string) =>
    a.db
      .selectFrom('audit_log')
      .select(['actor', 'action', sql<string | null>`details->>'from'`.as('from'), sql<number>`(details->>'generation')::int`.as('generation')])
      .where('subject', 'like', `${job}/%`)
      .orderBy('id')
      .execute();

  test('of two contenders racing for the same lease, exactly one wins, every time', async () => {
    for (let i = 0; i < 25; i++) {
      const job = `race-${i}`;
      const results = await Promise.all([
        acquireLease(a.db, { job, scope: 'global', nodeId: 'node-a' }),
        acquireLease(b.db, { job, scope: 'global', nodeId: 'node-b' }),
      ]);
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const row = await lease(job);
      expect(row.holder).toBe(results[0] ? 'node-a' : 'node-b');
      expect(row.generation).toBe(1);
      expect((await audit(job)).map((e) => e.action)).toEqual(['lease.acquired']);
    }
  });

  test('the holder renews (expiry moves on); anyone else, or an old generation, renews nothing', async () => {
    const won = (await acquireLease(a.db, { job: 'renew', scope: 'global', nodeId: 'node-a' }, { ttlMs: 2_000 }))!;
    const first = await lease('renew');
    expect(await renewLeases(b.db, 'node-b', [won], 60_000)).toEqual([]);
    expect(await renewLeases(a.db, 'node-a', [{ ...won, generation: won.generation + 1 }], 60_000)).toEqual([]);
    expect(await renewLeases(a.db, 'node-a', [won], 60_000)).toEqual([{ job: 'renew', scope: 'global' }]);
    const renewed = await lease('renew');
    expect(Date.parse(renewed.expires_at) - Date.parse(first.expires_at)).toBeGreaterThan(50_000);
    expect(renewed.generation).toBe(first.generation);
  });

  test('a valid lease of a healthy holder cannot be taken; once expired it is taken over (audited), and the old holder’s renewal fails', async () => {
    const held = (await acquireLease(a.db, { job: 'takeover', scope: 'acme', nodeId: 'node-a' }))!;
    expect(await acquireLease(b.db, { job: 'takeover', scope: 'acme', nodeId: 'node-b' })).toBeNull();
    expect((await lease('takeover', 'acme')).holder).toBe('node-a');

    await a.db
      .updateTable('leases')
      .set({ expires_at: sql<string>`now() - interval '1 second'` })
      .where('job', '=', 'takeover')
      .execute();
    const taken = await acquireLease(b.db, { job: 'takeover', scope: 'acme', nodeId: 'node-b' });
    expect(taken).toMatchObject({ generation: 2, previousHolder: 'node-a', takenOver: true });
    expect(await audit('takeover')).toEqual([
      { actor: 'node-a', action: 'lease.acquired', from: null, generation: 1 },
      { actor: 'node-b', action: 'lease.taken_over', from: 'node-a', generation: 2 },
    ]);
    // The fencing token: node-a's generation is stale, so its renewal and release do nothing.
    expect(await renewLeases(a.db, 'node-a', [held])).toEqual([]);
    expect(await releaseLeases(a.db, 'node-a', [held], 'stopping')).toEqual([]);
    expect((await lease('takeover', 'acme')).holder).toBe('node-b');
  });

  test('a dead holder’s lease (inactive, or no heartbeat for 15 s) can be taken before it expires', async () => {
    await a.db.insertInto('nodes').values({ id: 'ghost', status: 'active', pid: null, version: null, url: null }).execute();
    await acquireLease(a.db, { job: 'ghostly', scope: 'global', nodeId: 'ghost' }, { ttlMs: 3_600_000 });
    expect(await acquireLease(b.db, { job: 'ghostly', scope: 'global', nodeId: 'node-b' })).toBeNull();
    await a.db
      .updateTable('nodes')
      .set({ heartbeat_at: sql<string>`now() - interval '16 seconds'` })
      .where('id', '=', 'ghost')
      .execute();
    expect(await acquireLease(b.db, { job: 'ghostly', scope: 'global', nodeId: 'node-b' })).toMatchObject({ takenOver: true, previousHolder: 'ghost' });
  });

  test('a node that let a lease lapse, or was taken over from since its last heartbeat, is failing until it beats again', async () => {
    await a.db.insertInto('nodes').values({ id: 'stalled', status: 'active', pid: null, version: null, url: null }).execute();
    const failing = async () => (await readLeaseSnapshot(a.db, { jobs: ['stall'], withPartitions: false })).nodes.find((n) => n.id === 'stalled')?.failing;
    await acquireLease(a.db, { job: 'stall', scope: 'global', nodeId: 'stalled' });
    expect(await failing()).toBe(false);
    await a.db
      .updateTable('leases')
      .set({ expires_at: sql<string>`now() - interval '1 second'` })
      .where('job', '=', 'stall')
      .execute();
    expect(await failing()).toBe(true);
    await acquireLease(b.db, { job: 'stall', scope: 'global', nodeId: 'node-b' });
    // Its heartbeat is fresh, but a lease was taken from it after that heartbeat: still failing.
    expect(await failing()).toBe(true);
    await a.db
      .updateTable('nodes')
      .set({ heartbeat_at: sql<string>`now() + interval '1 second'` })
      .where('id', '=', 'stalled')
      .execute();
    expect(await failing()).toBe(false);
  });

  test('a released lease is acquired (not taken over) at once, and the generation keeps counting', async () => {
    const held = (await acquireLease(a.db, { job: 'handover', scope: 'global', nodeId: 'node-a' }))!;
    expect(await releaseLeases(a.db, 'node-a', [held], 'stopping')).toEqual([{ job: 'handover', scope: 'global' }]);
    expect(await acquireLease(b.db, { job: 'handover', scope: 'global', nodeId: 'node-b' })).toMatchObject({
      generation: 2,
      previousHolder: null,
      takenOver: false,
    });
    expect((await audit('handover')).map((e) => `${e.actor} ${e.action} ${e.generation}`)).toEqual([
      'node-a lease.acquired 1',
      'node-a lease.released 1',
      'node-b lease.acquired 2',
    ]);
  });
});

describe.skipIf(!baseUrl)('three job runners on one PostgreSQL database', () => {
  let testDb: TestDatabase;
  const nodes: { id: string; handle: DbHandle; registry: NodeRegistry; runner: JobRunner }[] = [];
  /** Passes in progress per (job, scope): never above one, on any node. */
  const active = new Map<string, number>();
  const ran = new Map<string, Set<string>>();
  let overlaps = 0;

  const job = (name: string, scope: 'global' | 'partition', nodeId: string): BackgroundJob => ({
    name,
    scope,
    intervalMs: 20,
    async run(scopeId) {
      const key = `${name}/${scopeId}`;
      const now = (active.get(key) ?? 0) + 1;
      active.set(key, now);
      if (now > 1) overlaps++;
      (ran.get(key) ?? ran.set(key, new Set()).get(key)!).add(nodeId);
      await new Promise((r) => setTimeout(r, 15));
      active.set(key, (active.get(key) ?? 1) - 1);
    },
  });

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    const setup = await createDb({ databaseUrl: testDb.url });
    await migrateToLatest(setup.db);
    await setup.db.insertInto('users').values({ id: 'u1', username: 'u1', display_name: 'u1', password_hash: 'x' }).execute();
    for (const id of ['p_one', 'p_two', 'p_three', 'p_four', 'p_five']) {
      await setup.db
        .insertInto('partitions')
        .values({ id, name: id, created_by: 'u1', invite_code_hash: `h_${id}` })
        .execute();
    }
    await setup.close();
    // Every node registers before any scans, so that all three share the first assignment.
    for (const id of ['node-1', 'node-2', 'node-3']) {
      const handle = await createDb({ databaseUrl: testDb.url, onIdleError: () => {} });
      const entry = { id, handle } as (typeof nodes)[number];
      entry.registry = createNodeRegistry({
        db: handle.db,
        nodeId: id,
        log: quiet,
        heartbeatMs: 200,
        load: () => ({ connections: 0, leasesHeld: entry.runner?.held.length ?? 0 }),
      });
      await entry.registry.start();
      nodes.push(entry);
    }
    for (const entry of nodes) {
      entry.runner = createJobRunner({
        db: entry.handle.db,
        nodeId: entry.id,
        log: quiet,
        jobs: [job('sweep', 'global', entry.id), job('tidy', 'partition', entry.id)],
        scanMs: 100,
        renewMs: 300,
        leaseTtlMs: 1_000,
        staleMs: 3_000,
        // Long enough that a slow first scan on a busy machine is not overtaken by the others.
        graceMs: 5_000,
      });
    }
    for (const entry of nodes) entry.runner.start();
  });
  afterAll(async () => {
    for (const n of nodes) {
      await n.runner.stop().catch(() => {});
      await n.registry.stop().catch(() => {});
      await n.handle.close().catch(() => {});
    }
    await testDb?.drop();
  });

  const holders = async () =>
    Object.fromEntries(
      (await nodes[0]!.handle.db.selectFrom('leases').select(['job', 'scope', 'holder']).execute()).map((l) => [`${l.job}/${l.scope}`, l.holder]),
    );

  test('every (job, scope) pair gets exactly one holder, the pairs are spread over the nodes, and no pass ever overlaps', async () => {
    await waitUntil(async () => Object.values(await holders()).filter(Boolean).length === 6, 15_000, 'six leases');
    const held = nodes.map((n) => n.runner.held.map((l) => `${l.job}/${l.scope}`));
    const all = held.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Object.keys(await holders()).sort());
    expect(held.map((h) => h.length)).toEqual([2, 2, 2]);
    await waitUntil(() => ran.size === 6, 10_000, 'every pair to run');
    expect(overlaps).toBe(0);
  });

  test('a node that loses its database (a crash, to the others) has its leases taken over after they expire', async () => {
    const victim = nodes[1]!;
    const lost = victim.runner.held.map((l) => `${l.job}/${l.scope}`);
    expect(lost.length).toBeGreaterThan(0);
    // Its pool is gone: no heartbeat, no renewal, no release. Its own jobs stop before the leases lapse.
    await victim.handle.close();
    await waitUntil(
      async () => {
        const h = await holders();
        return lost.every((key) => h[key] !== 'node-2' && h[key] !== null);
      },
      15_000,
      'the takeover',
    );
    expect(victim.runner.held).toEqual([]);
    const takeovers = await nodes[0]!.handle.db
      .selectFrom('audit_log')
      .select(['subject', sql<string>`details->>'from'`.as('from')])
      .where('action', '=', 'lease.taken_over')
      .orderBy('subject')
      .execute();
    expect(takeovers).toEqual(lost.sort().map((subject) => ({ subject, from: 'node-2' })));
    expect(overlaps).toBe(0);
  });
});
