import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createMemoryBus } from './bus.ts';
import { createMemoryPresence, createPresenceSweepJob, derivePresence, PRESENCE_GRACE_MS, type Presence } from './presence.ts';
import { presenceCases, runPresenceCase } from './presence.cases.ts';

describe('derivePresence', () => {
  const grace = 60_000;
  test('connected is online, whatever was seen before', () => {
    expect(derivePresence({ userId: 'u', connected: true, lastSeenAt: 5 }, 10, grace)).toEqual({
      userId: 'u',
      status: 'online',
      lastSeenAt: null,
      offlineAt: null,
    });
  });

  test('reconnecting until exactly lastSeenAt + grace, then offline with the same last seen', () => {
    const seen = 1_000_000;
    expect(derivePresence({ userId: 'u', connected: false, lastSeenAt: seen }, seen + grace - 1, grace)).toEqual({
      userId: 'u',
      status: 'reconnecting',
      lastSeenAt: seen,
      offlineAt: seen + grace,
    });
    expect(derivePresence({ userId: 'u', connected: false, lastSeenAt: seen }, seen + grace, grace)).toEqual({
      userId: 'u',
      status: 'offline',
      lastSeenAt: seen,
      offlineAt: null,
    });
  });

  test('never seen is offline with no last seen', () => {
    expect(derivePresence({ userId: 'u', connected: false, lastSeenAt: null }, 10, grace)).toMatchObject({ status: 'offline', lastSeenAt: null });
  });
});

describe('memory presence', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bus = createMemoryBus();
  for (const [i, c] of presenceCases.entries()) {
    test(c.name, () =>
      runPresenceCase(
        {
          bus,
          make: (periods) => createMemoryPresence({ bus, ...periods }),
          graceMs: 60_000,
          typingTtlMs: 5_000,
          typingThrottleMs: 2_000,
          sleep: async (ms) => {
            await vi.advanceTimersByTimeAsync(ms);
          },
          partitionId: `case${i}`,
        },
        i,
      ),
    );
  }

  test('the grace period is 60 s unless configured, and exact to the millisecond on an injected clock', async () => {
    let now = 1_000_000;
    const presence = createMemoryPresence({ now: () => now });
    expect(presence.graceMs).toBe(PRESENCE_GRACE_MS);
    presence.connect('acme', 'ada')();
    now += PRESENCE_GRACE_MS - 1;
    expect((await presence.snapshot('acme')).users[0]).toMatchObject({ status: 'reconnecting', lastSeenAt: 1_000_000, offlineAt: 1_060_000 });
    expect(await presence.sweep('acme')).toEqual([]);
    now += 1;
    expect((await presence.snapshot('acme')).users[0]).toMatchObject({ status: 'offline', lastSeenAt: 1_000_000 });
    expect(await presence.sweep('acme')).toMatchObject([{ type: 'presence', userId: 'ada', status: 'offline', lastSeenAt: 1_000_000 }]);
    await presence.close();
  });

  test('signals reach watchers of the partition only, through the bus', async () => {
    const presence = createMemoryPresence();
    const got: string[] = [];
    const off = presence.watch('acme', (s) => got.push(`${s.type}:${s.userId}`));
    presence.watch('other', (s) => got.push(`other:${s.userId}`));
    presence.connect('acme', 'ada');
    await presence.typing('acme', 'r1', 'ada');
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual(['presence:ada', 'typing:ada']);
    off();
    presence.connect('acme', 'bob');
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toHaveLength(2);
    await presence.close();
  });
});

describe('the presence-sweep job', () => {
  test('is a partition-scoped job that sweeps the partition it is given, unless already aborted', async () => {
    const swept: string[] = [];
    const presence: Pick<Presence, 'sweep'> = {
      sweep: async (partitionId) => {
        swept.push(partitionId);
        return [];
      },
    };
    const job = createPresenceSweepJob(presence);
    expect(job).toMatchObject({ name: 'presence-sweep', scope: 'partition' });
    expect(job.intervalMs).toBeGreaterThanOrEqual(2_000);
    expect(job.intervalMs).toBeLessThanOrEqual(5_000);
    await job.run('acme', new AbortController().signal);
    await job.run('beta', AbortSignal.abort());
    expect(swept).toEqual(['acme']);
  });
});
