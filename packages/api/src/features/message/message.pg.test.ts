import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { sql } from 'kysely';
import { createDb, MESSAGE_COLUMNS, pgErrorCode, PREPARED, type PartitionId } from '@parley/db';
import { listEventsAfter, toParleyEvent } from '../event/event.repo.ts';
import { createTestApi, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';
import { insertMessagesWithEvents } from './message.repo.ts';
import { laneOf, MessageWriter } from './message.writer.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('message send on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let ann: TestUser;
  let roomId: string;
  const P = { partitionId: 'pgmsg' };

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url });
    ann = await api.signUp('ann');
    await ann.caller.partition.create({ id: 'pgmsg', name: 'PG' });
    roomId = (await ann.caller.room.list(P))[0]!.id;
  });
  afterAll(async () => {
    await api?.close();
    await testDb?.drop();
  });

  test('the same clientId sent 10 times at once gives one message, one event, and no gap', async () => {
    const clientId = newClientId();
    const results = await Promise.all(Array.from({ length: 10 }, () => ann.caller.message.send({ ...P, roomId, clientId, body: 'racing' })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const rows = await api.deps.db.selectFrom('messages_pgmsg').select('id').where('client_id', '=', clientId).execute();
    expect(rows).toHaveLength(1);
    // A following send gets the very next id: the losers consumed none.
    const next = await ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: 'next' });
    expect(next.eventId).toBe(results[0]!.eventId + 1);
    const ids = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  test('the message and event a send answers with are what the table and the log hold (built from the input, not read back)', async () => {
    const sent = await ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: 'as stored' });
    const [stored] = await ann.caller.message.list({ ...P, roomId, limit: 1 }).then((r) => r.messages);
    expect(stored).toEqual(sent);
    const logged = await listEventsAfter(api.deps.db, 'pgmsg' as PartitionId, sent.eventId - 1, 1);
    const outcome = (
      await insertMessagesWithEvents(api.deps.db, 'pgmsg' as PartitionId, [
        {
          id: 'built-' + sent.id,
          roomId,
          authorId: ann.id,
          clientId: newClientId(),
          body: 'built',
          replyTo: null,
          mentions: [],
          eventData: { id: 'x', body: 'built' },
        },
      ])
    )[0]!;
    expect(outcome.kind).toBe('inserted');
    if (outcome.kind !== 'inserted') return;
    const [row] = await listEventsAfter(api.deps.db, 'pgmsg' as PartitionId, outcome.event.id - 1, 1);
    expect(toParleyEvent('pgmsg', outcome.event)).toEqual(row);
    const message = await api.deps.db.selectFrom('messages_pgmsg').select(MESSAGE_COLUMNS).where('id', '=', outcome.message.id).executeTakeFirstOrThrow();
    expect(outcome.message).toEqual(message);
    expect(logged[0]!.data).toMatchObject({ id: sent.id, body: 'as stored', eventId: sent.eventId, createdAt: sent.createdAt });
  });

  test('100 concurrent different sends commit in id order with dense ids', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: `c${i}` })));
    const ids = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const positions = (await api.deps.db.selectFrom('messages_pgmsg').select('event_id').execute()).map((r) => r.event_id);
    expect(new Set(positions).size).toBe(positions.length);
  });

  test('concurrent sends are group-committed: fewer statements than messages, ids still dense and in arrival order', async () => {
    const before = { ...api.deps.messageWriter.stats };
    const sent = await Promise.all(Array.from({ length: 200 }, (_, i) => ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: `g${i}` })));
    const batches = api.deps.messageWriter.stats.batches - before.batches;
    expect(api.deps.messageWriter.stats.messages - before.messages).toBe(200);
    expect(batches).toBeLessThan(200);
    expect(api.deps.messageWriter.stats.largestBatch).toBeGreaterThan(1);
    const ids = sent.map((m) => m.eventId).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    const events = (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(events).toEqual(events.map((_, i) => i + 1));
  });

  const writerItem = (clientId: string, body: string, opts: { roomId?: string; authorId?: string; mentions?: string[] } = {}) => ({
    id: newClientId(),
    roomId: opts.roomId ?? roomId,
    authorId: opts.authorId ?? ann.id,
    clientId,
    body,
    replyTo: null,
    mentions: opts.mentions ?? [],
    eventData: { body },
  });
  const pid = P.partitionId as PartitionId;
  const eventIds = async () => (await api.deps.db.selectFrom('events_pgmsg').select('id').orderBy('id').execute()).map((r) => r.id);
  const counter = async () =>
    (await api.deps.db.selectFrom('partitions').select('last_event_id').where('id', '=', P.partitionId).executeTakeFirstOrThrow()).last_event_id;

  test('one batch with duplicates and refusals: only the new messages are written, on consecutive ids, and no id is lost', async () => {
    const earlier = await ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: 'earlier' });
    const closed = await ann.caller.room.create({ ...P, name: 'closed' });
    const ben = await api.signUp('ben-batch');
    const writer = api.deps.messageWriter;
    const before = { ...writer.stats };
    const base = await counter();
    const repeated = newClientId();
    // The first write finds the partition idle and goes alone; the others wait for it and go together.
    const outcomes = await Promise.all([
      writer.write(pid, writerItem(newClientId(), 'alone')),
      writer.write(pid, writerItem(newClientId(), 'b')),
      writer.write(pid, writerItem(earlier.clientId, 'a duplicate of an earlier message')),
      writer.write(pid, writerItem(repeated, 'c')),
      writer.write(pid, writerItem(repeated, 'c, a duplicate inside the batch')),
      writer.write(pid, writerItem(newClientId(), 'not in the room', { roomId: closed.id, authorId: ben.id })),
      writer.write(pid, writerItem(newClientId(), 'no such room', { roomId: newClientId() })),
      writer.write(pid, writerItem(newClientId(), 'd')),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['inserted', 'inserted', 'duplicate', 'inserted', 'duplicate', 'refused', 'refused', 'inserted']);
    expect(outcomes.slice(5, 7)).toMatchObject([{ roomExists: true }, { roomExists: false }]);
    expect(writer.stats.batches - before.batches).toBe(2);
    expect(writer.stats.messages - before.messages).toBe(8);
    expect(writer.stats.inserted - before.inserted).toBe(4);

    const written = outcomes.flatMap((o) => (o.kind === 'inserted' ? [o] : []));
    expect(written.map((o) => o.message.body)).toEqual(['alone', 'b', 'c', 'd']);
    // In input order, on the next consecutive ids: the skipped ones took none.
    expect(written.map((o) => o.message.event_id)).toEqual([1, 2, 3, 4].map((i) => base + i));
    expect(written.every((o) => o.event.id === o.message.event_id && o.event.type === 'message.created')).toBe(true);
    const ids = await eventIds();
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(await counter()).toBe(ids.at(-1));
    const stored = await api.deps.db.selectFrom('messages_pgmsg').select('body').where('client_id', 'in', [repeated, earlier.clientId]).execute();
    expect(stored.map((r) => r.body).sort()).toEqual(['c', 'earlier']);
  });

  test('through the API: a duplicate in one batch is answered with the first message, someone else’s is CONFLICT, a refused send is FORBIDDEN', async () => {
    const ben = await api.signUp('ben-api');
    const { inviteCode } = await ann.caller.partition.rotateInvite(P);
    await ben.caller.partition.join({ inviteCode });
    const closed = await ann.caller.room.create({ ...P, name: 'closed-api' });
    const clientId = newClientId();
    const settled = await Promise.allSettled([
      ann.caller.message.send({ ...P, roomId, clientId: newClientId(), body: 'opens a batch' }),
      ann.caller.message.send({ ...P, roomId, clientId, body: 'same' }),
      ann.caller.message.send({ ...P, roomId, clientId, body: 'same' }),
      ben.caller.message.send({ ...P, roomId, clientId, body: 'same, from ben' }),
      ben.caller.message.send({ ...P, roomId: closed.id, clientId: newClientId(), body: 'not in there' }),
    ]);
    const [, a1, a2, b1, b2] = settled;
    const codes = settled.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
    expect(codes[4]).toBe('FORBIDDEN');
    expect((b2 as PromiseRejectedResult).reason.message).toBe('Join the room first.');
    // Whoever reached the writer first owns the clientId; the other author gets CONFLICT.
    if (b1.status === 'fulfilled') {
      expect(codes.slice(1, 3)).toEqual(['CONFLICT', 'CONFLICT']);
    } else {
      expect(codes[3]).toBe('CONFLICT');
      expect((a1 as PromiseFulfilledResult<{ id: string }>).value).toEqual((a2 as PromiseFulfilledResult<{ id: string }>).value);
    }
    const rows = await api.deps.db.selectFrom('messages_pgmsg').select('id').where('client_id', '=', clientId).execute();
    expect(rows).toHaveLength(1);
    const ids = await eventIds();
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  test('a copy committed by another node while the batch waited for the counter: the batch fails whole, consuming nothing, and the send returns the winner', async () => {
    const { db } = api.deps;
    const waitingForLock = async () => {
      for (let i = 0; i < 200; i++) {
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
        if (rows[0]!.n > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('the statement never waited for the counter row');
    };
    /** "Another node": a transaction holds the counter row while `write` starts, then commits `clientId` first. */
    const race = async <T>(clientId: string, write: () => Promise<T>) => {
      const other = await db.startTransaction().execute();
      await sql`select 1 from partitions where id = ${P.partitionId} for update`.execute(other);
      const pending = write().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      await waitingForLock();
      const [winner] = await insertMessagesWithEvents(other, pid, [writerItem(clientId, 'the other node was first')]);
      await other.commit().execute();
      if (winner?.kind !== 'inserted') throw new Error('the other node should have written it');
      return { winner: winner.message, result: await pending };
    };

    // The statement itself: its checks ran on a snapshot without the copy, so the unique index stops it whole.
    const raced = newClientId();
    const batch = await race(raced, () => insertMessagesWithEvents(db, pid, [writerItem(newClientId(), 'neighbour'), writerItem(raced, 'loser')]));
    expect(batch.result.ok).toBe(false);
    expect(pgErrorCode(!batch.result.ok && batch.result.error)).toBe('23505');
    expect(await counter()).toBe(batch.winner.event_id);

    // Through the API: the send is answered with the other node's message.
    const mine = newClientId();
    const sent = await race(mine, () => ann.caller.message.send({ ...P, roomId, clientId: mine, body: 'mine' }));
    expect(sent.result).toMatchObject({ ok: true, value: { id: sent.winner.id, eventId: sent.winner.event_id, body: 'the other node was first' } });
    const ids = await eventIds();
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(await counter()).toBe(ids.at(-1));
  });
  test('the send statements (a batch, and one send alone) made on an empty workspace still probe indexes once the workspace is big: no plan scans or hashes a whole table', async () => {
    await ann.caller.partition.create({ id: 'pgplan', name: 'Plan' });
    const Q = { partitionId: 'pgplan' as PartitionId };
    const planRoom = (await ann.caller.room.list(Q))[0]!.id;
    // One write connection, so the statement's plan (made at its first run, while the workspace
    // holds one member and no message) is the one asked about below.
    const handle = await createDb({ databaseUrl: testDb.url, writePoolSize: 1 });
    try {
      // A young workspace, analyzed (as autovacuum does within a minute): 240 messages, 200 members.
      const grow = async (messages: number, members: number, from: number) => {
        await sql`insert into messages_pgplan (id, room_id, author_id, client_id, body, event_id)
          select gen_random_uuid()::text, ${planRoom}, ${ann.id}, gen_random_uuid(), 'filler', ${from} + g from generate_series(1, ${messages}::int) g`.execute(
          api.deps.db,
        );
        await sql`insert into room_members_pgplan (room_id, user_id) select ${planRoom}, 'member-' || (${from} + g) from generate_series(1, ${members}::int) g`.execute(
          api.deps.db,
        );
      };
      await grow(240, 200, 1000);
      await sql`analyze messages_pgplan, room_members_pgplan, rooms_pgplan`.execute(api.deps.db);
      const first = writerItem(newClientId(), 'first', { roomId: planRoom });
      const alone = writerItem(newClientId(), 'alone', { roomId: planRoom });
      // Both statements are prepared (and planned) now, while the workspace is small.
      expect(
        (await insertMessagesWithEvents(handle.writeDb, Q.partitionId, [first, writerItem(newClientId(), 'with it', { roomId: planRoom })])).map((o) => o.kind),
      ).toEqual(['inserted', 'inserted']);
      expect((await insertMessagesWithEvents(handle.writeDb, Q.partitionId, [alone]))[0]!.kind).toBe('inserted');
      // It grows: 20,000 more messages and 2,000 more members, with no ANALYZE in between.
      await grow(20_000, 2_000, 100_000);
      const plan = await handle.writeDb.connection().execute(async (conn) => {
        const { rows } = await sql<{
          name: string;
          statement: string;
        }>`select name, statement from pg_prepared_statements where starts_with(statement, ${PREPARED}) order by prepare_time`.execute(conn);
        expect(rows).toHaveLength(2);
        const arg = (values: (string | null)[], type: string) => `array[${values.map((v) => (v === null ? 'null' : `'${v}'`)).join(', ')}]::${type}[]`;
        const explained = await sql<{ 'QUERY PLAN': string }>`explain execute ${sql.raw(rows[0]!.name)}(${sql.raw(
          [
            arg(['1'], 'int'),
            arg([newClientId()], 'text'),
            arg([planRoom], 'text'),
            arg([ann.id], 'text'),
            arg([newClientId()], 'uuid'),
            arg(['x'], 'text'),
            arg([null], 'text'),
            arg([''], 'text'),
            arg([null], 'text'),
            arg(['{}'], 'jsonb'),
          ].join(', '),
        )}, ${sql.lit(Q.partitionId)})`.execute(conn);
        const clientId = newClientId();
        const one = await sql<{ 'QUERY PLAN': string }>`explain execute ${sql.raw(rows[1]!.name)}(${sql.raw(
          // In the order the statement names them (message.repo.ts, insertOneMessageWithEvent).
          [planRoom, ann.id, clientId, Q.partitionId, newClientId(), planRoom, ann.id, clientId, 'x', null, '', null, planRoom, ann.id, '{}']
            .map((v) => (v === null ? 'null' : `'${v}'`))
            .join(', '),
        )})`.execute(conn);
        expect(rows[1]!.statement).toContain('$15');
        expect(rows[1]!.statement).not.toContain('$16');
        return [...explained.rows, ...one.rows].map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('Index Only Scan using messages_pgplan_client_id_key');
      expect(plan).toMatch(/Index Scan using room_members_pgplan_\w+ on room_members_pgplan/);
      expect(plan).toContain('Index Scan using rooms_pgplan_pkey');
      expect(plan).not.toMatch(/Seq Scan on (messages|room_members|rooms)_pgplan|hashed SubPlan/);
      // And it still answers right on the big workspace.
      const again = await insertMessagesWithEvents(handle.writeDb, Q.partitionId, [first, writerItem(newClientId(), 'second', { roomId: planRoom })]);
      expect(again.map((o) => o.kind)).toEqual(['duplicate', 'inserted']);
    } finally {
      await handle.close();
    }
  });
  test('write lanes: a workspace keeps to one session (its statement prepared once per node), and takes a free one while its own is busy', async () => {
    const handle = await createDb({ databaseUrl: testDb.url, writePoolSize: 3 });
    const writer = new MessageWriter(handle.writeLanes);
    // A second workspace whose own lane is the same as pgmsg's.
    const own = laneOf(P.partitionId, 3);
    let twin = '';
    for (let i = 0; !twin; i++) if (laneOf(`pglane${i}`, 3) === own) twin = `pglane${i}`;
    await ann.caller.partition.create({ id: twin, name: 'Twin' });
    const twinRoom = (await ann.caller.room.list({ partitionId: twin }))[0]!.id;
    const preparedOn = () =>
      Promise.all(
        handle.writeLanes.map(async (lane) => {
          const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements where starts_with(statement, ${PREPARED})`.execute(
            lane,
          );
          return rows.map((r) => (r.statement.includes(`messages_${twin}`) ? twin : 'pgmsg'));
        }),
      );
    try {
      for (let i = 0; i < 5; i++) expect((await writer.write(pid, writerItem(newClientId(), `lane ${i}`))).kind).toBe('inserted');
      expect((await preparedOn())[own]).toEqual(['pgmsg']);
      expect((await preparedOn()).flat()).toEqual(['pgmsg']);
      // Both at once: pgmsg takes their lane first, so the twin's write runs on a free one rather than wait.
      const both = await Promise.all([
        writer.write(pid, writerItem(newClientId(), 'first')),
        writer.write(twin as PartitionId, writerItem(newClientId(), 'twin', { roomId: twinRoom })),
      ]);
      expect(both.map((o) => o.kind)).toEqual(['inserted', 'inserted']);
      const lanes = await preparedOn();
      expect(lanes[own]).toEqual(['pgmsg']);
      expect(lanes.filter((l, i) => i !== own && l.includes(twin))).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });
});
