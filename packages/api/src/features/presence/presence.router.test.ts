import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemoryBus, createMemoryPresence, type Bus, type Presence } from '@parley/cluster';
import { anonymousRequest, createCaller, createContext } from '../../index.ts';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError, wireError } from '../../test-util.ts';
import type { PresenceSignalDto } from './presence.types.ts';

const GRACE_MS = 60_000;
// The presence's clock: grace periods and typing end when the test says, not after real minutes.
let now = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

let bus: Bus;
let presence: Presence;
let api: TestApi;
let ann: TestUser;
let ben: TestUser;
let vic: TestUser;
let general: string;
let side: string;
const P = { partitionId: 'pres' };

beforeAll(async () => {
  bus = createMemoryBus();
  presence = createMemoryPresence({ bus, graceMs: GRACE_MS, now: () => now });
  api = await createTestApi({ bus, presence });
  const ws = await createTestWorkspace(api, P.partitionId, 'ann', ['ben', 'vic']);
  [ann, ben, vic, general] = [ws.owner, ws.members[0]!, ws.members[1]!, ws.general];
  await api.deps.db.updateTable('memberships').set({ role: 'viewer' }).where('user_id', '=', vic.id).execute();
  // Ann's room; ben is not in it.
  side = (await ann.caller.room.create({ ...P, name: 'side' })).id;
});
afterAll(async () => {
  await api.close();
  await presence.close();
  await bus.close();
});

