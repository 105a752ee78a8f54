import { tracked } from '@trpc/server';
import type { PartitionId, User } from '@parley/db';
import { REFUSAL } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError, appErrorOf } from '../../errors.ts';
import { validateSession } from '../auth/session.ts';
import { blockedIds } from '../block/block.service.ts';
import { findMemberRole, findMembership } from '../partition/partition.service.ts';
import { listUserRoomIds } from '../room/room.service.ts';
import { EventQueue } from './event.queue.ts';
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

/** Someone else's personal event (their "delete for me", their dismissals): never anyone else's business. */
function isOthersPersonal(event: ParleyEvent, userId: string): boolean {
  return PERSONAL_EVENT_TYPES.has(event.type) && (event.data as { userId?: string }).userId !== userId;
}

/**
 * Which events one user may see: workspace-wide ones (but others' personal ones), the news of
 * public rooms, and everything of the rooms they are in. A private room or a direct message is
 * invisible to everyone else, its creation included: its `room.created` names its first members
 * (`memberIds`), and for them it opens the room like their own `member.joined` does.
 */
export class Visibility {
  constructor(
    private readonly userId: string,
    private readonly rooms: Set<string>,
  ) {}

  /** Applies membership changes carried by the event, then decides. */
  admit(event: ParleyEvent): boolean {
    if (isCreatedWith(event, this.userId) || (event.type === 'member.joined' && event.data.userId === this.userId)) this.rooms.add(event.roomId!);
    if (event.type === 'member.left' && event.data.userId === this.userId) {
      this.rooms.delete(event.data.roomId);
      return true;
    }
    if (isOthersPersonal(event, this.userId)) return false;
    if (event.roomId === null || isPublicRoomNews(event)) return true;
    return this.rooms.has(event.roomId);
  }
}

/**
 * The feed-side pre-filter of one stream. A workspace's feed hands every event to every
 * stream of the workspace; most are messages of rooms this user is not in, and waking the
 * stream for each of them was most of a node's CPU under load (see docs/benchmarks.md). The
 * filter drops those at the feed, before the queue.
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
  private rooms: Set<string> | null = null;

  constructor(private readonly userId: string) {}

  known(rooms: Iterable<string>): void {
    this.rooms = new Set(rooms);
  }

  admit(event: ParleyEvent): boolean {
    this.seen = event.id;
    if (isOthersPersonal(event, this.userId)) return false;
    if (!this.rooms || event.roomId === null || isPublicRoomNews(event)) return true;
    if (isOwnMembership(event, this.userId) || isCreatedWith(event, this.userId)) {
      if (event.type !== 'member.left') this.rooms.add(event.roomId);
      return true;
    }
    return this.rooms.has(event.roomId);
  }
}

interface StreamOptions {
  partitionId: PartitionId;
  lastEventId: number | null;
  signal: AbortSignal | undefined;
}

/**
 * The durable event stream of one partition for one user: attach to the live feed first,
 * replay `id > lastEventId` from the log, then stream live, skipping what was already sent.
 *
 * Every id above the feed's position at attach time reaches the listener, in order (the feed
 * dispatches densely), so a gap in the queue above it is an event the filter dropped, never
 * one to fetch; only below it does a gap mean "read the log".
 */
