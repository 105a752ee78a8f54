import { randomUUID } from 'node:crypto';
import type { Bus } from '@parley/cluster';
import type { Role, Session, User } from '@parley/db';
import type { Logger } from './host.ts';

/**
 * How long a node trusts a validated session or a membership without asking the database.
 * Revocations reach every node at once through the bus; this is the bound when they cannot
 * (Redis down, a publish lost, nodes sharing a database without Redis): a session revoked on
 * one node works at most this long on another. Five seconds is a tenth of what a stream
 * already allowed (re-checked every 60 s) and still spares nearly every lookup of an active
 * client, which calls several times a second while it chats.
 */
export const ACCESS_CACHE_TTL_MS = 5_000;

/** The bus channel of access changes (under the bus's own prefix). */
export const ACCESS_CHANNEL = 'access';

/** Expired entries are swept at most this often, during a call (no timer). */
const SWEEP_EVERY_MS = 30_000;

/** Something that ends or changes a user's access; every node drops what it cached about it. */
export type AccessChange =
  /** One session ended (sign-out). */
  | { kind: 'session'; userId: string; sessionId: string }
  /** Every session of the user, and the user row itself (a password change). */
  | { kind: 'user'; userId: string }
  /** The user's membership or role in a partition changed (or ended). */
  | { kind: 'membership'; userId: string; partitionId: string }
  /** The user blocked or unblocked someone: their streams re-read whom they block (nothing cached changes). */
  | { kind: 'blocks'; userId: string };

/** Who is told of changes of a user's access: a function, or an object whose `onAccessChange` is called (no closure per watcher). */
export type AccessWatcher = ((change: AccessChange) => void) | { onAccessChange(change: AccessChange): void };

export interface CachedSession {
  session: Session;
  user: User;
}

interface Entry<T> {
  value: T;
  /** Local monotonic deadline (`now()`), never compared across nodes. */
  until: number;
}

type Wire = AccessChange & { from: string };

function isWire(message: unknown): message is Wire {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (typeof m.from !== 'string' || typeof m.userId !== 'string') return false;
  return (
    (m.kind === 'session' && typeof m.sessionId === 'string') ||
    m.kind === 'user' ||
    m.kind === 'blocks' ||
    (m.kind === 'membership' && typeof m.partitionId === 'string')
  );
}

/**
 * A node's short-lived memory of validated sessions (by token hash) and of memberships
 * ((partition, user) → role), so most calls check access without a database round trip.
 *
 * Correctness rests on three rules: an entry lives at most `ttlMs` (and never past what the
 * database said: the session's expiry or its next renewal); every change of access is applied
 * here at once and published to the other nodes (`changed`), which drop the same entries when
 * it arrives; and a lookup that started before a change may not store its answer after it
 * (the `epoch` a fill read must still be current), so a revoked session cannot come back from
 * a read that raced the revocation. On any bus state change everything is dropped (changes
 * published during an outage are lost; the TTL bounds the rest).
 */
export class AccessCache {
  readonly ttlMs: number;
  readonly #sessions = new Map<string, Entry<CachedSession>>();
  readonly #roles = new Map<string, Entry<Role>>();
  readonly #watchers = new Map<string, Set<AccessWatcher>>();
  readonly #from = randomUUID();
  readonly #now: () => number;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #unsubscribe: () => void;
  readonly #stopWatchingBus: () => void;
  #epoch = 0;
  #sweepAt = 0;

