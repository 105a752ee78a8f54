import type { Kysely } from 'kysely';
import type { Bus } from '@parley/cluster';
import type { Database, PartitionId } from '@parley/db';
import type { ApiMetrics, Logger } from '../../host.ts';
import { findEventPositions, findLastEventId, listEventsAfter } from './event.repo.ts';
import type { ParleyEvent } from './event.types.ts';
import { markReceived } from './event.wire.ts';

const FILL_PAGE = 500;
/**
 * A gap (n+2 before n+1) is almost always two nodes' publishes crossing on the bus: the
 * missing event follows within a millisecond or so. The feed waits this long for it before
 * reading the log (a lost publish then costs this much more latency; one that arrives costs no
 * query). Measured on the 3-node bench: gap reads were 0.2–0.3 PostgreSQL transactions per
 * message at 100 messages/s.
 */
export const GAP_WAIT_MS = 5;

export const eventChannel = (partitionId: string) => `events:${partitionId}`;

/**
 * What a feed hands its events to: a function, or an object whose `onFeedEvent` is called (a
 * stream's own filter, so that ten thousand idle streams are not ten thousand closures).
 */
export type FeedListener = ((event: ParleyEvent) => void) | { onFeedEvent(event: ParleyEvent): void };

/** What a feed needs from its node. */
export interface FeedDeps {
  db: Kysely<Database>;
  bus: Bus;
  log: Logger;
  /** Log poll interval while the bus cannot be relied on (memory bus shared by nothing, Redis down). */
  pollMs: number;
  /** Log poll interval while the Redis bus is up: only a safety net for a lost publish. */
  safetyPollMs: number;
  /** The `write` and `bus` hops of live events. */
  metrics?: Pick<ApiMetrics, 'eventHop'> | undefined;
}

/**
 * One node's ordered view of one partition's event log. Events arrive from the bus in any
 * order (or not at all); because ids are dense, a gap (n+2 before n+1) is visible and filled
 * from the database, and the node's poll ({@link EventFeeds}) catches anything the bus
 * dropped. Listeners get every event exactly once, in id order. When the bus changes state
 * the feed reads the log at once, so a node catches up as soon as Redis is back.
 */
export class PartitionFeed {
  /** Highest id dispatched; every id up to it has been dispatched. */
  lastId = 0;
  private readonly pending = new Map<number, ParleyEvent>();
  private readonly listeners = new Set<FeedListener>();
  private unsubscribeBus?: () => void;
  private gapTimer?: NodeJS.Timeout;
  private filling?: Promise<void>;
  private refillRequested = false;
  private started = false;
  private closed = false;

  constructor(
    private readonly deps: FeedDeps,
    readonly partitionId: PartitionId,
  ) {}

  async start(): Promise<void> {
    // Subscribe before reading the position, so nothing committed in between is missed; and
    // wait until the bus really delivers the channel (Redis acknowledged SUBSCRIBE).
    const unsubscribe = this.deps.bus.subscribe(eventChannel(this.partitionId), (message) => this.receive(message as ParleyEvent));
    this.unsubscribeBus = unsubscribe;
    await unsubscribe.ready;
    this.lastId = await findLastEventId(this.deps.db, this.partitionId);
    this.started = true;
    this.drain();
    if (this.pending.size > 0) void this.fill();
  }

