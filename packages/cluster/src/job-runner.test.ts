import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { createDb, migrateToLatest, type DbHandle } from '@parley/db';
import { createJobRunner, type JobRunner } from './job-runner.ts';
import type { BackgroundJob } from './jobs.ts';
import { createNodeRegistry, pruneNodes, type NodeRegistry } from './node-registry.ts';
import { waitUntil } from './test-services.ts';

const quiet = { info() {}, warn() {} };
const FAST = { scanMs: 50, renewMs: 100, leaseTtlMs: 1_000 };

let handle: DbHandle;
beforeAll(async () => {
  handle = await createDb({ dataDir: 'memory://' });
  await migrateToLatest(handle.db);
  await handle.db.insertInto('users').values({ id: 'u1', username: 'u1', display_name: 'u1', password_hash: 'x' }).execute();
});
afterAll(() => handle.close());

const addPartition = (id: string) =>
  handle.db
    .insertInto('partitions')
    .values({ id, name: id, created_by: 'u1', invite_code_hash: `h_${id}` })
    .execute();

/** A job that records every pass and the signal it was given. */
function recordingJob(name: string, scope: 'global' | 'partition', intervalMs = 30) {
  const passes: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const job: BackgroundJob = {
    name,
    scope,
    intervalMs,
    async run(scopeId, signal) {
      passes.push(scopeId);
      signals.set(scopeId, signal);
    },
  };
  return { job, passes, signals };
}

const auditActions = async (subjectPrefix: string) =>
  (await handle.db.selectFrom('audit_log').select(['action', 'subject', 'details']).where('subject', 'like', `${subjectPrefix}%`).orderBy('id').execute()).map(
    (r) => `${r.action} ${r.subject}`,
  );

async function startNode(nodeId: string, jobs: BackgroundJob[]): Promise<{ registry: NodeRegistry; runner: JobRunner }> {
  let runner: JobRunner | undefined;
  const registry = createNodeRegistry({
    db: handle.db,
    nodeId,
    log: quiet,
    load: () => ({ connections: 0, leasesHeld: runner?.held.length ?? 0 }),
    heartbeatMs: 200,
  });
  await registry.start();
  runner = createJobRunner({ db: handle.db, nodeId, log: quiet, jobs, accepting: () => registry.status === 'active', ...FAST });
  runner.start();
  return { registry, runner };
}

