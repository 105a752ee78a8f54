import type { PresenceSignal, PresenceSnapshot, UserPresence } from '@parley/cluster';
import type { PartitionId, User } from '@parley/db';
import type { Context } from '../../context.ts';
import { describeRule, enforceRateLimit } from '../../rate-limit.ts';
import { EventQueue } from '../event/event.queue.ts';
import { recheckAccess } from '../event/event.service.ts';
import type { ParleyEvent } from '../event/event.types.ts';
import { listMembers } from '../partition/partition.service.ts';
import { assertRoomMember, listJoinedRoomIds } from '../room/room.service.ts';
import type { TypingInput } from './presence.schema.ts';
import type { MemberPresenceDto, PresenceListDto, PresenceSignalDto, TypingDto } from './presence.types.ts';

type InPartition = Context & { user: User; partitionId: PartitionId };

const MAX_QUEUED = 10_000;
/** How often a live signal stream re-checks its session and membership (as the event stream does). */
const RECHECK_MS = 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

function memberDto(p: UserPresence): MemberPresenceDto {
  return {
    userId: p.userId,
    status: p.status,
    lastSeenAt: p.lastSeenAt === null ? null : iso(p.lastSeenAt),
    offlineAt: p.offlineAt === null ? null : iso(p.offlineAt),
  };
}

/** Every member with their status (never seen, or presence unavailable: offline), and the typing they may see. */
async function presenceList(ctx: InPartition, snapshot: PresenceSnapshot, rooms: ReadonlySet<string>): Promise<PresenceListDto> {
  const members = await listMembers(ctx);
  const byUser = new Map(snapshot.users.map((u) => [u.userId, u]));
  return {
    at: iso(snapshot.at),
    graceMs: ctx.presence.graceMs,
    available: snapshot.state !== 'down',
    members: members.map((m) => memberDto(byUser.get(m.userId) ?? { userId: m.userId, status: 'offline', lastSeenAt: null, offlineAt: null })),
    typing: snapshot.typing
      .filter((t) => t.userId !== ctx.user.id && rooms.has(t.roomId))
      .map((t): TypingDto => ({ userId: t.userId, roomId: t.roomId, until: iso(t.until) })),
  };
}

export async function listPresence(ctx: InPartition): Promise<PresenceListDto> {
  const [snapshot, rooms] = await Promise.all([ctx.presence.snapshot(ctx.partitionId), listJoinedRoomIds(ctx)]);
  return presenceList(ctx, snapshot, new Set(rooms));
}

/**
 * A keystroke signal from a room member. Published at most once per user and room every 2 s
 * by the presence (calls in between only extend it), so a chatty client costs no fan-out;
 * the per-user limit stops one that ignores its own throttle.
 */
export async function sendTyping(ctx: InPartition, input: TypingInput): Promise<{ until: string }> {
  await assertRoomMember(ctx, input.roomId);
  const rule = ctx.config.rateLimits.typingPerUser;
  await enforceRateLimit(ctx, `typing:${ctx.user.id}`, rule, `You are sending typing signals too fast (${describeRule(rule)}).`);
  const { until } = await ctx.presence.typing(ctx.partitionId, input.roomId, ctx.user.id);
  return { until: iso(until) };
}

/** After a send: the author is no longer typing there. Never fails the send. */
export function stopTyping(ctx: InPartition, roomId: string): void {
  ctx.presence.stopTyping(ctx.partitionId, roomId, ctx.user.id).catch((err: unknown) => {
    ctx.log.warn({ err, partitionId: ctx.partitionId }, 'presence: clearing typing failed');
  });
}

/**
 * What a stream's queue carries: signals from the bus, the subscriber's own room membership
 * changes (from the event log), and a request for a fresh snapshot.
 */
type Item = { kind: 'signal'; signal: PresenceSignal } | { kind: 'event'; event: ParleyEvent } | { kind: 'resync' };

/**
 * The partition's presence for one user: a snapshot, then every change, while the stream
 * counts as one of the user's connections. Watches the bus before reading the snapshot, and
 * drops presence signals the snapshot already covers (by version) or older than one already
 * sent for that user (nodes publish in any order). Typing only of rooms the user is in, as
 * they join and leave them, and never their own. When the bus comes back after an outage
 * (signals were lost) or the queue overflows, a fresh snapshot follows.
 */
export async function* streamSignals(ctx: InPartition, signal: AbortSignal | undefined): AsyncGenerator<PresenceSignalDto> {
  const { partitionId } = ctx;
  const me = ctx.user.id;
  const queue = new EventQueue<Item>(MAX_QUEUED, { signal, tickMs: RECHECK_MS });
  const stopWatching = ctx.presence.watch(partitionId, (s) => queue.push({ kind: 'signal', signal: s }));
  const stopBus = ctx.bus.onStateChange((state) => {
    if (state === 'up') queue.push({ kind: 'resync' });
  });
  const stopWatchingAccess = ctx.access.watch(me, () => queue.tick());
  let release = () => {};
  let feedAcquired = false;
  let stopFeed = () => {};
  try {
    const feed = await ctx.feeds.acquire(partitionId);
    feedAcquired = true;
    stopFeed = feed.listen((event) => {
      if ((event.type === 'member.joined' || event.type === 'member.left') && event.data.userId === me) queue.push({ kind: 'event', event });
    });
    await stopWatching.ready;
    release = ctx.presence.connect(partitionId, me);
    const rooms = new Set(await listJoinedRoomIds(ctx));

    let floor = 0;
    const versions = new Map<string, number>();
    const snapshot = async (): Promise<PresenceSignalDto> => {
      const snap = await ctx.presence.snapshot(partitionId);
      floor = snap.version;
      versions.clear();
      return { type: 'snapshot', ...(await presenceList(ctx, snap, rooms)) };
    };

    yield await snapshot();
    while (!signal?.aborted) {
      if (queue.overflowed) {
        queue.overflowed = false;
        yield await snapshot();
      }
      const item = queue.shift();
      if (item?.kind === 'resync') {
        yield await snapshot();
      } else if (item?.kind === 'event') {
        if (item.event.type === 'member.joined') rooms.add(item.event.data.roomId);
        if (item.event.type === 'member.left') rooms.delete(item.event.data.roomId);
      } else if (item?.kind === 'signal') {
        const s = item.signal;
        if (s.type === 'presence') {
          if (s.version <= (versions.get(s.userId) ?? floor)) continue;
          versions.set(s.userId, s.version);
          yield { type: 'presence', at: iso(s.at), ...memberDto(s) };
        } else if (s.type === 'typing' && s.userId !== me && rooms.has(s.roomId)) {
          yield { type: 'typing', at: iso(s.at), userId: s.userId, roomId: s.roomId, until: iso(s.until) };
        }
      } else {
        if (queue.takeTick()) await recheckAccess(ctx, partitionId);
        await queue.wait();
      }
    }
  } finally {
    queue.close();
    release();
    stopWatching();
    stopBus();
    stopWatchingAccess();
    stopFeed();
    if (feedAcquired) ctx.feeds.release(partitionId);
  }
}
