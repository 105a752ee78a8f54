import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createMemoryPresence, createMemoryRateLimiter, type Bus, type BusState } from '@parley/cluster';
import { anonymousRequest, createApiDeps, createCaller, createContext, type ApiDeps } from '../../index.ts';
import { createTestApi, createTestWorkspace, relaxedRateLimits, silentLogger, type TestApi, type TestWorkspace } from '../../testing.ts';
import { newClientId, take, untrack } from '../../test-util.ts';
import { GAP_WAIT_MS } from './event.feed.ts';
import type { ParleyEvent } from './event.types.ts';

/** A Redis bus as another node sees it when every publish is lost: state only, no delivery. */
function silentBus(): Bus & { set(state: BusState): void } {
  let state: BusState = 'up';
  const listeners = new Set<(s: BusState) => void>();
  return {
    get state() {
      return state;
    },
    async publish() {},
    subscribe: () => Object.assign(() => {}, { ready: Promise.resolve() }),
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {},
    set(next) {
      state = next;
      for (const l of listeners) l(next);
    },
  };
}

/** Another node on the same database (`db`: as it is, or watched), with its own bus; its safety poll never comes within a test. */
function otherNode(api: TestApi, db: ApiDeps['db'], bus: Bus, pollMs: number): ApiDeps {
  return createApiDeps({
    db,
    dbDriver: api.deps.dbDriver,
    bus,
    limiter: createMemoryRateLimiter(),
    presence: createMemoryPresence(),
    log: silentLogger,
    config: { eventPollMs: pollMs, eventSafetyPollMs: 60_000, rateLimits: relaxedRateLimits },
  });
}

/**
 * Node A writes (the test API); node B shares its database but hears nothing on its bus, so
 * B's subscriber only sees A's messages through B's reads of the event log.
 */
describe('event feed paced by the bus', () => {
  let api: TestApi;
  let ws: TestWorkspace;
  let nodeB: ApiDeps;
  const bus = silentBus();
  const POLL_MS = 1_500;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await createTestWorkspace(api, 'feedbus', 'ann');
    nodeB = otherNode(api, api.deps.db, bus, POLL_MS);
  });
  afterAll(async () => {
    nodeB.feeds.close();
    await api.close();
  });

  test('while the bus is up only the slow safety poll runs; a state change reads the log at once', async () => {
    const onB = createCaller(createContext(nodeB, anonymousRequest({ token: ws.owner.token, tokenSource: 'bearer' })));
    const it = (await onB.event.onEvent({ partitionId: 'feedbus' }))[Symbol.asyncIterator]();
    const next = async (withinMs: number) => {
      const r = await take({ [Symbol.asyncIterator]: () => ({ next: () => it.next() }) }, 1, withinMs);
      return untrack<ParleyEvent>(r[0]).data;
    };
    const send = (body: string) => ws.owner.caller.message.send({ partitionId: 'feedbus', roomId: ws.general, clientId: newClientId(), body });
    try {
      // Start the stream (generators are lazy) and let it attach to B's feed before A writes.
      let first: ParleyEvent | undefined;
      const pending = next(POLL_MS + 3_000).then((e) => (first = e));
      await new Promise((r) => setTimeout(r, 200));
      await send('lost on the bus');
      // Up: B's feed trusts the bus and waits for its 60 s safety poll, not the 1.5 s one...
      await new Promise((r) => setTimeout(r, POLL_MS + 300));
      expect(first).toBeUndefined();
      // ...until the bus goes down: B reads the log right away.
      const wentDownAt = Date.now();
      bus.set('down');
      await pending;
      expect(first).toMatchObject({ type: 'message.created', data: { body: 'lost on the bus' } });
      expect(Date.now() - wentDownAt).toBeLessThan(POLL_MS / 2);

      // Down: the fast poll brings what A sends.
      await send('while down');
      expect(await next(POLL_MS + 1_000)).toMatchObject({ data: { body: 'while down' } });

      // Back up: one immediate read catches up on what the bus missed meanwhile.
      await send('sent just before the bus came back');
      const cameBackAt = Date.now();
      bus.set('up');
      expect(await next(POLL_MS)).toMatchObject({ data: { body: 'sent just before the bus came back' } });
      expect(Date.now() - cameBackAt).toBeLessThan(POLL_MS / 2);
    } finally {
      // Not awaited: a stream ends at its next wake-up, not at once.
      void it.return?.();
    }
  });
});

