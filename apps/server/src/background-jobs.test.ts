import { afterAll, beforeAll, expect, test } from 'vitest';
import { createJobRunner, createNodeRegistry, type JobRunner, type NodeRegistry } from '@parley/cluster';
import { createTestApi, createTestWorkspace, silentLogger, type TestApi } from '@parley/api/testing';
import { noteLockSweepJob } from './background-jobs.ts';

const LOCK_MS = 600;
const SWEEP_MS = 300;
const PID = 'sweep_ws';

let api: TestApi;
let registry: NodeRegistry;
let runner: JobRunner;

beforeAll(async () => {
  api = await createTestApi({ config: { noteLockMs: LOCK_MS, noteLockSweepMs: SWEEP_MS } });
  registry = createNodeRegistry({
    db: api.deps.db,
    nodeId: 'sweeper-1',
    log: silentLogger,
    load: () => ({ connections: 0, leasesHeld: runner?.held.length ?? 0 }),
  });
  await registry.start();
  runner = createJobRunner({
    db: api.deps.db,
    nodeId: 'sweeper-1',
    log: silentLogger,
    jobs: [noteLockSweepJob(api.deps)],
    accepting: () => registry.status === 'active',
    scanMs: 50,
  });
});
afterAll(async () => {
  await runner?.stop();
  await registry?.stop();
  await api?.close();
});

test('the note-lock-sweep job runs under one lease per workspace and frees an unrenewed lock within one sweep period of its expiry', async () => {
  const { owner } = await createTestWorkspace(api, PID, 'sw_owner');
  runner.start();
  const note = await owner.caller.note.create({ partitionId: PID, title: 'abandoned' });
  const { expiresAt } = await owner.caller.note.lock({ partitionId: PID, noteId: note.id });
  const unlocked = () => api.deps.db.selectFrom(`events_${PID}`).select(['data', 'created_at']).where('type', '=', 'note.unlocked').execute();
  const deadline = Date.now() + LOCK_MS + SWEEP_MS * 10;
  while ((await unlocked()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const [event] = await unlocked();
  expect(event?.data).toMatchObject({ noteId: note.id, reason: 'expired', by: null });
  // On the database clock: logged at most one sweep period (plus a scan's slack) after the expiry.
  expect(Date.parse(event!.created_at) - Date.parse(expiresAt)).toBeLessThanOrEqual(SWEEP_MS + 500);
  expect((await owner.caller.note.get({ partitionId: PID, noteId: note.id })).lock).toBeNull();
  expect(runner.held.map((l) => `${l.job}/${l.scope}`)).toEqual([`note-lock-sweep/${PID}`]);
});