export async function* streamEvents(ctx: Context & { user: User }, opts: StreamOptions) {
  const { partitionId, signal } = opts;
  const feed = await ctx.feeds.acquire(partitionId);
  const queue = new EventQueue<ParleyEvent>(MAX_QUEUED, { signal, tickMs: RECHECK_MS });
  const filter = new FeedFilter(ctx.user.id);
  const stopListening = feed.listen((event) => {
    if (filter.admit(event)) queue.push(event);
  });
  const attachedAt = feed.lastId;
  // A session or membership of this user ended somewhere in the cluster: re-check at once, not at the next tick.
  // Blocking someone (on any node) changes how their messages reach this stream from then on.
  let blocksChanged = false;
  const stopWatchingAccess = ctx.access.watch(ctx.user.id, (change) => {
    if (change.kind === 'blocks') blocksChanged = true;
    queue.tick();
  });
  // An open event stream is a connection: the user is online in the partition while it lasts.
  const disconnect = ctx.presence.connect(partitionId, ctx.user.id);
  try {
    const rooms = await listUserRoomIds(ctx.db, partitionId, ctx.user.id);
    filter.known(rooms);
    const visibility = new Visibility(ctx.user.id, new Set(rooms));
    let blocked = await blockedIds(ctx, ctx.user.id);
    /** A message by someone the reader blocked goes out marked, for the client to collapse. */
    const mark = (event: ParleyEvent): ParleyEvent => {
      return event.type === 'message.created' && blocked.has(event.data.authorId) ? { ...event, data: { ...event.data, authorBlocked: true } } : event;
    };
    let last = opts.lastEventId ?? feed.lastId;
    // Over a WebSocket: wait until the client has read what it was sent. Meanwhile live events
    // wait in the bounded queue; past its bound they are dropped and read back from the log.
    const drained = ctx.req.drained;

    const replayUpTo = async function* (upTo: number) {
      while (last < upTo && !signal?.aborted) {
        const page = await listEventsAfter(ctx.db, partitionId, last, BACKFILL_PAGE, upTo);
        if (page.length === 0) break;
        for (const event of page) {
          last = event.id;
          if (visibility.admit(event)) {
            if (drained) await drained();
            ctx.metrics?.eventDelivered(event, false);
            yield tracked(String(event.id), mark(event));
          }
        }
      }
    };

    yield* replayUpTo(feed.lastId);
    while (!signal?.aborted) {
      if (queue.overflowed) {
        queue.overflowed = false;
        yield* replayUpTo(feed.lastId);
      }
      if (blocksChanged) {
        blocksChanged = false;
        blocked = await blockedIds(ctx, ctx.user.id);
      }
      const event = queue.shift();
      if (event) {
        if (event.id <= last) continue;
        if (event.id > last + 1 && last < attachedAt) yield* replayUpTo(Math.min(event.id - 1, attachedAt));
        last = event.id;
        if (visibility.admit(event)) {
          if (drained) await drained();
          ctx.metrics?.eventDelivered(event, true);
          const received = feedReceivedAt(event);
          if (received !== undefined) ctx.metrics?.eventHop?.('stream', (Date.now() - received) / 1000);
          yield tracked(String(event.id), mark(event));
        }
        // Removed (or left): the stream ends right after telling them, whichever node it is on.
        if (event.type === 'partition.left' && event.data.userId === ctx.user.id) await assertStillMember(ctx, partitionId);
        continue;
      }
      // Nothing queued: whatever the feed handed over since was dropped by the filter.
      if (last >= attachedAt && filter.seen > last) last = filter.seen;
      if (queue.takeTick()) {
        try {
          await recheckAccess(ctx, partitionId);
        } catch (error) {
          // Out of the workspace: the news of it (the rooms' `member.left`, `partition.left`)
          // can reach this node's feed after the access change that woke the stream, so it
          // comes from the log first.
          if (appErrorOf(error)?.code === 'FORBIDDEN') yield* replayUpTo(await findLastEventId(ctx.db, partitionId));
          throw error;
        }
      }
      await queue.wait();
    }
  } finally {
    queue.close();
    stopWatchingAccess();
    disconnect();
    stopListening();
    ctx.feeds.release(partitionId);
  }
}

/**
 * After the user's own `partition.left`: asks the database (not the access cache, which may
 * not have heard of it yet on this node), so a stream of someone who joined again goes on.
 */
async function assertStillMember(ctx: Context & { user: User }, partitionId: PartitionId): Promise<void> {
  if (!(await findMembership(ctx.db, partitionId, ctx.user.id))) throw new AppError('FORBIDDEN', NO_LONGER_MEMBER);
}

export const NO_LONGER_MEMBER = REFUSAL.noLongerMember;

/**
 * Ends a live stream whose session expired or whose user left the partition. Runs every
 * `RECHECK_MS`, and at once when the access cache reports a change of the user's access.
 */
export async function recheckAccess(ctx: Context & { user: User }, partitionId: PartitionId): Promise<void> {
  const session = ctx.req.token ? await validateSession(ctx, ctx.req.token) : null;
  if (!session) throw new AppError('UNAUTHORIZED', 'Your session has ended; please sign in again.');
  if (!(await findMemberRole(ctx, partitionId, ctx.user.id))) {
    throw new AppError('FORBIDDEN', NO_LONGER_MEMBER);
  }
}