/** The bus delivers two nodes' events out of order; the feed waits a moment for the missing one before asking the log. */
describe('a gap in the feed', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
    await createTestWorkspace(api, 'feedgap', 'ann');
  });
  afterAll(() => api.close());

  const fake = (id: number): ParleyEvent =>
    ({
      id,
      partitionId: 'feedgap',
      roomId: null,
      at: new Date().toISOString(),
      actorId: null,
      type: 'partition.renamed',
      data: { name: `n${id}` },
    }) as unknown as ParleyEvent;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('closed by the bus within GAP_WAIT_MS: no log read, both dispatched in order; left open: the log is read', async () => {
    const feed = await api.deps.feeds.acquire('feedgap' as never);
    try {
      const seen: number[] = [];
      feed.listen((e) => seen.push(e.id));
      const reads = vi.spyOn(feed, 'fill');
      const base = feed.lastId;

      feed.receive(fake(base + 2));
      feed.receive(fake(base + 1));
      await sleep(GAP_WAIT_MS * 4);
      expect(seen).toEqual([base + 1, base + 2]);
      expect(reads).not.toHaveBeenCalled();

      feed.receive(fake(base + 4));
      expect(reads).not.toHaveBeenCalled();
      await sleep(GAP_WAIT_MS * 4);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(seen).toEqual([base + 1, base + 2]);
    } finally {
      api.deps.feeds.release('feedgap');
    }
  });
});

/** Many workspaces on one node: one position query per poll for all of them; only a feed that is behind reads its log. */
describe('the node-wide poll', () => {
  let api: TestApi;
  let nodeB: ApiDeps;
  const bus = silentBus();
  const POLL_MS = 300;
  const ids = ['pollall1', 'pollall2', 'pollall3'] as const;
  const queried: string[] = [];
  let moving: TestWorkspace;

  beforeAll(async () => {
    api = await createTestApi();
    for (const id of ids) {
      const ws = await createTestWorkspace(api, id, `own-${id}`);
      if (id === ids[1]) moving = ws;
    }
    bus.set('down');
    // Node B's database: the same one, recording the table each of its reads is from.
    const db = api.deps.db.withPlugin({
      transformQuery(args) {
        const from = (args.node as { from?: { froms?: { table?: { identifier?: { name?: string } } }[] } }).from;
        const table = from?.froms?.[0]?.table?.identifier?.name;
        if (table) queried.push(table);
        return args.node;
      },
      async transformResult(args) {
        return args.result;
      },
    });
    nodeB = otherNode(api, db, bus, POLL_MS);
  });
  afterAll(async () => {
    nodeB.feeds.close();
    await api.close();
  });

  test('three workspaces followed: one query of their positions per poll, and a log read only for the one that moved', async () => {
    const feeds = await Promise.all(ids.map((id) => nodeB.feeds.acquire(id as never)));
    try {
      const seen: string[] = [];
      for (const feed of feeds) feed.listen((e) => seen.push(`${e.partitionId}:${e.type}`));
      await new Promise((r) => setTimeout(r, POLL_MS * 2));
      queried.length = 0;
      await moving.owner.caller.message.send({ partitionId: ids[1], roomId: moving.general, clientId: newClientId(), body: 'moved' });
      await new Promise((r) => setTimeout(r, POLL_MS * 3 + 100));
      expect(seen).toContain(`${ids[1]}:message.created`);
      const positionReads = queried.filter((t) => t === 'partitions').length;
      // About one per poll over ~3 polls (never one per workspace per poll: that would be ~9).
      expect(positionReads).toBeGreaterThanOrEqual(2);
      expect(positionReads).toBeLessThanOrEqual(4);
      // Only the workspace that moved read its log.
      expect(queried.filter((t) => t.startsWith('events_'))).toEqual([`events_${ids[1]}`]);
    } finally {
      for (const id of ids) nodeB.feeds.release(id);
    }
  });
});
