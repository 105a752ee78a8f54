import { tracked, type TrackedEnvelope } from '@trpc/server';
import type { PartitionId, User } from '@parley/db';
import { REFUSAL } from '@parley/rules';
import type { AccessChange } from '../../access-cache.ts';
import type { Context } from '../../context.ts';
import { AppError, appErrorOf, toTRPCError } from '../../errors.ts';
import { validateSession } from '../auth/session.ts';
import { blockedIds } from '../block/block.service.ts';
import { findMemberRole, findMembership } from '../partition/partition.service.ts';
import { listUserRoomIds } from '../room/room.service.ts';
import type { PartitionFeed } from './event.feed.ts';
import { EventQueue, type QueueWaiter } from './event.queue.ts';
import { findLastEventId, listEventsAfter } from './event.repo.ts';
import { PERSONAL_EVENT_TYPES, type ParleyEvent } from './event.types.ts';
import { feedReceivedAt } from './event.wire.ts';

const BACKFILL_PAGE = 500;
const MAX_QUEUED = 10_000;
/** How often a live subscription re-checks its session and membership. */
const RECHECK_MS = 60_000;

/** Events about one user's own room membership: they change what the user sees next. */
function isOwnMembership(event: ParleyEvent, userId: string): boolean {
  return (event.type === 'member.joined' || event.type === 'member.left') && event.data.userId === userId;
}

/** A room's own news that the whole workspace sees while the room is public (its listing in "Browse rooms"). */
function isPublicRoomNews(event: ParleyEvent): boolean {
  return (event.type === 'room.created' || event.type === 'room.updated') && event.data.kind === 'public';
}

/** A private room or a direct message created with this user among its first members. */
function isCreatedWith(event: ParleyEvent, userId: string): boolean {
  return event.type === 'room.created' && event.data.kind !== 'public' && Boolean(event.data.memberIds?.includes(userId));
}

/**
 * Someone else's personal event (their "delete for me", their dismissals, how far they read
 * where receipts do not apply): never anyone else's business.
 */
function isOthersPersonal(event: ParleyEvent, userId: string): boolean {
  if (event.type === 'read.updated') return !event.data.receipts && event.data.userId !== userId;
  return PERSONAL_EVENT_TYPES.has(event.type) && (event.data as { userId?: string }).userId !== userId;
}

/** Someone else's read position, for a reader who turned receipts off (they see none). */
function isUnwantedReceipt(event: ParleyEvent, userId: string, receipts: boolean): boolean {
  return !receipts && event.type === 'read.updated' && event.data.userId !== userId;
}

/**
 * A user's rooms as a stream holds them: an array while they are few (a `Set` costs 150 bytes
 * and more even for one room, and an idle stream holds two), a `Set` past {@link FEW_ROOMS}.
 */
type Rooms = string[] | Set<string>;
const FEW_ROOMS = 16;

function roomsOf(ids: readonly string[]): Rooms {
  return ids.length > FEW_ROOMS ? new Set(ids) : [...new Set(ids)];
}

function hasRoom(rooms: Rooms, roomId: string): boolean {
  return Array.isArray(rooms) ? rooms.includes(roomId) : rooms.has(roomId);
}

/** Adds the room; returns the rooms (a `Set` once they are no longer few). */
function addRoom(rooms: Rooms, roomId: string): Rooms {
  if (!Array.isArray(rooms)) return rooms.add(roomId);
  if (rooms.includes(roomId)) return rooms;
  if (rooms.length >= FEW_ROOMS) return new Set([...rooms, roomId]);
  rooms.push(roomId);
  return rooms;
}

function deleteRoom(rooms: Rooms, roomId: string): void {
  if (!Array.isArray(rooms)) {
    rooms.delete(roomId);
    return;
  }
  const i = rooms.indexOf(roomId);
  if (i >= 0) rooms.splice(i, 1);
}

/**
 * Which events one user may see: workspace-wide ones (but others' personal ones), the news of
 * public rooms, and everything of the rooms they are in. A private room or a direct message is
 * invisible to everyone else, its creation included: its `room.created` names its first members
 * (`memberIds`), and for them it opens the room like their own `member.joined` does.
 */
