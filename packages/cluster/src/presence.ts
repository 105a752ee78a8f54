import { createMemoryBus, type Bus, type Unsubscribe } from './bus.ts';
import type { BackgroundJob } from './jobs.ts';

/** `online`: connected somewhere; `reconnecting`: not, but within the grace period; else `offline`. */
export type PresenceStatus = 'online' | 'reconnecting' | 'offline';

/** `memory`: this process only; `up`/`down`: the Redis connection (down: nothing is known). */
export type PresenceState = 'memory' | 'up' | 'down';

/**
 * One user's presence in one partition. Times are epoch milliseconds on the presence's own
 * clock (Redis's `TIME` across a cluster, the process's on one node): compare them with the
 * `at` that comes with them, never with a local clock.
 */
export interface UserPresence {
  readonly userId: string;
  readonly status: PresenceStatus;
  /** When their last connection ended; null while online (and when never seen). */
  readonly lastSeenAt: number | null;
  /** While reconnecting: when they become offline unless they come back. */
  readonly offlineAt: number | null;
}

/** Someone typing in a room, until `until` (a later keystroke signal extends it). */
export interface TypingEntry {
  readonly userId: string;
  readonly roomId: string;
  readonly until: number;
}

/** What a partition's presence looks like now. */
export interface PresenceSnapshot {
  readonly state: PresenceState;
  /** The presence clock's now, when read. */
  readonly at: number;
  /** Every status change up to this version is in it: apply only later signals. */
  readonly version: number;
  /** Users seen (within retention); anybody else is offline, never seen. Empty while `down`. */
  readonly users: readonly UserPresence[];
  /** Current typing (expired entries left out). */
  readonly typing: readonly TypingEntry[];
}

/**
 * What travels on the bus (channel `presence:<partitionId>`), never in the event log.
 * `presence` carries a version, increasing per partition: a signal older than what a listener
 * already has (two nodes publish in any order) is to be ignored. A `typing` signal with
 * `until <= at` means the user stopped (sent the message).
 */
export type PresenceSignal = ({ type: 'presence'; version: number; at: number } & UserPresence) | ({ type: 'typing'; at: number } & TypingEntry);

/**
 * Presence and typing of the users of each partition, shared by every node.
 *
 * A user is connected to a partition while they hold at least one connection (an open
 * subscription) on any node; each node registers its own, and keeps them alive (Redis: a TTL
 * it refreshes, so the connections of a node that died expire by themselves). Going from no
 * connection to one announces `online`, from one to none `reconnecting` (with `offlineAt`);
 * `offline` after the grace period, and expired connections of dead nodes, are found and
 * announced by {@link Presence.sweep}, which runs on one node per partition (the
 * `presence-sweep` job). Reads derive the status from the data and the clock, so they are
 * right even when a sweep is late.
 *
 * Never throws into a request: while Redis is down `state` says so, reads return nothing
 * known and writes are dropped (connections are registered again when it is back).
 */
export interface Presence {
  readonly state: PresenceState;
  /** How long a user stays `reconnecting` after their last connection ended. */
  readonly graceMs: number;
  /**
   * Registers one connection of a user on this node; call the returned function (once, or
   * more: idempotent) when it ends.
   */
  connect(partitionId: string, userId: string): () => void;
  snapshot(partitionId: string): Promise<PresenceSnapshot>;
  /**
   * A keystroke signal: the user is typing in the room for the next few seconds. Published at
   * most once per user and room per throttle interval, across all nodes; `published` says
   * whether this call did.
   */
  typing(partitionId: string, roomId: string, userId: string): Promise<{ at: number; until: number; published: boolean }>;
  /**
   * The user stopped typing in the room (sent the message): announced if they were typing and
   * this node saw it (the Redis presence keeps no round trip for senders who were not typing
   * here). Typing signalled through another node ends by its TTL, and clients end an author's
   * typing when the author's message arrives.
   */
  stopTyping(partitionId: string, roomId: string, userId: string): Promise<void>;
  /** Signals of a partition from every node (through the bus). */
  watch(partitionId: string, listener: (signal: PresenceSignal) => void): Unsubscribe;
  /**
   * Finds and announces what changed by the clock alone: grace periods that ended (`offline`)
   * and connections that expired because their node stopped refreshing them
   * (`reconnecting`). Run it on one node per partition at a time; each change is returned
   * (and announced) once even if two nodes sweep together.
   */
  sweep(partitionId: string): Promise<PresenceSignal[]>;
  close(): Promise<void>;
}

/** Default grace period (seed 003: a disconnect is not offline for 60 s). */
export const PRESENCE_GRACE_MS = 60_000;
/** A typing signal lasts this long after the last keystroke signal. */
export const TYPING_TTL_MS = 5_000;
/** At most one typing publish per user and room this often (the client throttles too). */
export const TYPING_THROTTLE_MS = 2_000;
/** How often the presence-sweep job runs on the lease holder. */
export const PRESENCE_SWEEP_INTERVAL_MS = 2_000;

export const presenceChannel = (partitionId: string) => `presence:${partitionId}`;

/**
 * The status as the data and the clock say, whatever was announced: connected → online;
 * otherwise reconnecting until `lastSeenAt + graceMs`, then offline.
 */
export function derivePresence(user: { userId: string; connected: boolean; lastSeenAt: number | null }, now: number, graceMs: number): UserPresence {
  if (user.connected) return { userId: user.userId, status: 'online', lastSeenAt: null, offlineAt: null };
  if (user.lastSeenAt !== null && now < user.lastSeenAt + graceMs) {
    return { userId: user.userId, status: 'reconnecting', lastSeenAt: user.lastSeenAt, offlineAt: user.lastSeenAt + graceMs };
  }
  return { userId: user.userId, status: 'offline', lastSeenAt: user.lastSeenAt, offlineAt: null };
}