  /** Hands every event from now on to `listener`, until the returned function (or {@link PartitionFeed.unlisten}) is called. */
  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  unlisten(listener: FeedListener): void {
    this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Events received ahead of a gap, waiting for the missing ids to be read from the log. */
  get backlog(): number {
    return this.pending.size;
  }

  /** Called by the writer on this node right after commit (`local`), and by the bus for other nodes' writes. */
  receive(event: ParleyEvent, local = false): void {
    if (this.closed || event.id <= this.lastId) return;
    const now = Date.now();
    markReceived(event, now);
    const eventHop = this.deps.metrics?.eventHop;
    if (eventHop) eventHop(local ? 'write' : 'bus', Math.max(0, (now - Date.parse(event.at)) / 1000));
    this.pending.set(event.id, event);
    // Before start() has read the position, lastId is not known yet: start() drains.
    if (!this.started) return;
    this.drain();
    this.awaitGap();
  }

  /** Reads the log for a gap that the bus has not closed within {@link GAP_WAIT_MS}. */
  private awaitGap(): void {
    if (this.pending.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      return;
    }
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.pending.size > 0) void this.fill();
    }, GAP_WAIT_MS);
  }

  /** The bus went up or down: read the log now (it may have dropped events). */
  busStateChanged(): void {
    if (!this.started || this.closed) return;
    void this.fill();
  }

  /** The log holds events after {@link PartitionFeed.lastId} (the node's poll saw the partition's position ahead): read them. */
  behind(lastEventId: number): void {
    if (this.started && !this.closed && lastEventId > this.lastId) void this.fill();
  }

  private drain(): void {
    for (;;) {
      const next = this.pending.get(this.lastId + 1);
      if (!next) break;
      this.pending.delete(next.id);
      this.lastId = next.id;
      for (const listener of this.listeners) {
        if (typeof listener === 'function') listener(next);
        else listener.onFeedEvent(next);
      }
    }
    for (const id of this.pending.keys()) if (id <= this.lastId) this.pending.delete(id);
  }

  /** Reads the log after `lastId` (one reader at a time; a request during a read re-runs it). */
  fill(): Promise<void> {
    if (this.filling) {
      this.refillRequested = true;
      return this.filling;
    }
    this.filling = (async () => {
      try {
        do {
          this.refillRequested = false;
          for (;;) {
            const events = await listEventsAfter(this.deps.db, this.partitionId, this.lastId, FILL_PAGE);
            if (this.closed) return;
            for (const e of events) if (e.id > this.lastId) this.pending.set(e.id, e);
            this.drain();
            if (events.length < FILL_PAGE) break;
          }
        } while (this.refillRequested && !this.closed);
      } catch (error) {
        this.deps.log.warn({ err: error, partitionId: this.partitionId }, 'event feed: reading the log failed; will retry');
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }

  close(): void {
    this.closed = true;
    this.unsubscribeBus?.();
    clearTimeout(this.gapTimer);
    this.listeners.clear();
    this.pending.clear();
  }
}

/**
 * The feeds of one node: one per partition with local subscribers, closed when the last leaves.
 *
 * One poll for all of them catches what the bus dropped: one query reads the position of every
 * partition the node follows, and only a feed whose partition is ahead reads its log. It is
 * paced by the bus: every `pollMs` while the bus is down or in-memory (then the poll is how
 * other nodes' events arrive), every `safetyPollMs` while Redis is up. A node following 300
 * workspaces makes one query per interval, not 300.
 */
export class EventFeeds {
  private readonly feeds = new Map<string, { feed: PartitionFeed; ready: Promise<void>; refs: number }>();
  private readonly stopWatchingBus: () => void;
  private pollTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: FeedDeps) {
    this.stopWatchingBus = deps.bus.onStateChange((state) => {
      deps.log.debug({ state, feeds: this.feeds.size }, 'bus state changed: event feeds read the log now');
      for (const { feed } of this.feeds.values()) feed.busStateChanged();
      this.schedulePoll();
    });
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.closed || this.feeds.size === 0) return;
    const ms = this.deps.bus.state === 'up' ? this.deps.safetyPollMs : this.deps.pollMs;
    this.pollTimer = setTimeout(() => void this.poll().finally(() => this.schedulePoll()), ms);
    this.pollTimer.unref();
  }

  /** Reads every followed partition's position; each feed behind it reads its log. */
  private async poll(): Promise<void> {
    const ids = [...this.feeds.keys()];
    if (ids.length === 0) return;
    try {
      const rows = await findEventPositions(this.deps.db, ids);
      for (const row of rows) this.feeds.get(row.id)?.feed.behind(row.last_event_id);
    } catch (error) {
      this.deps.log.warn({ err: error, feeds: ids.length }, 'event feeds: reading the positions failed; will retry');
    }
  }

  async acquire(partitionId: PartitionId): Promise<PartitionFeed> {
    let entry = this.feeds.get(partitionId);
    if (!entry) {
      const feed = new PartitionFeed(this.deps, partitionId);
      entry = { feed, ready: feed.start(), refs: 0 };
      this.feeds.set(partitionId, entry);
      if (!this.pollTimer) this.schedulePoll();
    }
    entry.refs++;
    try {
      await entry.ready;
    } catch (error) {
      this.release(partitionId);
      throw error;
    }
    return entry.feed;
  }

  release(partitionId: string): void {
    const entry = this.feeds.get(partitionId);
    if (!entry) return;
    entry.refs--;
    if (entry.refs <= 0) {
      entry.feed.close();
      this.feeds.delete(partitionId);
    }
  }

  /** A local write: dispatch at once to this node's subscribers (the bus brings it to others). */
  deliverLocal(event: ParleyEvent): void {
    this.feeds.get(event.partitionId)?.feed.receive(event, true);
  }

  get size(): number {
    return this.feeds.size;
  }

  /** Events held back by gaps over all feeds (see {@link PartitionFeed.backlog}); above zero for long, the log reads fail. */
  get backlog(): number {
    let n = 0;
    for (const { feed } of this.feeds.values()) n += feed.backlog;
    return n;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.pollTimer);
    this.stopWatchingBus();
    for (const { feed } of this.feeds.values()) feed.close();
    this.feeds.clear();
  }
}
