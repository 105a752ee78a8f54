import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { anonymousRequest, createCaller } from '../../index.ts';
import { createContext } from '../../context.ts';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, takeEvents } from '../../test-util.ts';
import type { ParleyEvent } from './event.types.ts';

let api: TestApi;
let ann: TestUser;
let ben: TestUser;
let general: string;
beforeAll(async () => {
  api = await createTestApi();
  const ws = await createTestWorkspace(api, 'evt', 'ann', ['ben']);
  [ann, ben, general] = [ws.owner, ws.members[0]!, ws.general];
});
afterAll(() => api.close());

const P = { partitionId: 'evt' };

async function allEvents() {
  return api.deps.db.selectFrom('events_evt').select(['id', 'type']).orderBy('id').execute();
}

describe('event.onEvent', () => {
  test('event ids are dense from 1 and every change has its event', async () => {
    const rows = await allEvents();
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.map((r) => r.type)).toEqual(['partition.joined', 'room.created', 'member.joined', 'partition.joined', 'member.joined']);
  });

  test('resuming from lastEventId replays exactly the rest, in order, then streams live', async () => {
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: `b${i}` }));
    const from = sent[1]!.eventId;
    const collecting = takeEvents<ParleyEvent>(ben.caller.event.onEvent({ ...P, lastEventId: from }), 4);
    await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    const live = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'live' });
    const got = await collecting;
    expect(got.map((t) => t.data.type === 'message.created' && t.data.data.body)).toEqual(['b2', 'b3', 'b4', 'live']);
    expect(got.map((t) => Number(t.id))).toEqual([sent[2]!.eventId, sent[3]!.eventId, sent[4]!.eventId, live.eventId]);
    expect(got.every((t) => t.id === String(t.data.id))).toBe(true);
    const created = got[3]!.data;
    expect(created.type === 'message.created' && created.data).toEqual(live);
  });

  test('a user only sees events of rooms they are in, and sees a room once they join it', async () => {
    const secret = await ann.caller.room.create({ ...P, name: 'secret' });
    const start = (await allEvents()).at(-1)!.id;
    const collecting = takeEvents<ParleyEvent>(ben.caller.event.onEvent({ ...P, lastEventId: start }), 3);
    await new Promise((r) => setTimeout(r, 50));
    await ann.caller.message.send({ ...P, roomId: secret.id, clientId: newClientId(), body: 'hidden' });
    await ben.caller.room.join({ ...P, roomId: secret.id });
    await ann.caller.message.send({ ...P, roomId: secret.id, clientId: newClientId(), body: 'visible' });
    await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'general' });
    const got = (await collecting).map((t) => t.data);
    expect(got.map((e) => e.type)).toEqual(['member.joined', 'message.created', 'message.created']);
    expect(got.map((e) => (e.type === 'message.created' ? e.data.body : e.type))).toEqual(['member.joined', 'visible', 'general']);
  });

  test("live, other rooms' messages are dropped before the stream: a burst of them costs it no read of the log", async () => {
    const busy = await ann.caller.room.create({ ...P, name: 'busy' });
    // Ben's stream on a database handle that counts reads of the event log.
    let logReads = 0;
    const counter: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node).includes('events_evt')) logReads++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const benCounted = createCaller(createContext({ ...api.deps, db: api.deps.db.withPlugin(counter) }, anonymousRequest({ token: ben.token })));
    const start = (await allEvents()).at(-1)!.id;
    const collecting = takeEvents<ParleyEvent>(benCounted.event.onEvent({ ...P, lastEventId: start }), 2);
    await new Promise((r) => setTimeout(r, 100));
    const readsBefore = logReads;
    for (let i = 0; i < 30; i++) await ann.caller.message.send({ ...P, roomId: busy.id, clientId: newClientId(), body: `busy ${i}` });
    const first = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'for ben' });
    for (let i = 0; i < 5; i++) await ann.caller.message.send({ ...P, roomId: busy.id, clientId: newClientId(), body: `more ${i}` });
    const second = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'for ben again' });
    const got = await collecting;
    expect(got.map((t) => Number(t.id))).toEqual([first.eventId, second.eventId]);
    expect(logReads).toBe(readsBefore);
  });

  test('a new room is announced to everyone in the partition', async () => {
    const start = (await allEvents()).at(-1)!.id;
    const collecting = takeEvents<ParleyEvent>(ben.caller.event.onEvent({ ...P, lastEventId: start }), 1);
    await new Promise((r) => setTimeout(r, 50));
    await ann.caller.room.create({ ...P, name: 'announce' });
    const [e] = await collecting;
    expect(e!.data).toMatchObject({ type: 'room.created', data: { name: 'announce' } });
  });

  test('an idle stream ends when stopped (its pending next() gets the end) and lets go of its feed; an abort ends it too', async () => {
    const feedsBefore = api.deps.feeds.size;
    const stream = (await (ben.caller.event.onEvent(P) as Promise<AsyncIterable<unknown>>))[Symbol.asyncIterator]();
    const waiting = stream.next();
    await new Promise((r) => setTimeout(r, 100));
    await stream.return?.();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    expect(api.deps.feeds.size).toBe(feedsBefore);

    const controller = new AbortController();
    const benAborting = createCaller(createContext(api.deps, anonymousRequest({ token: ben.token })), { signal: controller.signal });
    const aborted = (await (benAborting.event.onEvent(P) as Promise<AsyncIterable<unknown>>))[Symbol.asyncIterator]();
    const next = aborted.next();
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    expect(api.deps.feeds.size).toBe(feedsBefore);
  });

  test('without lastEventId the stream starts live', async () => {
    const collecting = takeEvents<ParleyEvent>(ben.caller.event.onEvent(P), 1);
    await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    const m = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'now' });
    expect((await collecting)[0]!.id).toBe(String(m.eventId));
  });
});

describe('event.head', () => {
  test('is the id of the latest event, for members only', async () => {
    const rows = await allEvents();
    expect(await ben.caller.event.head(P)).toEqual({ lastEventId: rows.at(-1)!.id });
    const outsider = await api.signUp('olga');
    await expect(outsider.caller.event.head(P)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