describe('job runner on one node (PGlite)', () => {
  test('takes every (job, scope) pair, runs each job again and again, and leases a partition created later without a restart', async () => {
    await addPartition('acme');
    const sweep = recordingJob('sweep', 'global');
    const tidy = recordingJob('tidy', 'partition');
    const { registry, runner } = await startNode('solo', [sweep.job, tidy.job]);
    try {
      await waitUntil(() => sweep.passes.length >= 3 && tidy.passes.filter((s) => s === 'acme').length >= 3, 10_000, 'repeated passes');
      expect(new Set(sweep.passes)).toEqual(new Set(['global']));

      await addPartition('beta');
      await waitUntil(() => tidy.passes.includes('beta'), 10_000, 'the new partition’s job');
      expect(runner.held.map((l) => `${l.job}/${l.scope}`).sort()).toEqual(['sweep/global', 'tidy/acme', 'tidy/beta']);
      const leases = await handle.db.selectFrom('leases').select(['job', 'scope', 'holder', 'generation']).orderBy('job').orderBy('scope').execute();
      expect(leases).toEqual([
        { job: 'sweep', scope: 'global', holder: 'solo', generation: 1 },
        { job: 'tidy', scope: 'acme', holder: 'solo', generation: 1 },
        { job: 'tidy', scope: 'beta', holder: 'solo', generation: 1 },
      ]);
      expect(await auditActions('tidy/beta')).toEqual(['lease.acquired tidy/beta']);

      // The heartbeat reports what the node holds.
      await registry.heartbeat();
      const row = await handle.db.selectFrom('nodes').select(['status', 'leases_held']).where('id', '=', 'solo').executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'active', leases_held: 3 });
    } finally {
      await runner.stop();
      await registry.stop();
    }

    // stop() aborted every job and gave every lease back, audited.
    for (const signal of [...sweep.signals.values(), ...tidy.signals.values()]) expect(signal.aborted).toBe(true);
    const after = await handle.db.selectFrom('leases').select(['holder', 'previous_holder']).execute();
    expect(after.every((l) => l.holder === null && l.previous_holder === 'solo')).toBe(true);
    const released = await handle.db
      .selectFrom('audit_log')
      .select(['subject', sql<string>`details->>'reason'`.as('reason')])
      .where('action', '=', 'lease.released')
      .orderBy('subject')
      .execute();
    expect(released).toEqual([
      { subject: 'sweep/global', reason: 'stopping' },
      { subject: 'tidy/acme', reason: 'stopping' },
      { subject: 'tidy/beta', reason: 'stopping' },
    ]);
    expect(await auditActions('solo')).toEqual(['node.registered solo', 'node.inactive solo']);
  });

  test('a lease another node took aborts the job at the next renewal, and the runner leaves it alone', async () => {
    const job = recordingJob('watch', 'global', 10);
    const { registry, runner } = await startNode('loser', [job.job]);
    try {
      await waitUntil(() => job.signals.has('global'), 10_000, 'the first pass');
      await handle.db.insertInto('nodes').values({ id: 'thief', status: 'active', pid: null, version: null, url: null }).execute();
      await handle.db
        .updateTable('leases')
        .set({ holder: 'thief', generation: sql<number>`generation + 1` })
        .where('job', '=', 'watch')
        .execute();
      await waitUntil(() => job.signals.get('global')!.aborted, 10_000, 'the signal to abort');
      expect(runner.held).toEqual([]);
      const passes = job.passes.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(job.passes.length).toBe(passes);
      const lease = await handle.db.selectFrom('leases').select('holder').where('job', '=', 'watch').executeTakeFirstOrThrow();
      expect(lease.holder).toBe('thief');
    } finally {
      await runner.stop();
      await registry.stop();
    }
  });

  test('a pass that throws is logged and the job runs again at its next interval', async () => {
    let passes = 0;
    const warnings: string[] = [];
    const flaky: BackgroundJob = {
      name: 'flaky',
      scope: 'global',
      intervalMs: 10,
      async run() {
        passes++;
        throw new Error('boom');
      },
    };
    const registry = createNodeRegistry({ db: handle.db, nodeId: 'flaky-node', log: quiet, load: () => ({ connections: 0, leasesHeld: 0 }) });
    await registry.start();
    const runner = createJobRunner({
      db: handle.db,
      nodeId: 'flaky-node',
      log: { info() {}, warn: (_o, msg) => warnings.push(msg ?? '') },
      jobs: [flaky],
      ...FAST,
    });
    runner.start();
    try {
      await waitUntil(() => passes >= 3, 10_000, 'three passes');
      expect(warnings).toContain('background job failed; it runs again next interval');
    } finally {
      await runner.stop();
      await registry.stop();
    }
  });

  test('a draining node takes nothing', async () => {
    const job = recordingJob('later', 'global');
    let draining = true;
    const registry = createNodeRegistry({ db: handle.db, nodeId: 'drainer', log: quiet, load: () => ({ connections: 0, leasesHeld: 0 }) });
    await registry.start();
    const runner = createJobRunner({ db: handle.db, nodeId: 'drainer', log: quiet, jobs: [job.job], accepting: () => !draining, ...FAST });
    try {
      await runner.scan();
      await runner.scan();
      expect(runner.held).toEqual([]);
      draining = false;
      await runner.scan();
      expect(runner.held.map((l) => l.job)).toEqual(['later']);
    } finally {
      await runner.stop();
      await registry.stop();
    }
  });
});

