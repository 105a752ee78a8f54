import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ParleyClient, ParleyEvent } from '@parley/client';
import { privateRedisForTests, waitUntil } from '@parley/cluster/test-services';
import { createDb } from '@parley/db';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { startCluster, type Cluster, type NodeProcess } from '@parley/scripts/cluster';
import { nginxForTests } from '@parley/scripts/cluster/test-services';
import { clusterClient, RELAXED_RATE_LIMIT_ENV, steerAwayFrom, type ClusterClient } from './harness.ts';

const baseUrl = await postgresForTests();
const redis = await privateRedisForTests();
const nginxBinary = nginxForTests();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Locks, renewals and saves count as changes (30 in 10 s a person): the race makes 200 in a minute. */
const RELAXED_ENV = { ...RELAXED_RATE_LIMIT_ENV, RATE_LIMIT_CHANGES: '1000000/1m' };

/** What a refused call carries on the wire: `error.data.code`, and for a note's lock `error.data.lock`. */
interface WireError {
  message: string;
  data?: { code?: string; lock?: { holder: { userId: string; displayName: string }; expiresAt: string } | null };
}
async function refusal(call: Promise<unknown>): Promise<WireError> {
  try {
    await call;
  } catch (error) {
    return error as WireError;
  }
  throw new Error('the call was expected to be refused, and it succeeded');
}

type NoteEvent = Extract<ParleyEvent, { type: `note.${string}` }>;
/** The partition's note events a client receives from `after` on (its own stream, not the harness's). */
function noteEvents(client: ParleyClient, partitionId: string, after: number) {
  const events: NoteEvent[] = [];
  const errors: unknown[] = [];
  const sub = client.trpc.event.onEvent.subscribe(
    { partitionId, lastEventId: after },
    {
      onData: ({ data: event }) => {
        if (event.type.startsWith('note.')) events.push(event as NoteEvent);
      },
      onError: (error) => errors.push(error),
    },
  );
  const of = (noteId: string) => events.filter((e) => ('noteId' in e.data ? e.data.noteId : 'id' in e.data ? e.data.id : null) === noteId);
  return {
    events,
    errors,
    of,
    /** Resolves with the first event for `noteId` of that type that `ok` accepts. */
    async next<T extends NoteEvent['type']>(noteId: string, type: T, ok: (e: Extract<NoteEvent, { type: T }>) => boolean = () => true, timeoutMs = 15_000) {
      const find = () => of(noteId).find((e): e is Extract<NoteEvent, { type: T }> => e.type === type && ok(e as Extract<NoteEvent, { type: T }>));
      await waitUntil(() => find() !== undefined, timeoutMs, `${type} of ${noteId}`);
      return find()!;
    },
    stop: () => sub.unsubscribe(),
  };
}

/** A person of the workspace: registered through nginx, joined, with their id and display name. */
async function member(cluster: Cluster, username: string, inviteCode: string | null) {
  const person = await clusterClient(cluster, username);
  if (inviteCode) await person.client.trpc.partition.join.mutate({ inviteCode });
  const me = (await person.client.trpc.auth.me.query())!;
  return Object.assign(person, { userId: me.id, displayName: me.displayName });
}
type Member = Awaited<ReturnType<typeof member>>;

/**
 * Resolves once nginx sends requests to `node` again: a restarted node stays out of rotation
 * until nginx's fail_timeout (5 s) after its last failed attempt, and a rolling restart that
 * stops the next node before then leaves nginx with no live upstream (502) for a while.
 */