export class Visibility {
  private rooms: Rooms;

  constructor(
    private readonly userId: string,
    rooms: Iterable<string>,
    /** The reader's receipts setting (as their session read it): off, they get no one else's `read.updated`. */
    private readonly receipts = true,
  ) {
    this.rooms = roomsOf([...rooms]);
  }

  /** Applies membership changes carried by the event, then decides. */
  admit(event: ParleyEvent): boolean {
    if (isCreatedWith(event, this.userId) || (event.type === 'member.joined' && event.data.userId === this.userId)) {
      this.rooms = addRoom(this.rooms, event.roomId!);
    }
    if (event.type === 'member.left' && event.data.userId === this.userId) {
      deleteRoom(this.rooms, event.data.roomId);
      return true;
    }
    if (isOthersPersonal(event, this.userId) || isUnwantedReceipt(event, this.userId, this.receipts)) return false;
    if (event.roomId === null || isPublicRoomNews(event)) return true;
    return hasRoom(this.rooms, event.roomId);
  }
}

/**
 * The feed-side pre-filter of one stream, and its inbox: the feed hands it every event of the
 * workspace, and it queues those the stream may need; the access cache tells it of changes of
 * the user's access. (It is the listener itself, not a closure around it.) Most events of a
 * workspace are messages of rooms this user is not in, and waking the stream for each of them
 * was most of a node's CPU under load (see docs/benchmarks.md): the filter drops those at the
 * feed, before the queue.
 *
 * It must never drop what {@link Visibility} would admit, so it keeps a superset of the
 * user's rooms: unknown (pass everything) until the stream has read them, then those rooms
 * plus every room the user joins afterwards (a room left stays in: the stream decides).
 * Joins committed after that read reach the feed after it, in id order, so the set is ahead
 * of the stream's own view for every event it filters.
 */
class FeedFilter {
  /** Highest id the feed has handed over, admitted or dropped: every id up to it is accounted for. */
  seen = 0;
  /** The user blocked or unblocked someone (on any node): the stream re-reads whom they block. */
  blocksChanged = false;
  private rooms: Rooms | null = null;

  constructor(
    private readonly userId: string,
    private readonly queue: EventQueue<ParleyEvent>,
  ) {}

  known(rooms: readonly string[]): void {
    this.rooms = roomsOf(rooms);
  }

  /** From the feed. */
  onFeedEvent(event: ParleyEvent): void {
    if (this.admit(event)) this.queue.push(event);
  }

  /**
   * From the access cache: a session or membership of this user ended somewhere in the
   * cluster, re-check at once, not at the next tick.
   */
  onAccessChange(change: AccessChange): void {
    if (change.kind === 'blocks') this.blocksChanged = true;
    this.queue.tick();
  }

  admit(event: ParleyEvent): boolean {
    this.seen = event.id;
    if (isOthersPersonal(event, this.userId)) return false;
    if (!this.rooms || event.roomId === null || isPublicRoomNews(event)) return true;
    if (isOwnMembership(event, this.userId) || isCreatedWith(event, this.userId)) {
      if (event.type !== 'member.left') this.rooms = addRoom(this.rooms, event.roomId);
      return true;
    }
    return hasRoom(this.rooms, event.roomId);
  }
}

/** Whom a reader blocks when they block no one (most readers): one set for all of them. */
const NO_ONE: ReadonlySet<string> = new Set();

/** A message by someone the reader blocked goes out marked, for the client to collapse. */
function markBlocked(event: ParleyEvent, blocked: ReadonlySet<string>): ParleyEvent {
  return event.type === 'message.created' && blocked.has(event.data.authorId) ? { ...event, data: { ...event.data, authorBlocked: true } } : event;
}

const nonEmptyOr = <T>(set: ReadonlySet<T>, empty: ReadonlySet<T>): ReadonlySet<T> => (set.size > 0 ? set : empty);

type Envelope = TrackedEnvelope<ParleyEvent>;
type Result = IteratorResult<Envelope, undefined>;
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** What {@link EventStream.step} returns when there is nothing to do until the queue is ready. */
const IDLE = Symbol('idle');