/**
 * The `presence-sweep` job: on the node holding a partition's lease, announces the
 * transitions nobody else will (grace periods over, dead nodes' connections expired).
 * @example
 * ```ts
 * startNode({ …, jobs: [createPresenceSweepJob(presence)] });
 * ```
 */
export function createPresenceSweepJob(presence: Pick<Presence, 'sweep'>, opts: { intervalMs?: number } = {}): BackgroundJob {
  return {
    name: 'presence-sweep',
    scope: 'partition',
    intervalMs: opts.intervalMs ?? PRESENCE_SWEEP_INTERVAL_MS,
    async run(partitionId, signal) {
      if (signal.aborted) return;
      await presence.sweep(partitionId);
    },
  };
}

export interface MemoryPresenceOptions {
  /** Where signals go; default: a private in-process bus (closed with the presence). */
  bus?: Bus | undefined;
  graceMs?: number | undefined;
  typingTtlMs?: number | undefined;
  typingThrottleMs?: number | undefined;
  /** The clock (tests pass a fake one; vitest's fake timers also drive `Date.now`). */
  now?: (() => number) | undefined;
}

interface MemoryUser {
  connections: number;
  announced: PresenceStatus;
  lastSeenAt: number | null;
}

/**
 * Presence on one node, in memory: exact connection counts (nothing to expire: when the
 * process dies, so does everything it knew). Offline after the grace period is announced by
 * {@link Presence.sweep}, as with Redis.
 */
export function createMemoryPresence(opts: MemoryPresenceOptions = {}): Presence {
  const ownBus = opts.bus ? undefined : createMemoryBus();
  const bus = opts.bus ?? ownBus!;
  const now = opts.now ?? (() => Date.now());
  const graceMs = opts.graceMs ?? PRESENCE_GRACE_MS;
  const typingTtlMs = opts.typingTtlMs ?? TYPING_TTL_MS;
  const typingThrottleMs = opts.typingThrottleMs ?? TYPING_THROTTLE_MS;
  const partitions = new Map<string, { version: number; users: Map<string, MemoryUser>; typing: Map<string, TypingEntry & { publishedAt: number }> }>();
  let closed = false;

  const partition = (id: string) => {
    let p = partitions.get(id);
    if (!p) partitions.set(id, (p = { version: 0, users: new Map(), typing: new Map() }));
    return p;
  };
  const announce = (partitionId: string, signal: PresenceSignal) => {
    if (!closed) void bus.publish(presenceChannel(partitionId), signal);
    return signal;
  };
  const change = (partitionId: string, user: MemoryUser, presence: UserPresence, t: number): PresenceSignal => {
    const p = partition(partitionId);
    user.announced = presence.status;
    return announce(partitionId, { type: 'presence', version: ++p.version, at: t, ...presence });
  };

  return {
    state: 'memory',
    graceMs,
    connect(partitionId, userId) {
      const users = partition(partitionId).users;
      let user = users.get(userId);
      if (!user) users.set(userId, (user = { connections: 0, announced: 'offline', lastSeenAt: null }));
      const own = user;
      own.connections++;
      if (own.connections === 1 && own.announced !== 'online') {
        change(partitionId, own, { userId, status: 'online', lastSeenAt: null, offlineAt: null }, now());
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        own.connections--;
        if (own.connections > 0 || closed) return;
        const t = now();
        own.lastSeenAt = t;
        change(partitionId, own, derivePresence({ userId, connected: false, lastSeenAt: t }, t, graceMs), t);
      };
    },
    async snapshot(partitionId) {
      const p = partition(partitionId);
      const t = now();
      const users = [...p.users].map(([userId, u]) => derivePresence({ userId, connected: u.connections > 0, lastSeenAt: u.lastSeenAt }, t, graceMs));
      for (const [key, entry] of p.typing) if (entry.until <= t) p.typing.delete(key);
      const typing = [...p.typing.values()].map(({ userId, roomId, until }) => ({ userId, roomId, until }));
      return { state: 'memory', at: t, version: p.version, users, typing };
    },
    async typing(partitionId, roomId, userId) {
      const p = partition(partitionId);
      const t = now();
      const key = `${userId}|${roomId}`;
      const until = t + typingTtlMs;
      const previous = p.typing.get(key);
      const published = !previous || t - previous.publishedAt >= typingThrottleMs;
      p.typing.set(key, { userId, roomId, until, publishedAt: published ? t : previous.publishedAt });
      if (published) announce(partitionId, { type: 'typing', at: t, userId, roomId, until });
      return { at: t, until, published };
    },
    async stopTyping(partitionId, roomId, userId) {
      const p = partition(partitionId);
      const t = now();
      const key = `${userId}|${roomId}`;
      const entry = p.typing.get(key);
      p.typing.delete(key);
      if (entry && entry.until > t) announce(partitionId, { type: 'typing', at: t, userId, roomId, until: t });
    },
    watch(partitionId, listener) {
      return bus.subscribe(presenceChannel(partitionId), (message) => listener(message as PresenceSignal));
    },
    async sweep(partitionId) {
      const p = partitions.get(partitionId);
      if (!p) return [];
      const t = now();
      const changes: PresenceSignal[] = [];
      for (const [userId, u] of p.users) {
        if (u.announced !== 'reconnecting' || u.connections > 0) continue;
        const presence = derivePresence({ userId, connected: false, lastSeenAt: u.lastSeenAt }, t, graceMs);
        if (presence.status === 'offline') changes.push(change(partitionId, u, presence, t));
      }
      return changes;
    },
    async close() {
      closed = true;
      partitions.clear();
      await ownBus?.close();
    },
  };
}