async function inRotation(cluster: Cluster, node: NodeProcess): Promise<void> {
  await waitUntil(
    async () => {
      const res = await fetch(`${cluster.url}/live`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      await res?.arrayBuffer();
      return cluster.nodeAt(res?.headers.get('x-parley-node')) === node;
    },
    15_000,
    `nginx to send requests to ${node.id} again`,
  );
}

const logsOf = (cluster: Cluster) => [...cluster.nodes.map((n) => `--- ${n.id}\n${n.recentOutput()}`), `--- nginx\n${cluster.nginx.recentOutput()}`].join('\n');

/**
 * Seed 001's notes on two node processes behind nginx, on one PostgreSQL database and a private
 * Redis. Every call goes through nginx (least_conn per request, so one person's calls land on
 * both nodes); `answeredBy()` reads the node from the `X-Parley-Node` answer header. Locks live
 * 6 s here (the seed's 5 minutes, scaled down so a test can outlive one) and the sweep runs
 * every second.
 */
describe.skipIf(!baseUrl || !redis || !nginxBinary)('notes on two nodes behind nginx', () => {
  const LOCK_MS = 6_000;
  let testDb: TestDatabase;
  let cluster: Cluster;
  const partitionId = 'notes';
  let inviteCode: string;
  let owner: Member;
  const people: ClusterClient[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    cluster = await startCluster({
      nodes: 2,
      databaseUrl: testDb.url,
      redisUrl: redis!.url,
      nginxBinary: nginxBinary!,
      env: { LOG_LEVEL: 'warn', EVENT_POLL_MS: '200', NOTE_LOCK_SECONDS: String(LOCK_MS / 1000), NOTE_LOCK_SWEEP_SECONDS: '1', ...RELAXED_ENV },
    });
    owner = await member(cluster, 'ada', null);
    people.push(owner);
    ({ inviteCode } = await owner.client.trpc.partition.create.mutate({ id: partitionId, name: 'Notes' }));
  });

  afterAll(async () => {
    await Promise.all(people.map((p) => p.close()));
    await cluster?.stop();
    await testDb?.drop();
  });

  const ROUNDS = 200;
  const CONTENDERS = 50;

  test(`race: ${CONTENDERS} people through both nodes ask for one note's lock at once, ${ROUNDS} rounds — one winner each round, the others told who`, async () => {
    const contenders: Member[] = [];
    for (let i = 0; i < CONTENDERS; i += 10) {
      contenders.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => member(cluster, `racer${i + k}`, inviteCode)))));
    }
    people.push(...contenders);
    const note = await owner.client.trpc.note.create.mutate({ partitionId, title: 'Contended' });
    const ref = { partitionId, noteId: note.id };

    const answeredBy = new Map<string, number>();
    const winsBy = new Map<string, number>();
    const anomalies: string[] = [];
    const tokens: number[] = [];
    const started = performance.now();
    for (let round = 1; round <= ROUNDS; round++) {
      const outcomes = await Promise.all(
        contenders.map(async (c) => {
          const outcome = await c.client.trpc.note.lock.mutate(ref).then(
            (grant) => ({ c, grant, error: undefined }),
            (error: WireError) => ({ c, grant: undefined, error }),
          );
          const node = c.answeredBy()?.id ?? 'unknown';
          answeredBy.set(node, (answeredBy.get(node) ?? 0) + 1);
          return { ...outcome, node };
        }),
      );
      const winners = outcomes.filter((o) => o.grant);
      if (winners.length !== 1) {
        anomalies.push(`round ${round}: ${winners.length} winners (${winners.map((w) => w.c.name).join(', ')})`);
        for (const w of winners) await w.c.client.trpc.note.unlock.mutate({ ...ref, token: w.grant!.token });
        continue;
      }
      const winner = winners[0]!;
      tokens.push(winner.grant!.token);
      winsBy.set(winner.node, (winsBy.get(winner.node) ?? 0) + 1);
      for (const o of outcomes) {
        if (o === winner) continue;
        const told = o.error?.data?.code === 'CONFLICT' && o.error.data.lock?.holder.displayName === winner.c.displayName;
        const exact = o.error?.data?.lock?.holder.userId === winner.c.userId && o.error.data.lock.expiresAt === winner.grant!.expiresAt;
        if (!told || !exact) anomalies.push(`round ${round}: ${o.c.name} got ${o.error?.data?.code} "${o.error?.message}" (winner ${winner.c.displayName})`);
      }
      expect(await winner.c.client.trpc.note.unlock.mutate({ ...ref, token: winner.grant!.token })).toEqual({ noteId: note.id, released: true });
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `race: ${ROUNDS} rounds of ${CONTENDERS} in ${seconds.toFixed(1)} s (${((seconds / ROUNDS) * 1000).toFixed(0)} ms a round); ` +
        `lock calls answered by ${[...answeredBy].map(([n, c]) => `${n} ${c}`).join(', ')}; won on ${[...winsBy].map(([n, c]) => `${n} ${c}`).join(', ')}`,
    );
    expect(anomalies).toEqual([]);
    // One acquisition per round and no other: the fencing tokens are consecutive.
    expect(tokens).toEqual(Array.from({ length: ROUNDS }, (_, i) => tokens[0]! + i));
    // Both nodes took part: each answered a fair share of the calls and granted some of the locks.
    for (const node of cluster.nodes) {
      expect(answeredBy.get(node.id) ?? 0).toBeGreaterThan((ROUNDS * CONTENDERS) / 5);
      expect(winsBy.get(node.id) ?? 0).toBeGreaterThan(0);
    }
    expect((await owner.client.trpc.note.get.query(ref)).lock).toBeNull();
    await Promise.all(contenders.map((c) => c.close()));
  });

  test('kill -9 of the node the holder is connected to: the holder reconnects to the other node, renews with its token (that renewal keeps the lock), saves; viewers there saw it all', async () => {
    const hana = await member(cluster, 'hana', inviteCode);
    const vic = await member(cluster, 'vic', inviteCode);
    const cyd = await member(cluster, 'cyd', inviteCode);
    people.push(hana, vic, cyd);
    const kept = await hana.client.trpc.note.create.mutate({ partitionId, title: 'Kept', body: 'v1' });
    const control = await cyd.client.trpc.note.create.mutate({ partitionId, title: 'Control', body: 'v1' });
    const { lastEventId: head } = await owner.client.trpc.event.head.query({ partitionId });

    // Hana's socket on one node, Vic's on the other.
    const hanaSees = noteEvents(hana.client, partitionId, head);
    await hana.connected();
    const victim = hana.node()!;
    const release = await steerAwayFrom(cluster, victim);
    const vicSees = noteEvents(vic.client, partitionId, head);
    try {
      await vic.connected();
    } finally {
      await release();
    }
    const survivor = vic.node()!;
    expect(survivor).not.toBe(victim);

    // Both take a lock; Cyd's is the control: nobody renews it.
    const grant = await hana.client.trpc.note.lock.mutate({ partitionId, noteId: kept.id });
    const controlGrant = await cyd.client.trpc.note.lock.mutate({ partitionId, noteId: control.id });
    await vicSees.next(kept.id, 'note.locked', (e) => e.data.holder.displayName === hana.displayName);

    // After the save, Hana's editor renews every second, as the client's helper would, through
    // the restarts below: a node restart releases nothing (locks are rows).
    const renewals = { ok: 0, failed: [] as string[], log: [] as string[] };
    const since = performance.now();
    const at = () => `${((performance.now() - since) / 1000).toFixed(1)} s`;
    let editing = true;
    let renewing: Promise<void> = Promise.resolve();
    const keepRenewing = () => {
      renewing = (async () => {
        while (editing) {
          const asked = at();
          await hana.client.trpc.note.renew.mutate({ partitionId, noteId: kept.id, token: grant.token }).then(
            () => {
              renewals.ok += 1;
              renewals.log.push(`${asked}→${at()} ok on ${hana.answeredBy()?.id}`);
            },
            (error: WireError) => {
              renewals.failed.push(`${error.data?.code ?? 'no code'}: ${error.message}`);
              renewals.log.push(`${asked}→${at()} ${error.data?.code ?? 'no code'}: ${error.message}`);
            },
          );
          await sleep(1000);
        }
      })();
    };
    try {
      expect(await victim.stop('SIGKILL')).toBeNull();
      await waitUntil(
        () => hana.nodes.length >= 2 && hana.client.connection.getSnapshot().state === 'CONNECTED',
        15_000,
        "hana's client to reconnect after the kill",
      );
      expect(hana.node()).toBe(survivor);

      // The renewal comes late, 2 s before the lock would run out, so the save below falls after
      // the first expiry and before the renewed one: only the renewal can have kept it.
      await sleep(Date.parse(grant.expiresAt) - 2000 - Date.now());
      const renewed = await hana.client.trpc.note.renew.mutate({ partitionId, noteId: kept.id, token: grant.token });
      expect(hana.answeredBy()).toBe(survivor);
      // The premise: the renewal after the kill came before the lock would have run out.
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(grant.expiresAt));
      expect(Date.now()).toBeLessThan(Date.parse(grant.expiresAt));
      await vicSees.next(kept.id, 'note.renewed', (e) => e.data.expiresAt === renewed.expiresAt);

      // Past the first expiry (and a sweep period): without the renewal the lock would be gone, as the control's is.
      await sleep(Date.parse(grant.expiresAt) + 1200 - Date.now());
      expect(Date.now()).toBeLessThan(Date.parse(renewed.expiresAt) - 1000);
      const saved = await hana.client.trpc.note.save.mutate({
        partitionId,
        noteId: kept.id,
        token: grant.token,
        body: 'typed before the kill, saved after it',
      });
      expect(hana.answeredBy()).toBe(survivor);
      expect(saved).toMatchObject({ version: 2, body: 'typed before the kill, saved after it', lock: { holder: { userId: hana.userId } } });
      await vicSees.next(kept.id, 'note.saved', (e) => e.data.body === 'typed before the kill, saved after it' && e.data.savedBy === hana.userId);
      await hanaSees.next(kept.id, 'note.saved');

      const lost = await refusal(cyd.client.trpc.note.renew.mutate({ partitionId, noteId: control.id, token: controlGrant.token }));
      expect(lost.data?.code).toBe('PRECONDITION_FAILED');
      expect((await vic.client.trpc.note.get.query({ partitionId, noteId: control.id })).lock).toBeNull();
      expect(vicSees.of(kept.id).map((e) => e.type)).toEqual(['note.locked', 'note.renewed', 'note.saved']);
      expect(vicSees.errors).toEqual([]);
      keepRenewing();
    } catch (error) {
      console.log(logsOf(cluster));
      throw error;
    } finally {
      renewals.log.push(`${at()} starting ${victim.id} again`);
      await victim.start();
      await inRotation(cluster, victim);
      renewals.log.push(`${at()} ${victim.id} up and in nginx's rotation`);
    }

    // Then both nodes restarted (SIGTERM: drained, exit 0), one after the other.
    try {
      for (const node of [survivor, victim]) {
        renewals.log.push(`${at()} stopping ${node.id}`);
        expect(await node.stop('SIGTERM')).toBe(0);
        renewals.log.push(`${at()} starting ${node.id}`);
        await node.start();
        await inRotation(cluster, node);
        renewals.log.push(`${at()} ${node.id} up and in nginx's rotation`);
      }
    } finally {
      editing = false;
      await renewing;
    }
    console.log(`renewals through the restarts: ${renewals.log.join('; ')}`);
    // A renewal that hit a node as it went away may fail without a code (nginx's 502); none was refused by a node.
    expect(renewals.failed.filter((f) => /PRECONDITION_FAILED|CONFLICT|NOT_FOUND/.test(f))).toEqual([]);
    expect(renewals.ok).toBeGreaterThan(3);
    const after = await vic.client.trpc.note.get.query({ partitionId, noteId: kept.id });
    expect(after.lock?.holder).toEqual({ userId: hana.userId, displayName: hana.displayName });
    const saved = await hana.client.trpc.note.save.mutate({
      partitionId,
      noteId: kept.id,
      token: grant.token,
      body: 'saved after both nodes restarted',
      release: true,
    });
    expect(saved).toMatchObject({ version: 3, lock: null });
    await vicSees.next(kept.id, 'note.unlocked', (e) => e.data.reason === 'released');
    expect(vicSees.of(kept.id).filter((e) => e.type === 'note.unlocked')).toHaveLength(1);
    hanaSees.stop();
    vicSees.stop();
  });
});

