import type { PresenceSignalDto, PresenceStatus } from '@parley/api';
import { errorCode, retryAfterMs, type PresenceApi } from './api.ts';
import { Emitter } from './emitter.ts';

/** At most one typing signal per room this often (the server publishes no more often either). */
export const TYPING_SIGNAL_INTERVAL_MS = 2_000;

/**
 * A member's presence as it should be shown now. Times are epoch milliseconds on this
 * machine's clock (the server's, corrected by the difference between the two).
 */
export interface MemberPresence {
  readonly userId: string;
  readonly status: PresenceStatus;
  /** When their last connection ended; null while online, and when never seen. */
  readonly lastSeenAt: number | null;
  /** While reconnecting: when they become offline (the store switches them then by itself). */
  readonly offlineAt: number | null;
}

/** Someone else typing in a room, until `until` (local clock). */
export interface TypingUser {
  readonly userId: string;
  readonly roomId: string;
  readonly until: number;
}

export interface PresenceView {
  /** `idle`: not watched; `loading`: until the first snapshot; `error`: the server refused the subscription. */
  readonly status: 'idle' | 'loading' | 'live' | 'error';
  readonly error: string | null;
  /**
   * The connection was lost since the last snapshot: what is shown may be behind (typing and
   * grace periods still end on time). A fresh snapshot arrives when it is back.
   */
  readonly stale: boolean;
  /** False while the server cannot tell (its Redis is down): statuses are unknown. */
  readonly available: boolean;
  /** By user id; everybody not in it is offline, never seen. */
  readonly members: Readonly<Record<string, MemberPresence>>;
  /** Who else is typing where, oldest first. */
  readonly typing: readonly TypingUser[];
}

export interface PresenceStoreOptions {
  api: PresenceApi;
  /** Typing is not signalled while this says no (offline). Default: always. */
  canSend?: (() => boolean) | undefined;
  /** Marks the views stale while this connection is not CONNECTED (`Connection` satisfies it). */
  connection?: { subscribe(listener: () => void): () => void; getSnapshot(): { state: string } } | undefined;
  now?: (() => number) | undefined;
}

interface PartitionPresence {
  watchers: number;
  unsubscribe: (() => void) | null;
  status: PresenceView['status'];
  error: string | null;
  stale: boolean;
  available: boolean;
  members: Map<string, MemberPresence>;
  typing: Map<string, TypingUser>;
  timer: ReturnType<typeof setTimeout> | undefined;
  view: PresenceView | null;
}

const IDLE: PresenceView = { status: 'idle', error: null, stale: false, available: true, members: {}, typing: [] };

function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Presence is not available.';
}

/**
 * Presence and typing of watched partitions, over `presence.onSignal`. The subscription is
 * resumed by the connection like the others, and every (re)subscription starts with a
 * snapshot that replaces what was known. Server times are moved to the local clock by the
 * difference seen in each signal's `at`; typing ends at its `until` and a reconnecting member
 * turns offline at their `offlineAt` by timers here, so the view is right on time even when
 * the server's announcement is late or lost.
 *
 * Also sends this user's typing signals: at most one per room every 2 s.
 */
export class PresenceStore {
  readonly #opts: PresenceStoreOptions;
  readonly #now: () => number;
  readonly #emitter = new Emitter();
  readonly #partitions = new Map<string, PartitionPresence>();
  /** `partition\0room` → when the next typing signal may go. */
  readonly #nextTyping = new Map<string, number>();
  readonly #offConnection: () => void;
  #closed = false;

