import { expect } from 'vitest';
import type { Bus } from './bus.ts';
import { presenceChannel, type Presence, type PresenceSignal, type UserPresence } from './presence.ts';

/**
 * One behaviour table for every Presence implementation. Waits are fractions of the grace
 * period (and of the typing TTL), so the Redis run (real time, Redis's clock) can use periods
 * long enough to absorb scheduling noise while the memory run uses a fake clock.
 */
export interface PresenceHarness {
  /** The bus the presences publish on. */
  bus: Bus;
  /** A presence (a node) on the shared store and `bus`, with these periods, ready to use. */
  make(periods: { graceMs: number; typingTtlMs: number; typingThrottleMs: number }): Presence | Promise<Presence>;
  graceMs: number;
  typingTtlMs: number;
  typingThrottleMs: number;
  /** Lets `ms` pass on the presence's clock. */
  sleep(ms: number): Promise<void>;
  /** A partition id of this case's own (the Redis run shares a server). */
  partitionId: string;
}

export interface PresenceCase {
  name: string;
  run(h: PresenceHarness & { settle(): Promise<void> }, presence: Presence): Promise<void>;
}

async function statusOf(presence: Presence, partitionId: string, userId: string): Promise<UserPresence | undefined> {
  return (await presence.snapshot(partitionId)).users.find((u) => u.userId === userId);
}

function recorder(presence: Presence, partitionId: string) {
  const signals: PresenceSignal[] = [];
  const off = presence.watch(partitionId, (s) => {
    if (s.type === 'presence' || s.type === 'typing') signals.push(s);
  });
  return {
    signals,
    ready: off.ready,
    statuses: () => signals.flatMap((s) => (s.type === 'presence' ? [`${s.userId}:${s.status}`] : [])),
    stop: off,
  };
}