/**
 * The sweep across nodes: locks of 2 s, a sweep every second, run for each workspace by the one
 * node holding its `note-lock-sweep` lease. Nodes log at info here so each sweep that cleared
 * something is seen, with its node.
 */
describe.skipIf(!baseUrl || !redis || !nginxBinary)('note lock expiry on two nodes behind nginx', () => {
  const LOCK_MS = 2_000;
  const SWEEP_MS = 1_000;
  let testDb: TestDatabase;
  let cluster: Cluster;
  const partitionId = 'expiry';
  const sweeps: { node: string; cleared: number }[] = [];
  const people: ClusterClient[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    cluster = await startCluster({
      nodes: 2,
      databaseUrl: testDb.url,
      redisUrl: redis!.url,
      nginxBinary: nginxBinary!,
      env: {
        LOG_LEVEL: 'info',
        EVENT_POLL_MS: '200',
        NOTE_LOCK_SECONDS: String(LOCK_MS / 1000),
        NOTE_LOCK_SWEEP_SECONDS: String(SWEEP_MS / 1000),
        ...RELAXED_ENV,
      },
      onLog: (source, line) => {
        if (!line.includes('expired note locks cleared')) return;
        const entry = JSON.parse(line) as { partitionId?: string; cleared?: number };
        if (entry.partitionId === partitionId) sweeps.push({ node: source, cleared: entry.cleared ?? 0 });
      },
    });
  });

  afterAll(async () => {
    await Promise.all(people.map((p) => p.close()));
    await cluster?.stop();
    await testDb?.drop();
  });

  test("an unrenewed lock taken on one node is freed by one node's sweep within a sweep period; viewers on the other node are told; the old holder's save is refused; a renewed one is kept", async () => {
    const ada = await member(cluster, 'ada', null);
    people.push(ada);
    const { inviteCode } = await ada.client.trpc.partition.create.mutate({ id: partitionId, name: 'Expiry' });
    const hana = await member(cluster, 'hana', inviteCode);
    const vic = await member(cluster, 'vic', inviteCode);
    people.push(hana, vic);
    const lapsing = await hana.client.trpc.note.create.mutate({ partitionId, title: 'Left open' });
    const renewedNote = await hana.client.trpc.note.create.mutate({ partitionId, title: 'Kept open' });

    // The workspace's sweep lease is held by one node before the clock starts.
    const { db, close } = await createDb({ databaseUrl: testDb.url });
    let sweeper: NodeProcess | undefined;
    try {
      await waitUntil(
        async () => {
          const leases = await db
            .selectFrom('leases')
            .select(['holder', 'expires_at'])
            .where('job', '=', 'note-lock-sweep')
            .where('scope', '=', partitionId)
            .execute();
          sweeper = leases.length === 1 && leases[0]!.holder ? cluster.node(leases[0]!.holder) : undefined;
          return sweeper !== undefined;
        },
        15_000,
        `a node to take the note-lock-sweep lease of ${partitionId}`,
      );
    } finally {
      await close();
    }

    const { lastEventId: head } = await ada.client.trpc.event.head.query({ partitionId });
    const grant = await hana.client.trpc.note.lock.mutate({ partitionId, noteId: lapsing.id });
    const lockedOn = hana.answeredBy()!;
    // Vic watches from the other node.
    const release = await steerAwayFrom(cluster, lockedOn);
    const vicSees = noteEvents(vic.client, partitionId, head);
    try {
      await vic.connected();
    } finally {
      await release();
    }
    expect(vic.node()).not.toBe(lockedOn);

    // Meanwhile Hana keeps another note open and renews it twice per lock length.
    const kept = await hana.client.trpc.note.lock.mutate({ partitionId, noteId: renewedNote.id });
    let editing = true;
    const renewing = (async () => {
      while (editing) {
        await sleep(LOCK_MS / 2);
        await hana.client.trpc.note.renew.mutate({ partitionId, noteId: renewedNote.id, token: kept.token });
      }
    })();

    try {
      const unlocked = await vicSees.next(lapsing.id, 'note.unlocked', () => true, LOCK_MS + SWEEP_MS + 5_000);
      expect(unlocked.data).toEqual({ noteId: lapsing.id, holderId: hana.userId, reason: 'expired', by: null });
      // On the database clock: cleared within one sweep period of the expiry (plus the pass itself).
      const lag = Date.parse(unlocked.at) - Date.parse(grant.expiresAt);
      console.log(
        `expiry: swept ${lag} ms after the expiry by ${sweeps.map((s) => s.node).join(', ')} (lease holder ${sweeper!.id}); locked on ${lockedOn.id}, viewer on ${vic.node()!.id}`,
      );
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(SWEEP_MS + 500);

      const refused = await refusal(hana.client.trpc.note.save.mutate({ partitionId, noteId: lapsing.id, token: grant.token, body: 'too late' }));
      expect(refused.data?.code).toBe('PRECONDITION_FAILED');
      expect(refused.message).toMatch(/expired|released/);
      const note = await vic.client.trpc.note.get.query({ partitionId, noteId: lapsing.id });
      expect(note).toMatchObject({ version: 1, body: '', lock: null });

      // Two more lock lengths: the renewed lock outlives them all.
      await sleep(2 * LOCK_MS);
    } finally {
      editing = false;
      await renewing;
    }
    const saved = await hana.client.trpc.note.save.mutate({ partitionId, noteId: renewedNote.id, token: kept.token, body: 'still mine', release: true });
    expect(saved).toMatchObject({ version: 2, body: 'still mine', lock: null });
    await vicSees.next(renewedNote.id, 'note.unlocked', (e) => e.data.reason === 'released');

    // Exactly one sweep cleared exactly one lock, on the node holding the lease; one note.unlocked for it.
    expect(sweeps).toEqual([{ node: sweeper!.id, cleared: 1 }]);
    expect(vicSees.of(lapsing.id).map((e) => e.type)).toEqual(['note.locked', 'note.unlocked']);
    expect(vicSees.of(renewedNote.id).filter((e) => e.type === 'note.unlocked')).toHaveLength(1);
    expect(vicSees.errors).toEqual([]);
    vicSees.stop();
  });
});