/** A live subscription through a caller whose request signal the test aborts (as a closing socket does). */
function open<T>(user: TestUser, start: (caller: ReturnType<typeof createCaller>) => Promise<AsyncIterable<T>>) {
  const abort = new AbortController();
  const caller = createCaller(createContext(api.deps, anonymousRequest({ token: user.token, tokenSource: 'bearer' })), { signal: abort.signal });
  const items: T[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown;
  const done = (async () => {
    for await (const item of await start(caller)) {
      items.push(item);
      for (const w of [...waiters]) w();
    }
  })().catch((error: unknown) => {
    failure = error;
    for (const w of [...waiters]) w();
  });
  return {
    items,
    /** Resolves with the items once `predicate` holds over them. */
    until(predicate: (items: T[]) => boolean, what = 'items', timeoutMs = 5_000): Promise<T[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (failure) reject(failure instanceof Error ? failure : new Error(`${what}: the subscription failed`, { cause: failure }));
          else if (predicate(items)) resolve(items);
          else return;
          waiters.delete(check);
          clearTimeout(timer);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(items)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      abort.abort();
      await done;
    },
  };
}

const signals = (user: TestUser) => open<PresenceSignalDto>(user, (c) => c.presence.onSignal(P));
const events = (user: TestUser) => open(user, (c) => c.event.onEvent(P));
const statusOf = async (viewer: TestUser, userId: string) => (await viewer.caller.presence.list(P)).members.find((m) => m.userId === userId);
const changes = (items: PresenceSignalDto[], userId: string) => items.flatMap((s) => (s.type === 'presence' && s.userId === userId ? [s.status] : []));
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('presence.list', () => {
  test('lists every member: offline when never seen, online while an event stream is open, reconnecting for the grace period after, then offline with last seen', async () => {
    const before = await ann.caller.presence.list(P);
    expect(before).toMatchObject({ at: iso(now), graceMs: GRACE_MS, available: true, typing: [] });
    expect(before.members.map((m) => m.userId).sort()).toEqual([ann.id, ben.id, vic.id].sort());
    expect(before.members.find((m) => m.userId === ben.id)).toEqual({ userId: ben.id, status: 'offline', lastSeenAt: null, offlineAt: null });

    const stream = events(ben);
    await eventually(async () => (await statusOf(ann, ben.id))?.status === 'online');
    const left = now;
    await stream.close();
    expect(await statusOf(ann, ben.id)).toEqual({ userId: ben.id, status: 'reconnecting', lastSeenAt: iso(left), offlineAt: iso(left + GRACE_MS) });

    now += GRACE_MS;
    expect(await statusOf(ann, ben.id)).toEqual({ userId: ben.id, status: 'offline', lastSeenAt: iso(left), offlineAt: null });
  });
});

describe('presence.onSignal', () => {
  test('starts with a snapshot that counts the subscriber as online, then streams presence changes of others', async () => {
    const stream = signals(ann);
    const [first] = await stream.until((s) => s.length >= 1, 'the snapshot');
    expect(first).toMatchObject({ type: 'snapshot', available: true, graceMs: GRACE_MS });
    expect(first?.type === 'snapshot' && first.members.find((m) => m.userId === ann.id)?.status).toBe('online');

    const benStream = events(ben);
    await stream.until((s) => changes(s, ben.id).includes('online'), 'ben online');
    await benStream.close();
    const items = await stream.until((s) => changes(s, ben.id).includes('reconnecting'), 'ben reconnecting');
    const reconnecting = items.at(-1);
    expect(reconnecting).toMatchObject({ type: 'presence', userId: ben.id, status: 'reconnecting', offlineAt: iso(now + GRACE_MS) });

    // Whoever holds the partition's presence-sweep lease announces the end of the grace period.
    now += GRACE_MS;
    await presence.sweep(P.partitionId);
    await stream.until((s) => changes(s, ben.id).at(-1) === 'offline', 'ben offline');
    await stream.close();
  });

  test('the subscription itself is a connection: closing it makes the user reconnecting', async () => {
    const stream = signals(ben);
    await stream.until((s) => s.length >= 1, 'the snapshot');
    expect((await statusOf(ann, ben.id))?.status).toBe('online');
    await stream.close();
    expect((await statusOf(ann, ben.id))?.status).toBe('reconnecting');
  });

  test('carries typing of rooms the subscriber is in, as they join and leave, and never their own', async () => {
    const stream = signals(ben);
    await stream.until((s) => s.length >= 1, 'the snapshot');
    const typing = () =>
      stream.items.flatMap((s) => (s.type === 'typing' ? [`${s.userId === ann.id ? 'ann' : 'ben'}@${s.roomId === side ? 'side' : 'general'}`] : []));

    now += 10_000;
    await ann.caller.presence.typing({ ...P, roomId: side });
    await ben.caller.presence.typing({ ...P, roomId: general });
    await ann.caller.presence.typing({ ...P, roomId: general });
    await stream.until(() => typing().includes('ann@general'), 'ann typing in general');
    expect(typing()).toEqual(['ann@general']);
    const shown = stream.items.find((s) => s.type === 'typing');
    expect(shown).toEqual({ type: 'typing', at: iso(now), userId: ann.id, roomId: general, until: iso(now + 5_000) });

    await ben.caller.room.join({ ...P, roomId: side });
    await settle();
    now += 10_000;
    await ann.caller.presence.typing({ ...P, roomId: side });
    await stream.until(() => typing().includes('ann@side'), 'ann typing in side once ben joined');

    await ben.caller.room.leave({ ...P, roomId: side });
    await settle();
    now += 10_000;
    await ann.caller.presence.typing({ ...P, roomId: side });
    await ann.caller.presence.typing({ ...P, roomId: general });
    await stream.until(() => typing().length === 3, 'ann typing in general again');
    expect(typing()).toEqual(['ann@general', 'ann@side', 'ann@general']);
    await stream.close();
  });

  test("a sent message ends its author's typing in that room at once", async () => {
    const stream = signals(ben);
    await stream.until((s) => s.length >= 1, 'the snapshot');
    now += 10_000;
    await ann.caller.presence.typing({ ...P, roomId: general });
    await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'done typing' });
    const items = await stream.until((s) => s.filter((x) => x.type === 'typing').length === 2, 'the stop');
    const [started, stopped] = items.filter((x) => x.type === 'typing');
    expect(Date.parse(started!.until)).toBeGreaterThan(Date.parse(started!.at));
    expect(stopped!.until).toBe(stopped!.at);
    expect((await ben.caller.presence.list(P)).typing).toEqual([]);
    await stream.close();
  });
});