export const presenceCases: PresenceCase[] = [
  {
    name: 'a connection makes the user online; when it ends they are reconnecting until the grace period ends, then offline with last seen',
    async run(h, presence) {
      const p = h.partitionId;
      expect(await statusOf(presence, p, 'ada')).toBeUndefined();
      const release = presence.connect(p, 'ada');
      expect(await statusOf(presence, p, 'ada')).toEqual({ userId: 'ada', status: 'online', lastSeenAt: null, offlineAt: null });
      release();
      const reconnecting = await statusOf(presence, p, 'ada');
      expect(reconnecting?.status).toBe('reconnecting');
      expect(reconnecting?.offlineAt).toBe(reconnecting!.lastSeenAt! + h.graceMs);
      await h.sleep(h.graceMs * 1.3);
      // Derived from the clock: no sweep has run.
      expect(await statusOf(presence, p, 'ada')).toEqual({ userId: 'ada', status: 'offline', lastSeenAt: reconnecting!.lastSeenAt, offlineAt: null });
    },
  },
  {
    name: 'a user with two connections stays online until both have ended (release is idempotent)',
    async run(h, presence) {
      const p = h.partitionId;
      const first = presence.connect(p, 'ada');
      const second = presence.connect(p, 'ada');
      first();
      first();
      expect((await statusOf(presence, p, 'ada'))?.status).toBe('online');
      second();
      expect((await statusOf(presence, p, 'ada'))?.status).toBe('reconnecting');
    },
  },
  {
    name: 'announces online once, then reconnecting with when they go offline; versions increase',
    async run(h, presence) {
      const p = h.partitionId;
      const rec = recorder(presence, p);
      await rec.ready;
      const a = presence.connect(p, 'ada');
      const b = presence.connect(p, 'ada');
      presence.connect(p, 'bob');
      a();
      b();
      await h.settle();
      expect(rec.statuses()).toEqual(['ada:online', 'bob:online', 'ada:reconnecting']);
      const versions = rec.signals.map((s) => (s.type === 'presence' ? s.version : 0));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(3);
      const last = rec.signals.at(-1)!;
      expect(last.type === 'presence' && last.offlineAt).toBe(last.type === 'presence' && last.lastSeenAt! + h.graceMs);
      expect((await presence.snapshot(p)).version).toBe(versions.at(-1));
      rec.stop();
    },
  },
  {
    name: 'the sweep announces offline once, and only after the grace period',
    async run(h, presence) {
      const p = h.partitionId;
      const rec = recorder(presence, p);
      await rec.ready;
      presence.connect(p, 'ada')();
      expect(await presence.sweep(p)).toEqual([]);
      await h.sleep(h.graceMs * 1.3);
      const swept = await presence.sweep(p);
      expect(swept.map((s) => s.type === 'presence' && s.status)).toEqual(['offline']);
      expect(await presence.sweep(p)).toEqual([]);
      await h.settle();
      expect(rec.statuses()).toEqual(['ada:online', 'ada:reconnecting', 'ada:offline']);
      const offline = rec.signals.at(-1)!;
      expect(offline.type === 'presence' && offline.lastSeenAt).toBeGreaterThan(0);
      rec.stop();
    },
  },
  {
    name: 'coming back within the grace period is online again: never offline',
    async run(h, presence) {
      const p = h.partitionId;
      const rec = recorder(presence, p);
      await rec.ready;
      presence.connect(p, 'ada')();
      await h.sleep(h.graceMs * 0.3);
      presence.connect(p, 'ada');
      await h.sleep(h.graceMs * 1.2);
      expect(await presence.sweep(p)).toEqual([]);
      expect((await statusOf(presence, p, 'ada'))?.status).toBe('online');
      await h.settle();
      expect(rec.statuses()).toEqual(['ada:online', 'ada:reconnecting', 'ada:online']);
      rec.stop();
    },
  },
  {
    name: 'a stop on a node that did not see the typing leaves it to its TTL; the node that saw it ends it',
    async run(h, presence) {
      const p = h.partitionId;
      const other = await h.make({ graceMs: h.graceMs, typingTtlMs: h.typingTtlMs, typingThrottleMs: h.typingThrottleMs });
      const rec = recorder(presence, p);
      await rec.ready;
      await presence.typing(p, 'room1', 'ada');
      await other.stopTyping(p, 'room1', 'ada');
      expect((await presence.snapshot(p)).typing.map((t) => `${t.userId}@${t.roomId}`)).toEqual(['ada@room1']);
      await presence.stopTyping(p, 'room1', 'ada');
      expect((await presence.snapshot(p)).typing).toEqual([]);
      // Once is enough: a second stop has nothing to end.
      await presence.stopTyping(p, 'room1', 'ada');
      await h.settle();
      expect(rec.signals.filter((s) => s.type === 'typing').map((s) => (s.until > s.at ? 'typing' : 'stopped'))).toEqual(['typing', 'stopped']);
      rec.stop();
      await other.close();
    },
  },
  {
    name: 'typing lasts its TTL after the last signal, is published at most once per throttle interval, and a stop is announced',
    async run(h, presence) {
      const p = h.partitionId;
      const rec = recorder(presence, p);
      await rec.ready;
      const first = await presence.typing(p, 'room1', 'ada');
      expect(first.published).toBe(true);
      expect(first.until - first.at).toBe(h.typingTtlMs);
      expect((await presence.typing(p, 'room1', 'ada')).published).toBe(false);
      // Another room, another user: throttled apart.
      expect((await presence.typing(p, 'room2', 'ada')).published).toBe(true);
      expect((await presence.typing(p, 'room1', 'bob')).published).toBe(true);
      const typing = (await presence.snapshot(p)).typing.map((t) => `${t.userId}@${t.roomId}`).sort();
      expect(typing).toEqual(['ada@room1', 'ada@room2', 'bob@room1']);

      await h.sleep(h.typingThrottleMs * 1.2);
      expect((await presence.typing(p, 'room1', 'ada')).published).toBe(true);

      await presence.stopTyping(p, 'room1', 'ada');
      // Stopping someone who is not typing says nothing.
      await presence.stopTyping(p, 'room3', 'ada');
      expect((await presence.snapshot(p)).typing.map((t) => `${t.userId}@${t.roomId}`).sort()).toEqual(['ada@room2', 'bob@room1']);
      // The throttle is cleared by a stop: the next keystroke after a send shows at once.
      expect((await presence.typing(p, 'room1', 'ada')).published).toBe(true);

      await h.sleep(h.typingTtlMs * 1.3);
      expect((await presence.snapshot(p)).typing).toEqual([]);
      await h.settle();
      const typingSignals = rec.signals.filter((s) => s.type === 'typing');
      expect(typingSignals.map((s) => `${s.userId}@${s.roomId}:${s.until > s.at ? 'typing' : 'stopped'}`)).toEqual([
        'ada@room1:typing',
        'ada@room2:typing',
        'bob@room1:typing',
        'ada@room1:typing',
        'ada@room1:stopped',
        'ada@room1:typing',
      ]);
      rec.stop();
    },
  },
  {
    name: 'partitions are independent',
    async run(h, presence) {
      const p = h.partitionId;
      const other = `${p}_other`;
      presence.connect(p, 'ada');
      expect((await presence.snapshot(other)).users).toEqual([]);
      expect((await statusOf(presence, p, 'ada'))?.status).toBe('online');
    },
  },
];

/**
 * Resolves once every signal of the writes made so far has been delivered: a read queued
 * after the writes returns after they have published, then a marker published after those
 * comes back (the bus keeps one publisher's order).
 */
async function settle(bus: Bus, presence: Presence, partitionId: string): Promise<void> {
  await presence.snapshot(partitionId);
  let arrived!: () => void;
  const marker = Math.random().toString(36).slice(2);
  const back = new Promise<void>((resolve) => (arrived = resolve));
  const off = bus.subscribe(presenceChannel(partitionId), (m) => {
    if ((m as { settle?: string }).settle === marker) arrived();
  });
  await off.ready;
  await bus.publish(presenceChannel(partitionId), { type: 'settle', settle: marker });
  await back;
  off();
}

/** Runs case `i` on a fresh presence from the harness; closes it. */
export async function runPresenceCase(h: PresenceHarness, i: number): Promise<void> {
  const presence = await h.make({ graceMs: h.graceMs, typingTtlMs: h.typingTtlMs, typingThrottleMs: h.typingThrottleMs });
  try {
    await presenceCases[i]!.run({ ...h, settle: () => settle(h.bus, presence, h.partitionId) }, presence);
  } finally {
    await presence.close();
  }
}