/**
 * The durable event stream of one partition for one user: attach to the live feed first,
 * replay `id > lastEventId` from the log, then stream live, skipping what was already sent.
 *
 * Every id above the feed's position at attach time reaches the listener, in order (the feed
 * dispatches densely), so a gap in the queue above it is an event the filter dropped, never
 * one to fetch; only below it does a gap mean "read the log".
 *
 * Errors come out as TRPCErrors (errors thrown while streaming bypass tRPC's middleware), so
 * a router hands the stream itself to tRPC.
 */
export function streamEvents(
  ctx: Context & { user: User },
  partitionId: PartitionId,
  lastEventId: number | null,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<Envelope, undefined> {
  // What the stream keeps of the request's context for as long as it runs: these eight, not
  // the 17 properties of a procedure's context (330 bytes per idle subscription).
  const kept: StreamContext = {
    db: ctx.db,
    config: ctx.config,
    access: ctx.access,
    feeds: ctx.feeds,
    presence: ctx.presence,
    metrics: ctx.metrics,
    req: ctx.req,
    user: ctx.user,
  };
  return new EventStream(kept, partitionId, lastEventId, signal);
}

/** What a stream (and its access re-checks) use of a request's context. */
type StreamContext = Pick<Context, 'db' | 'config' | 'access' | 'feeds' | 'presence' | 'metrics' | 'req'> & { user: User };

/**
 * {@link streamEvents} as an async iterator written out, not an async generator: most of a
 * node's memory per connection is its idle subscriptions, and an idle generator keeps its
 * whole frame and a chain of promises waiting on its queue (about 1 KB). An idle stream is
 * this object, its queue (which calls {@link EventStream.queueReady} when it has something)
 * and the consumer's pending `next()`; each `next()` runs {@link EventStream.step} until it has
 * an event to hand over, the stream ends, or there is nothing to do until the queue is ready.
 * A read of the log (a replay) is an async generator while it runs.
 */
class EventStream implements AsyncIterableIterator<Envelope, undefined>, QueueWaiter {
  private feed: PartitionFeed | undefined;
  private queue: EventQueue<ParleyEvent> | undefined;
  private filter: FeedFilter | undefined;
  private disconnect: (() => void) | undefined;
  private visibility: Visibility | undefined;
  /** Whom the user blocks: their messages go out marked. */
  private blocked: ReadonlySet<string> = NO_ONE;
  /** Every event up to this id has been sent or judged not for this user. */
  private last = 0;
  /** The feed's position when the stream attached: below it a gap is an event to read from the log. */
  private attachedAt = 0;
  /** A read of the log under way, and what comes after it: the live event that showed the gap, or the error to end with. */
  private replay: AsyncGenerator<Envelope, void> | undefined;
  private afterReplay: ParleyEvent | { error: unknown } | undefined;
  /** The user's own `partition.left` has gone out: their membership is checked before anything else. */
  private checkMembership = false;
  private opened = false;
  private closed = false;
  /** The consumer's `next()` being answered. */
  private pending: Promise<Result> | undefined;
  private resolveNext: ((result: Result) => void) | undefined;
  private rejectNext: ((error: unknown) => void) | undefined;

  constructor(
    private readonly ctx: StreamContext,
    private readonly partitionId: PartitionId,
    private readonly lastEventId: number | null,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Result> {
    // One at a time, as an async generator answers them.
    if (this.pending) return this.pending.then(() => this.next());
    const pending = new Promise<Result>((resolve, reject) => {
      this.resolveNext = resolve;
      this.rejectNext = reject;
    });
    this.pending = pending;
    this.advance();
    return pending;
  }

  /** The consumer is done with the stream: it lets go of everything (a `next()` still waiting gets the end). */
  return(): Promise<Result> {
    this.close();
    this.settle(DONE);
    return Promise.resolve(DONE);
  }

  /** From the queue: it has something (or the stream stopped). */
  queueReady(): void {
    if (this.resolveNext) this.advance();
  }

  private advance(): void {
    this.step().then(
      (result) => this.stepped(result),
      (error: unknown) => this.fail(error),
    );
  }

  private stepped(result: Result | typeof IDLE): void {
    try {
      // Nothing to do until the queue is ready: no promise and no suspended function meanwhile.
      if (result === IDLE) {
        this.queue!.whenReady(this);
        return;
      }
      if (result.done) this.close();
      this.settle(result);
    } catch (error) {
      this.fail(error);
    }
  }

  /** The stream ends with an error (after letting go of everything, as a generator's `finally` would). */
  private fail(error: unknown): void {
    try {
      this.close();
    } catch (closing) {
      error = closing;
    }
    const reject = this.rejectNext;
    this.pending = this.resolveNext = this.rejectNext = undefined;
    reject?.(toTRPCError(error) ?? error);
  }

  private settle(result: Result): void {
    const resolve = this.resolveNext;
    this.pending = this.resolveNext = this.rejectNext = undefined;
    resolve?.(result);
  }

  /** Runs the stream until it has an event for the consumer, it is over, or it has nothing to do until the queue is ready. */
  private async step(): Promise<Result | typeof IDLE> {
    const { ctx, partitionId, signal } = this;
    if (this.closed) return DONE;
    if (!this.opened) await this.open();
    if (this.checkMembership) {
      this.checkMembership = false;
      await assertStillMember(ctx, partitionId);
    }
    for (;;) {
      if (this.closed) return DONE;
      if (this.replay) {
        const replayed = await this.replay.next();
        if (!replayed.done) return replayed;
        const after = this.afterReplay;
        this.replay = this.afterReplay = undefined;
        if (after && 'error' in after) throw after.error;
        if (after) {
          const delivered = await this.deliver(after);
          if (delivered) return delivered;
        }
        continue;
      }
      if (signal?.aborted) return DONE;
      const queue = this.queue!;
      const filter = this.filter!;
      if (queue.overflowed) {
        // Past its bound the queue dropped what it held: read it back from the log.
        queue.overflowed = false;
        this.startReplay(this.feed!.lastId);
        continue;
      }
      if (filter.blocksChanged) {
        filter.blocksChanged = false;
        this.blocked = nonEmptyOr(await blockedIds(ctx, ctx.user.id), NO_ONE);
      }
      const event = queue.shift();
      if (event) {
        if (event.id <= this.last) continue;
        if (event.id > this.last + 1 && this.last < this.attachedAt) {
          this.startReplay(Math.min(event.id - 1, this.attachedAt), event);
          continue;
        }
        const delivered = await this.deliver(event);
        if (delivered) return delivered;
        continue;
      }
      // Nothing queued: whatever the feed handed over since was dropped by the filter.
      if (this.last >= this.attachedAt && filter.seen > this.last) this.last = filter.seen;
      if (queue.takeTick()) {
        try {
          await recheckAccess(ctx, partitionId);
        } catch (error) {
          // Out of the workspace: the news of it (the rooms' `member.left`, `partition.left`)
          // can reach this node's feed after the access change that woke the stream, so it
          // comes from the log first.
          if (appErrorOf(error)?.code !== 'FORBIDDEN') throw error;
          this.startReplay(await findLastEventId(ctx.db, partitionId), { error });
          continue;
        }
      }
      if (!queue.ready) return IDLE;
    }
  }

  /** Attaches to the feed (first, so nothing committed meanwhile is missed), then reads the user's rooms and whom they block. */
  private async open(): Promise<void> {
    const { ctx, partitionId } = this;
    this.opened = true;
    const feed = await ctx.feeds.acquire(partitionId);
    if (this.closed) {
      ctx.feeds.release(partitionId);
      return;
    }
    this.feed = feed;
    const queue = (this.queue = new EventQueue<ParleyEvent>(MAX_QUEUED, { signal: this.signal, tickMs: RECHECK_MS }));
    const filter = (this.filter = new FeedFilter(ctx.user.id, queue));
    feed.listen(filter);
    this.attachedAt = feed.lastId;
    // Access changes of this user wake the stream (a session or membership ended, blocks changed).
    ctx.access.watch(ctx.user.id, filter);
    // An open event stream is a connection: the user is online in the partition while it lasts.
    this.disconnect = ctx.presence.connect(partitionId, ctx.user.id);
    const rooms = await listUserRoomIds(ctx.db, partitionId, ctx.user.id);
    filter.known(rooms);
    this.visibility = new Visibility(ctx.user.id, rooms, ctx.user.receipts_enabled !== false);
    this.last = this.lastEventId ?? feed.lastId;
    this.blocked = nonEmptyOr(await blockedIds(ctx, ctx.user.id), NO_ONE);
    this.startReplay(feed.lastId);
  }

  /** Lets go of the feed, the queue, the watch and the presence (once). */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const replay = this.replay;
    this.replay = this.afterReplay = undefined;
    replay?.return(undefined).catch(() => {});
    const { ctx, partitionId, feed, queue, filter } = this;
    if (!feed || !queue || !filter) return;
    queue.close();
    ctx.access.unwatch(ctx.user.id, filter);
    this.disconnect?.();
    feed.unlisten(filter);
    ctx.feeds.release(partitionId);
  }

  private startReplay(upTo: number, after?: ParleyEvent | { error: unknown }): void {
    this.replay = this.replayUpTo(upTo);
    this.afterReplay = after;
  }

  /** Reads the log after `last` up to `upTo` and yields what the user may see. */
  private async *replayUpTo(upTo: number): AsyncGenerator<Envelope, void> {
    const { ctx, partitionId, signal } = this;
    // Over a WebSocket: wait until the client has read what it was sent.
    const drained = ctx.req.drained;
    while (this.last < upTo && !signal?.aborted) {
      const page = await listEventsAfter(ctx.db, partitionId, this.last, BACKFILL_PAGE, upTo);
      if (page.length === 0) break;
      for (const event of page) {
        this.last = event.id;
        if (this.visibility!.admit(event)) {
          if (drained) await drained();
          ctx.metrics?.eventDelivered(event, false);
          yield tracked(String(event.id), markBlocked(event, this.blocked));
        }
      }
    }
  }

  /** A live event, next in order: the stream moves past it, and it goes out if the user may see it. */
  private async deliver(event: ParleyEvent): Promise<IteratorYieldResult<Envelope> | undefined> {
    const { ctx } = this;
    this.last = event.id;
    // Removed (or left): the stream ends right after telling them, whichever node it is on.
    const ownLeave = event.type === 'partition.left' && event.data.userId === ctx.user.id;
    if (this.visibility!.admit(event)) {
      // Over a WebSocket: wait until the client has read what it was sent. Meanwhile live events
      // wait in the bounded queue; past its bound they are dropped and read back from the log.
      const drained = ctx.req.drained;
      if (drained) await drained();
      ctx.metrics?.eventDelivered(event, true);
      const received = feedReceivedAt(event);
      if (received !== undefined) ctx.metrics?.eventHop?.('stream', (Date.now() - received) / 1000);
      this.checkMembership = ownLeave;
      return { done: false, value: tracked(String(event.id), markBlocked(event, this.blocked)) };
    }
    if (ownLeave) await assertStillMember(ctx, this.partitionId);
    return undefined;
  }
}

/**
 * After the user's own `partition.left`: asks the database (not the access cache, which may
 * not have heard of it yet on this node), so a stream of someone who joined again goes on.
 */
async function assertStillMember(ctx: Pick<Context, 'db'> & { user: User }, partitionId: PartitionId): Promise<void> {
  if (!(await findMembership(ctx.db, partitionId, ctx.user.id))) throw new AppError('FORBIDDEN', NO_LONGER_MEMBER);
}

export const NO_LONGER_MEMBER = REFUSAL.noLongerMember;

/**
 * Ends a live stream whose session expired or whose user left the partition. Runs every
 * `RECHECK_MS`, and at once when the access cache reports a change of the user's access.
 */
export async function recheckAccess(ctx: Pick<Context, 'db' | 'config' | 'access' | 'req'> & { user: User }, partitionId: PartitionId): Promise<void> {
  const session = ctx.req.token ? await validateSession(ctx, ctx.req.token) : null;
  if (!session) throw new AppError('UNAUTHORIZED', 'Your session has ended; please sign in again.');
  if (!(await findMemberRole(ctx, partitionId, ctx.user.id))) {
    throw new AppError('FORBIDDEN', NO_LONGER_MEMBER);
  }
}
