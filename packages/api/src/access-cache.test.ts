import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryBus, type Bus, type BusState } from '@parley/cluster';
import type { Session, User } from '@parley/db';
import { AccessCache, type AccessChange } from './access-cache.ts';
import { silentLogger } from './testing.ts';

let now = 0;
const caches: AccessCache[] = [];
const cache = (bus: Bus = createMemoryBus(), ttlMs = 5_000) => {
  const c = new AccessCache({ bus, log: silentLogger, ttlMs, now: () => now });
  caches.push(c);
  return c;
};
afterEach(() => {
  for (const c of caches.splice(0)) c.close();
});

const user = (id: string) => ({ id, username: id, display_name: id, is_admin: false }) as User;
const entry = (sessionId: string, userId: string) => ({
  session: { id: sessionId, user_id: userId } as Session,
  user: user(userId),
});
/** The bus delivers asynchronously, like Redis. */
const delivered = () => new Promise((r) => setTimeout(r, 0));

describe('AccessCache', () => {
  test('keeps a session for the TTL, or less when the database said it is due sooner', () => {
    const c = cache();
    c.storeSession('s1', entry('s1', 'u1'), 60_000, c.epoch);
    c.storeSession('s2', entry('s2', 'u2'), 1_000, c.epoch);
    c.storeSession('s3', entry('s3', 'u3'), 0, c.epoch);
    expect(c.session('s1')?.user.id).toBe('u1');
    expect(c.session('s2')?.user.id).toBe('u2');
    expect(c.session('s3')).toBeUndefined();
    now += 1_000;
    expect(c.session('s2')).toBeUndefined();
    expect(c.session('s1')).toBeDefined();
    now += 4_000;
    expect(c.session('s1')).toBeUndefined();
  });

  test('a TTL of 0 caches nothing', () => {
    const c = cache(createMemoryBus(), 0);
    c.storeSession('s1', entry('s1', 'u1'), 60_000, c.epoch);
    c.storeRole('p', 'u1', 'member', c.epoch);
    expect(c.session('s1')).toBeUndefined();
    expect(c.role('p', 'u1')).toBeUndefined();
  });

  test('a lookup that raced a change does not store its answer (a revoked session cannot come back)', () => {
    const c = cache();
    const epoch = c.epoch;
    // The database read started here and returned the session; meanwhile the session ended.
    void c.changed({ kind: 'session', userId: 'u1', sessionId: 's1' });
    c.storeSession('s1', entry('s1', 'u1'), 60_000, epoch);
    expect(c.session('s1')).toBeUndefined();
    c.storeSession('s1', entry('s1', 'u1'), 60_000, c.epoch);
    expect(c.session('s1')).toBeDefined();
  });

  test('a change on one node is forgotten on every node of the bus; a user change drops all of their sessions', async () => {
    const bus = createMemoryBus();
    const [one, two] = [cache(bus), cache(bus)];
    for (const c of [one, two]) {
      c.storeSession('a1', entry('a1', 'ann'), 60_000, c.epoch);
      c.storeSession('a2', entry('a2', 'ann'), 60_000, c.epoch);
      c.storeSession('b1', entry('b1', 'ben'), 60_000, c.epoch);
      c.storeRole('p', 'ann', 'admin', c.epoch);
      c.storeRole('q', 'ann', 'member', c.epoch);
    }
    void one.changed({ kind: 'session', userId: 'ann', sessionId: 'a1' });
    // At once on the node that made the change.
    expect(one.session('a1')).toBeUndefined();
    await delivered();
    expect(two.session('a1')).toBeUndefined();
    expect(two.session('a2')).toBeDefined();

    void two.changed({ kind: 'user', userId: 'ann' });
    await delivered();
    for (const c of [one, two]) {
      expect([c.session('a2'), c.session('b1')?.user.id]).toEqual([undefined, 'ben']);
    }

    void one.changed({ kind: 'membership', userId: 'ann', partitionId: 'p' });
    await delivered();
    for (const c of [one, two]) expect([c.role('p', 'ann'), c.role('q', 'ann')]).toEqual([undefined, 'member']);
  });

  test('watchers of a user hear every change of their access, from any node, and nothing else', async () => {
    const bus = createMemoryBus();
    const [one, two] = [cache(bus), cache(bus)];
    const heard: AccessChange['kind'][] = [];
    const stop = two.watch('ann', (change) => heard.push(change.kind));
    two.watch('ben', () => heard.push('membership'));
    void one.changed({ kind: 'session', userId: 'ann', sessionId: 'a1' });
    void two.changed({ kind: 'user', userId: 'ann' });
    await delivered();
    stop();
    void one.changed({ kind: 'user', userId: 'ann' });
    await delivered();
    // Its own change once (not again when the bus brings it back), the other node's once.
    expect(heard.sort()).toEqual(['session', 'user']);
  });

  test('a bus state change forgets everything (changes published during an outage are lost)', () => {
    const listeners = new Set<(s: BusState) => void>();
    const bus: Bus = {
      ...createMemoryBus(),
      state: 'up',
      onStateChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const c = cache(bus);
    c.storeSession('s1', entry('s1', 'u1'), 60_000, c.epoch);
    c.storeRole('p', 'u1', 'owner', c.epoch);
    const epoch = c.epoch;
    for (const l of listeners) l('down');
    expect([c.session('s1'), c.role('p', 'u1')]).toEqual([undefined, undefined]);
    c.storeRole('p', 'u1', 'owner', epoch);
    expect(c.role('p', 'u1')).toBeUndefined();
  });
});