describe('node registry (PGlite)', () => {
  test('register, heartbeat with load, drain, stop: each transition in nodes and audit_log', async () => {
    let connections = 2;
    const registry = createNodeRegistry({
      db: handle.db,
      nodeId: 'reg-1',
      log: quiet,
      info: { pid: 4242, version: '1.2.3', url: 'http://127.0.0.1:3000' },
      load: () => ({ connections, leasesHeld: 1 }),
    });
    expect(registry.status).toBe('unregistered');
    await registry.start();
    const row = () => handle.db.selectFrom('nodes').selectAll().where('id', '=', 'reg-1').executeTakeFirstOrThrow();
    expect(await row()).toMatchObject({ status: 'active', pid: 4242, version: '1.2.3', url: 'http://127.0.0.1:3000', connections: 2, stopped_at: null });

    connections = 7;
    const before = (await row()).heartbeat_at;
    await new Promise((r) => setTimeout(r, 5));
    await registry.heartbeat();
    const beat = await row();
    expect(beat).toMatchObject({ connections: 7, leases_held: 1 });
    expect(Date.parse(beat.heartbeat_at)).toBeGreaterThan(Date.parse(before));

    await registry.drain();
    await registry.drain();
    expect((await row()).status).toBe('draining');
    await registry.stop();
    await registry.stop();
    expect(await row()).toMatchObject({ status: 'inactive', connections: 0, leases_held: 0 });
    expect((await row()).stopped_at).not.toBeNull();
    expect(await auditActions('reg-1')).toEqual(['node.registered reg-1', 'node.draining reg-1', 'node.inactive reg-1']);
  });

  test('a node restarted under the same id starts active again and gives up the leases of its previous life', async () => {
    await handle.db.insertInto('nodes').values({ id: 'phoenix', status: 'active', pid: 1, version: null, url: null }).execute();
    await handle.db
      .insertInto('leases')
      .values({ job: 'old-job', scope: 'global', holder: 'phoenix', expires_at: sql<string>`now() + interval '1 hour'` })
      .execute();
    const registry = createNodeRegistry({ db: handle.db, nodeId: 'phoenix', log: quiet, load: () => ({ connections: 0, leasesHeld: 0 }) });
    await registry.start();
    try {
      const lease = await handle.db.selectFrom('leases').select(['holder', 'previous_holder']).where('job', '=', 'old-job').executeTakeFirstOrThrow();
      expect(lease).toEqual({ holder: null, previous_holder: 'phoenix' });
      expect(await auditActions('old-job')).toEqual(['lease.released old-job/global']);
      const registered = await handle.db
        .selectFrom('audit_log')
        .select(sql<boolean>`(details->>'restarted')::boolean`.as('restarted'))
        .where('action', '=', 'node.registered')
        .where('subject', '=', 'phoenix')
        .executeTakeFirstOrThrow();
      expect(registered.restarted).toBe(true);
    } finally {
      await registry.stop();
    }
  });
});

test('nodes silent for longer than the limit and holding no lease are pruned, with an audit entry; others stay', async () => {
  const { db } = handle;
  const old = sql<string>`now() - interval '8 days'`;
  await db
    .insertInto('nodes')
    .values([
      { id: 'gone-1', status: 'inactive', started_at: old, heartbeat_at: old },
      { id: 'gone-holder', status: 'active', started_at: old, heartbeat_at: old },
      { id: 'recent-1', status: 'inactive' },
    ])
    .execute();
  await db
    .insertInto('leases')
    .values({ job: 'prune-test', scope: 'global', holder: 'gone-holder', expires_at: sql<string>`now()` })
    .execute();

  expect(await pruneNodes(db, 7 * 24 * 3_600_000, 'pruner')).toEqual(['gone-1']);
  const left = (await db.selectFrom('nodes').select('id').where('id', 'in', ['gone-1', 'gone-holder', 'recent-1']).execute()).map((r) => r.id);
  expect(left.sort()).toEqual(['gone-holder', 'recent-1']);
  expect(await auditActions('gone-')).toEqual(['node.pruned gone-1']);
});