  constructor(opts: { bus: Bus; log: Logger; ttlMs?: number | undefined; now?: (() => number) | undefined }) {
    this.ttlMs = opts.ttlMs ?? ACCESS_CACHE_TTL_MS;
    this.#now = opts.now ?? (() => performance.now());
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#unsubscribe = opts.bus.subscribe(ACCESS_CHANNEL, (message) => {
      if (isWire(message) && message.from !== this.#from) this.#apply(message);
    });
    this.#stopWatchingBus = opts.bus.onStateChange(() => this.clear());
  }

  /** Read before a database lookup and hand to `store…`: a change in between voids the store. */
  get epoch(): number {
    return this.#epoch;
  }

  session(sessionId: string): CachedSession | undefined {
    return this.#get(this.#sessions, sessionId);
  }

  /** Keeps a validated session for `ttlMs`, or `validForMs` if sooner (its expiry or next renewal). */
  storeSession(sessionId: string, value: CachedSession, validForMs: number, epoch: number): void {
    this.#store(this.#sessions, sessionId, value, validForMs, epoch);
  }

  role(partitionId: string, userId: string): Role | undefined {
    return this.#get(this.#roles, roleKey(partitionId, userId));
  }

  storeRole(partitionId: string, userId: string, role: Role, epoch: number): void {
    this.#store(this.#roles, roleKey(partitionId, userId), role, this.ttlMs, epoch);
  }

  /**
   * After the change is committed: drop what this node knows about it, then tell the others
   * (a lost publish is bounded by the TTL; it never rejects). Resolves once Redis has taken the
   * publish (it is then in every other node's subscriber connection): await it before answering
   * the call that made the change, so its caller's next call on another node finds that node
   * told already, and not a moment late.
   */
  async changed(change: AccessChange): Promise<void> {
    this.#apply(change);
    try {
      await this.#bus.publish(ACCESS_CHANNEL, { ...change, from: this.#from } satisfies Wire);
    } catch (err) {
      this.#log.warn({ err, change: change.kind }, 'access change not published; other nodes forget it within the cache TTL');
    }
  }

  /** Calls `listener` for every change of `userId`'s access, from this node or another, until the returned function (or {@link AccessCache.unwatch}) is called. */
  watch(userId: string, listener: AccessWatcher): () => void {
    let set = this.#watchers.get(userId);
    if (!set) this.#watchers.set(userId, (set = new Set()));
    set.add(listener);
    return () => this.unwatch(userId, listener);
  }

  unwatch(userId: string, listener: AccessWatcher): void {
    const set = this.#watchers.get(userId);
    if (!set?.delete(listener)) return;
    if (set.size === 0) this.#watchers.delete(userId);
  }

  /** Forgets everything (bus state changes; tests). */
  clear(): void {
    this.#epoch++;
    this.#sessions.clear();
    this.#roles.clear();
  }

  get size(): { sessions: number; roles: number } {
    return { sessions: this.#sessions.size, roles: this.#roles.size };
  }

  close(): void {
    this.#unsubscribe();
    this.#stopWatchingBus();
    this.clear();
    this.#watchers.clear();
  }

  #apply(change: AccessChange): void {
    this.#epoch++;
    if (change.kind === 'session') {
      this.#sessions.delete(change.sessionId);
    } else if (change.kind === 'user') {
      for (const [id, entry] of this.#sessions) if (entry.value.user.id === change.userId) this.#sessions.delete(id);
    } else if (change.kind === 'membership') {
      this.#roles.delete(roleKey(change.partitionId, change.userId));
    }
    for (const listener of [...(this.#watchers.get(change.userId) ?? [])]) {
      if (typeof listener === 'function') listener(change);
      else listener.onAccessChange(change);
    }
  }

  #get<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.until > this.#now()) return entry.value;
    map.delete(key);
    return undefined;
  }

  #store<T>(map: Map<string, Entry<T>>, key: string, value: T, validForMs: number, epoch: number): void {
    if (epoch !== this.#epoch) return;
    const t = this.#now();
    this.#sweep(t);
    const ms = Math.min(this.ttlMs, validForMs);
    if (ms > 0) map.set(key, { value, until: t + ms });
  }

  #sweep(t: number): void {
    if (t < this.#sweepAt) return;
    this.#sweepAt = t + SWEEP_EVERY_MS;
    for (const map of [this.#sessions, this.#roles] as Map<string, Entry<unknown>>[]) {
      for (const [key, entry] of map) if (entry.until <= t) map.delete(key);
    }
  }
}

const roleKey = (partitionId: string, userId: string) => `${partitionId}\u0000${userId}`;