describe('presence.typing', () => {
  test('shows the typist to the room until 5 s after the last signal', async () => {
    now += 10_000;
    const { until } = await ann.caller.presence.typing({ ...P, roomId: general });
    expect(until).toBe(iso(now + 5_000));
    expect((await ben.caller.presence.list(P)).typing).toEqual([{ userId: ann.id, roomId: general, until }]);
    // Not to the typist, nor to those outside the room.
    expect((await ann.caller.presence.list(P)).typing).toEqual([]);
    now += 5_000;
    expect((await ben.caller.presence.list(P)).typing).toEqual([]);
  });
});

describe('refusals', () => {
  let outsider: TestUser;
  beforeAll(async () => {
    outsider = await api.signUp('olga');
    await outsider.caller.partition.create({ id: 'elsewhere', name: 'Elsewhere' });
  });

  test('signed out: UNAUTHORIZED for every procedure', async () => {
    const anon = api.caller();
    for (const call of [anon.presence.list(P), anon.presence.typing({ ...P, roomId: general }), anon.presence.onSignal(P)]) {
      expect((await trpcError(call)).code).toBe('UNAUTHORIZED');
    }
  });

  test('another partition: NOT_FOUND (its existence is not revealed), and nothing of it is shown', async () => {
    for (const call of [
      outsider.caller.presence.list(P),
      outsider.caller.presence.typing({ ...P, roomId: general }),
      outsider.caller.presence.onSignal(P),
      ann.caller.presence.list({ partitionId: 'elsewhere' }),
    ]) {
      expect((await trpcError(call)).code).toBe('NOT_FOUND');
    }
  });

  test('a viewer reads presence but cannot signal typing', async () => {
    expect((await vic.caller.presence.list(P)).members).toHaveLength(3);
    const e = await trpcError(vic.caller.presence.typing({ ...P, roomId: general }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe('Viewers can read but not write in this workspace.');
  });

  test('typing in a room one is not in is FORBIDDEN, in a room that does not exist NOT_FOUND', async () => {
    const e = await trpcError(ben.caller.presence.typing({ ...P, roomId: side }));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', 'Join the room first.']);
    expect((await trpcError(ben.caller.presence.typing({ ...P, roomId: '0197a000-0000-7000-8000-000000000000' }))).code).toBe('NOT_FOUND');
  });

  test('bad input: BAD_REQUEST with the field named', async () => {
    const empty = await trpcError(ben.caller.presence.typing({ ...P, roomId: '' }));
    expect(empty.code).toBe('BAD_REQUEST');
    expect(wireError(empty).message).toMatch(/^roomId: /);
    expect((await trpcError(ben.caller.presence.typing({ ...P, roomId: 'x'.repeat(65) }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(ben.caller.presence.list({ partitionId: 'Not A Workspace!' }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(ben.caller.presence.onSignal({ partitionId: '' }))).code).toBe('BAD_REQUEST');
  });

  test('too many typing signals: TOO_MANY_REQUESTS with when to retry', async () => {
    await using limited = await createTestApi({ config: { rateLimits: { typingPerUser: { limit: 2, windowMs: 10_000 } } } });
    const ws = await createTestWorkspace(limited, 'typing_limit', 'tess');
    const call = () => ws.owner.caller.presence.typing({ partitionId: 'typing_limit', roomId: ws.general });
    await call();
    await call();
    const e = await trpcError(call());
    expect(e.code).toBe('TOO_MANY_REQUESTS');
    expect(e.message).toMatch(/^You are sending typing signals too fast \(at most 2 in 10 seconds\)\. Try again in \d+ seconds?\.$/);
  });
});

/** Polls an async condition (real time; the presence's own clock is the fake one). */
async function eventually(predicate: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