  constructor(options: PresenceStoreOptions) {
    this.#opts = options;
    this.#now = options.now ?? (() => Date.now());
    const connection = options.connection;
    this.#offConnection = connection
      ? connection.subscribe(() => {
          if (connection.getSnapshot().state === 'CONNECTED') return;
          for (const p of this.#partitions.values()) {
            if (p.watchers > 0 && p.status === 'live' && !p.stale) {
              p.stale = true;
              this.#changed(p);
            }
          }
        })
      : () => {};
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** The partition's presence as it should be shown now; the same object until it changes. */
  getSnapshot(partitionId: string): PresenceView {
    const p = this.#partitions.get(partitionId);
    if (!p) return IDLE;
    p.view ??= {
      status: p.status,
      error: p.error,
      stale: p.stale,
      available: p.available,
      members: Object.fromEntries(p.members),
      typing: [...p.typing.values()],
    };
    return p.view;
  }

  /** Keeps the partition's presence live. Counted: the subscription ends with the last watcher. */
  watch(partitionId: string): () => void {
    const p = this.#partition(partitionId);
    p.watchers += 1;
    if (p.watchers === 1 && !this.#closed) this.#start(partitionId, p);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      p.watchers -= 1;
      if (p.watchers > 0) return;
      p.unsubscribe?.();
      p.unsubscribe = null;
      clearTimeout(p.timer);
      this.#partitions.delete(partitionId);
      this.#emitter.emit();
    };
  }

  /**
   * Call on every keystroke in a room's composer: tells the room "typing" at most every 2 s.
   * Best effort: a failure is not reported (the next keystroke tries again).
   */
  typing(partitionId: string, roomId: string): void {
    if (this.#closed || !(this.#opts.canSend?.() ?? true)) return;
    const key = `${partitionId}\u0000${roomId}`;
    const t = this.#now();
    if (t < (this.#nextTyping.get(key) ?? 0)) return;
    this.#nextTyping.set(key, t + TYPING_SIGNAL_INTERVAL_MS);
    this.#opts.api.typing(partitionId, roomId).catch((error: unknown) => {
      const code = errorCode(error);
      // Lost on the way: the next keystroke may try at once. Too fast: wait as told.
      if (code === undefined) this.#nextTyping.delete(key);
      else if (code === 'TOO_MANY_REQUESTS') this.#nextTyping.set(key, this.#now() + (retryAfterMs(error) ?? TYPING_SIGNAL_INTERVAL_MS));
    });
  }

  /**
   * A message from `userId` arrived in the room (`message.created`): they are not typing there
   * any more. The server ends it too, but only where it saw the typing, and its signal can come
   * after the message; this ends it on every client the moment the message shows.
   */
  messageFrom(partitionId: string, roomId: string, userId: string): void {
    const p = this.#partitions.get(partitionId);
    if (!p?.typing.delete(`${userId}\u0000${roomId}`)) return;
    this.#expire(p);
    this.#changed(p);
  }

  /** The message was sent (the server ends the typing): the next keystroke signals at once. */
  stopTyping(partitionId: string, roomId: string): void {
    this.#nextTyping.delete(`${partitionId}\u0000${roomId}`);
  }

  close(): void {
    this.#closed = true;
    this.#offConnection();
    for (const p of this.#partitions.values()) {
      p.unsubscribe?.();
      p.unsubscribe = null;
      clearTimeout(p.timer);
    }
  }

  #partition(partitionId: string): PartitionPresence {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = {
        watchers: 0,
        unsubscribe: null,
        status: 'loading',
        error: null,
        stale: false,
        available: true,
        members: new Map(),
        typing: new Map(),
        timer: undefined,
        view: null,
      };
      this.#partitions.set(partitionId, p);
    }
    return p;
  }

  #start(partitionId: string, p: PartitionPresence): void {
    p.unsubscribe = this.#opts.api.watchPresence(partitionId, {
      onSignal: (signal) => {
        if (this.#partitions.get(partitionId) !== p) return;
        this.#apply(p, signal);
        this.#expire(p);
        this.#changed(p);
      },
      onError: (error) => {
        if (this.#partitions.get(partitionId) !== p) return;
        p.status = 'error';
        p.error = errorText(error);
        p.unsubscribe = null;
        this.#changed(p);
      },
    });
  }

  #apply(p: PartitionPresence, signal: PresenceSignalDto): void {
    // The server's clock minus ours, as of this signal (network delay makes it a little late: fine).
    const offset = Date.parse(signal.at) - this.#now();
    const local = (time: string | null) => (time === null ? null : Date.parse(time) - offset);
    if (signal.type === 'snapshot') {
      p.status = 'live';
      p.error = null;
      p.stale = false;
      p.available = signal.available;
      p.members = new Map(signal.members.map((m) => [m.userId, { ...m, lastSeenAt: local(m.lastSeenAt), offlineAt: local(m.offlineAt) }]));
      p.typing = new Map(signal.typing.map((t) => [`${t.userId}\u0000${t.roomId}`, { ...t, until: local(t.until)! }]));
    } else if (signal.type === 'presence') {
      const { userId, status } = signal;
      p.members.set(userId, { userId, status, lastSeenAt: local(signal.lastSeenAt), offlineAt: local(signal.offlineAt) });
    } else {
      const key = `${signal.userId}\u0000${signal.roomId}`;
      p.typing.delete(key);
      // Re-inserted at the end: the list stays in the order people started (or resumed) typing.
      p.typing.set(key, { userId: signal.userId, roomId: signal.roomId, until: local(signal.until)! });
    }
  }

  /** Ends what is over by now (typing, grace periods) and sets a timer for the next end. */
  #expire(p: PartitionPresence): boolean {
    clearTimeout(p.timer);
    p.timer = undefined;
    const t = this.#now();
    let changed = false;
    let next = Infinity;
    for (const [key, entry] of p.typing) {
      if (entry.until <= t) {
        p.typing.delete(key);
        changed = true;
      } else next = Math.min(next, entry.until);
    }
    for (const [userId, m] of p.members) {
      if (m.status !== 'reconnecting' || m.offlineAt === null) continue;
      if (m.offlineAt <= t) {
        p.members.set(userId, { userId, status: 'offline', lastSeenAt: m.lastSeenAt, offlineAt: null });
        changed = true;
      } else next = Math.min(next, m.offlineAt);
    }
    if (next !== Infinity && !this.#closed) {
      p.timer = setTimeout(() => {
        if (this.#expire(p)) this.#changed(p);
      }, next - t);
    }
    return changed;
  }

  #changed(p: PartitionPresence): void {
    p.view = null;
    this.#emitter.emit();
  }
}
