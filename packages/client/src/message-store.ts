import type { MessageDto, ParleyEvent } from '@parley/api';
import { errorCode, type MessagePage, type ParleyApi } from './api.ts';
import { Emitter } from './emitter.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import type { ClientStorage } from './storage.ts';

export type MessageStatus = 'SENDING' | 'SENT' | 'FAILED';

/** A message as a user sees it: the server's copy, or one of theirs still in the outbox. */
export interface ChatMessage {
  /** Stable across SENDING → SENT (the clientId): use it as the React key. */
  readonly key: string;
  /** The server's id, once it has one. */
  readonly id: string | null;
  readonly clientId: string;
  readonly partitionId: string;
  readonly roomId: string;
  readonly authorId: string | null;
  readonly authorName: string | null;
  readonly body: string;
  readonly createdAt: string;
  /** The position in the partition's event log, once sent. */
  readonly eventId: number | null;
  readonly status: MessageStatus;
  /** Waiting in the outbox (not yet handed to the server). */
  readonly queued: boolean;
  readonly error: string | null;
}

export interface RoomView {
  /** Server order (event id), then the user's pending ones in the order they were sent. */
  readonly messages: readonly ChatMessage[];
  /** `empty`: nothing known yet; `ready`: the latest page is here (maybe from storage). */
  readonly status: 'empty' | 'loading' | 'ready' | 'error';
  readonly error: string | null;
  readonly hasOlder: boolean;
  readonly loadingOlder: boolean;
}

export type PartitionSyncStatus = 'idle' | 'live' | 'error';

interface RoomState {
  readonly byId: Map<string, MessageDto>;
  loaded: boolean;
  /** Loaded, but possibly behind (the user was out of the room for a while). */
  stale: boolean;
  loading: Promise<void> | null;
  error: string | null;
  nextCursor: number | null;
  loadingOlder: boolean;
  version: number;
}

interface PartitionState {
  readonly id: string;
  lastEventId: number | null;
  readonly rooms: Map<string, RoomState>;
  readonly clientIds: Set<string>;
  restored: Promise<void> | null;
  watchers: number;
  unsubscribe: (() => void) | null;
  status: PartitionSyncStatus;
  error: string | null;
  saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves once the stream's starting position is known (stored, or the head). */
  positioned: Promise<void>;
  setPositioned: () => void;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

interface StoredPartition {
  v: 1;
  lastEventId: number | null;
  rooms: Record<string, { loaded: boolean; nextCursor: number | null; messages: MessageDto[] }>;
}

export interface MessageStoreOptions {
  api: ParleyApi;
  storage: ClientStorage;
  outbox: Outbox;
  /** Messages kept per room in storage (the rest is fetched again when scrolled to). */
  persistPerRoom?: number | undefined;
  persistDelayMs?: number | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
}

const EMPTY_ROOM: RoomView = { messages: [], status: 'empty', error: null, hasOlder: false, loadingOlder: false };

function byPosition(a: MessageDto, b: MessageDto): number {
  return a.eventId - b.eventId;
}

function sent(m: MessageDto): ChatMessage {
  return { ...m, key: m.clientId, status: 'SENT', queued: false, error: null };
}

function pending(e: OutboxEntry): ChatMessage {
  return {
    key: e.clientId,
    id: null,
    clientId: e.clientId,
    partitionId: e.partitionId,
    roomId: e.roomId,
    authorId: e.author?.id ?? null,
    authorName: e.author?.name ?? null,
    body: e.body,
    createdAt: e.createdAt,
    eventId: null,
    status: e.status === 'failed' ? 'FAILED' : 'SENDING',
    queued: e.status === 'queued',
    error: e.error,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Could not load messages.';
}

/**
 * The optimistic message store. Server messages are kept by id (so a replayed or repeated event
 * changes nothing) and shown in event order; the outbox's entries are shown after them until
 * the server's copy with the same clientId arrives, by event or by the send's reply, whichever
 * comes first. Per partition it keeps the last event id with the messages it covers, in
 * storage, so a reloaded page shows them at once and resumes the stream from there.
 */
export class MessageStore {
  readonly #opts: MessageStoreOptions;
  readonly #emitter = new Emitter();
  readonly #eventListeners = new Set<(event: ParleyEvent) => void>();
  readonly #partitions = new Map<string, PartitionState>();
  readonly #views = new Map<string, { version: number; pending: readonly OutboxEntry[]; view: RoomView }>();
  readonly #offOutbox: () => void;
  #closed = false;

  constructor(options: MessageStoreOptions) {
    this.#opts = options;
    this.#offOutbox = options.outbox.subscribe(() => this.#emitter.emit());
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** A room as it should be shown now. The same object until something in it changes. */
  getRoom(partitionId: string, roomId: string): RoomView {
    const room = this.#partitions.get(partitionId)?.rooms.get(roomId);
    const pendingEntries = this.#opts.outbox.getSnapshot().filter((e) => e.partitionId === partitionId && e.roomId === roomId);
    const key = `${partitionId}\u0000${roomId}`;
    const cached = this.#views.get(key);
    const version = room?.version ?? -1;
    if (cached && cached.version === version && sameEntries(cached.pending, pendingEntries)) return cached.view;
    const view = this.#buildView(partitionId, room, pendingEntries);
    this.#views.set(key, { version, pending: pendingEntries, view });
    return view;
  }

  syncStatus(partitionId: string): { status: PartitionSyncStatus; error: string | null; lastEventId: number | null } {
    const p = this.#partitions.get(partitionId);
    return { status: p?.status ?? 'idle', error: p?.error ?? null, lastEventId: p?.lastEventId ?? null };
  }

  /** Every event of watched partitions, after the store has applied it (the SPA refreshes lists with it). */
  onEvent(listener: (event: ParleyEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Restores what storage has for the partition (for offline use), without the network. */
  restore(partitionId: string): Promise<void> {
    const p = this.#partition(partitionId);
    p.restored ??= this.#restore(p);
    return p.restored;
  }

  /**
   * Keeps the partition live: restores it from storage, then streams its events from the last
   * stored position. Counted: the stream stops when the last watcher stops.
   */
  watch(partitionId: string): () => void {
    const p = this.#partition(partitionId);
    p.watchers += 1;
    if (p.watchers === 1) {
      void this.restore(partitionId).then(() => {
        if (p.watchers > 0 && !p.unsubscribe && !this.#closed) this.#startStream(p);
      });
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      p.watchers -= 1;
      if (p.watchers === 0) {
        clearTimeout(p.retryTimer);
        p.unsubscribe?.();
        p.unsubscribe = null;
        p.status = 'idle';
      }
    };
  }

  /** Starts a watched partition's stream again after the server refused it (e.g. a retry button). */
  restartStream(partitionId: string): void {
    const p = this.#partitions.get(partitionId);
    if (!p || p.watchers === 0 || p.unsubscribe || this.#closed) return;
    clearTimeout(p.retryTimer);
    this.#startStream(p);
  }

  /** Fetches the room's latest page unless it is already here (restored or loaded). */
  async loadRoom(partitionId: string, roomId: string, options: { force?: boolean } = {}): Promise<void> {
    await this.restore(partitionId);
    const p = this.#partition(partitionId);
    // A page fetched before the stream's position is known could miss what falls between.
    if (p.watchers > 0) await p.positioned;
    const room = this.#room(p, roomId);
    if (room.loading) return room.loading;
    if (room.loaded && !room.stale && !options.force) return;
    room.error = null;
    room.loading = this.#opts.api
      .list({ partitionId, roomId })
      .then(
        (page) => this.#mergeLatest(p, room, page),
        (error: unknown) => {
          room.error = errorText(error);
        },
      )
      .finally(() => {
        room.loading = null;
        this.#touch(room);
      });
    // Only now: a listener reads the view during the touch, and it must see `loading`.
    this.#touch(room);
    return room.loading;
  }

  /** Fetches the page before the oldest message shown. */
  async loadOlder(partitionId: string, roomId: string): Promise<void> {
    const p = this.#partition(partitionId);
    const room = this.#room(p, roomId);
    if (room.loadingOlder || room.nextCursor === null) return;
    room.loadingOlder = true;
    room.error = null;
    this.#touch(room);
    try {
      const page = await this.#opts.api.list({ partitionId, roomId, before: room.nextCursor });
      for (const m of page.messages) this.#put(p, room, m);
      room.nextCursor = page.nextCursor;
    } catch (error) {
      room.error = errorText(error);
    } finally {
      room.loadingOlder = false;
      this.#touch(room);
    }
  }

  /** The server's copy of a message (the reply to a send). */
  addMessage(message: MessageDto): void {
    const p = this.#partition(message.partitionId);
    const room = this.#room(p, message.roomId);
    if (this.#put(p, room, message)) {
      this.#touch(room);
      this.#scheduleSave(p);
    }
  }

  /** Writes pending snapshots now (tests, page hide). */
  async persist(): Promise<void> {
    await Promise.all([...this.#partitions.values()].map((p) => this.#save(p)));
  }

  close(): void {
    this.#closed = true;
    this.#offOutbox();
    for (const p of this.#partitions.values()) {
      clearTimeout(p.retryTimer);
      p.setPositioned();
      p.unsubscribe?.();
      p.unsubscribe = null;
      clearTimeout(p.saveTimer);
    }
  }

  #startStream(p: PartitionState): void {
    if (p.lastEventId === null) {
      // First visit: start from the head; rooms are fetched after it is known (loadRoom waits).
      this.#opts.api.head(p.id).then(
        (head) => {
          if (p.watchers === 0 || this.#closed || p.unsubscribe) return;
          if (p.lastEventId === null) p.lastEventId = head;
          this.#startStream(p);
        },
        (error: unknown) => {
          p.status = 'error';
          p.error = errorText(error);
          this.#emitter.emit();
          p.retryTimer = setTimeout(() => {
            if (p.watchers > 0 && !this.#closed && !p.unsubscribe) this.#startStream(p);
          }, 2000);
        },
      );
      return;
    }
    p.setPositioned();
    let first = true;
    p.unsubscribe = this.#opts.api.subscribe(
      { partitionId: p.id, lastEventId: p.lastEventId },
      {
        onEvent: (event) => {
          if (first) {
            first = false;
            p.status = 'live';
            p.error = null;
          }
          this.#apply(p, event);
        },
        onError: (error) => {
          p.status = 'error';
          p.error = errorText(error);
          p.unsubscribe = null;
          if (NO_ACCESS.has(errorCode(error) ?? '')) this.#forget(p);
          this.#emitter.emit();
        },
      },
    );
    p.status = 'live';
    p.error = null;
    this.#emitter.emit();
  }

  #apply(p: PartitionState, event: ParleyEvent): void {
    if (event.type === 'message.created') {
      // Kept by id, so a replayed or repeated event changes nothing.
      const room = this.#room(p, event.data.roomId);
      if (this.#put(p, room, event.data)) {
        this.#touch(room);
        this.#scheduleSave(p);
      }
    }
    if (p.lastEventId !== null && event.id <= p.lastEventId) return;
    p.lastEventId = event.id;
    if (event.type === 'member.joined' || event.type === 'member.left') {
      // Events of a room stop while one is out of it: its cached page may be behind.
      const room = p.rooms.get(event.data.roomId);
      if (room && event.type === 'member.joined') room.stale = true;
    }
    this.#scheduleSave(p);
    for (const listener of [...this.#eventListeners]) listener(event);
  }

  #mergeLatest(p: PartitionState, room: RoomState, page: MessagePage): void {
    for (const m of page.messages) this.#put(p, room, m);
    if (!room.loaded) room.nextCursor = page.nextCursor;
    room.loaded = true;
    room.stale = false;
    this.#scheduleSave(p);
  }

  /** Adds a server message; false when it was already there. */
  #put(p: PartitionState, room: RoomState, message: MessageDto): boolean {
    if (room.byId.has(message.id)) return false;
    room.byId.set(message.id, message);
    p.clientIds.add(message.clientId);
    return true;
  }

  #buildView(partitionId: string, room: RoomState | undefined, entries: readonly OutboxEntry[]): RoomView {
    const p = this.#partitions.get(partitionId);
    if (!room && entries.length === 0) return EMPTY_ROOM;
    const confirmed = room ? [...room.byId.values()].sort(byPosition).map(sent) : [];
    const waiting = entries.filter((e) => !p?.clientIds.has(e.clientId)).map(pending);
    const status: RoomView['status'] = room?.loaded ? 'ready' : room?.loading ? 'loading' : room?.error ? 'error' : 'empty';
    return {
      messages: [...confirmed, ...waiting],
      status,
      error: room?.error ?? null,
      hasOlder: room ? room.loaded && room.nextCursor !== null : false,
      loadingOlder: room?.loadingOlder ?? false,
    };
  }

  #partition(partitionId: string): PartitionState {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = {
        id: partitionId,
        lastEventId: null,
        rooms: new Map(),
        clientIds: new Set(),
        restored: null,
        watchers: 0,
        unsubscribe: null,
        status: 'idle',
        error: null,
        saveTimer: undefined,
        positioned: Promise.resolve(),
        setPositioned: () => {},
        retryTimer: undefined,
      };
      const state = p;
      state.positioned = new Promise<void>((resolve) => (state.setPositioned = resolve));
      this.#partitions.set(partitionId, p);
    }
    return p;
  }

  #room(p: PartitionState, roomId: string): RoomState {
    let room = p.rooms.get(roomId);
    if (!room) {
      room = { byId: new Map(), loaded: false, stale: false, loading: null, error: null, nextCursor: null, loadingOlder: false, version: 0 };
      p.rooms.set(roomId, room);
    }
    return room;
  }

  #touch(room: RoomState): void {
    room.version += 1;
    this.#emitter.emit();
  }

  /**
   * The server says this user may no longer see the partition (removed, left): what is kept of
   * it goes, from memory and from storage, so a shared device does not keep showing it. Joining
   * again starts from the head.
   */
  #forget(p: PartitionState): void {
    clearTimeout(p.saveTimer);
    p.saveTimer = undefined;
    p.lastEventId = null;
    p.clientIds.clear();
    for (const room of p.rooms.values()) {
      room.byId.clear();
      room.loaded = false;
      room.stale = false;
      room.nextCursor = null;
      room.version += 1;
    }
    this.#opts.storage.delete(`partition:${p.id}`).catch((error: unknown) => this.#opts.onStorageError?.(error));
  }

  async #restore(p: PartitionState): Promise<void> {
    let stored: StoredPartition | undefined;
    try {
      stored = await this.#opts.storage.get<StoredPartition>(`partition:${p.id}`);
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
    if (!stored || stored.v !== 1) return;
    // Whatever arrived while reading is newer than the stored position only if it is past it.
    if (p.lastEventId === null || (stored.lastEventId ?? 0) > p.lastEventId) p.lastEventId = stored.lastEventId;
    for (const [roomId, saved] of Object.entries(stored.rooms)) {
      const room = this.#room(p, roomId);
      for (const m of saved.messages) this.#put(p, room, m);
      if (!room.loaded) {
        room.loaded = saved.loaded;
        room.nextCursor = saved.nextCursor;
      }
      this.#touch(room);
    }
  }

  #scheduleSave(p: PartitionState): void {
    if (p.saveTimer !== undefined || this.#closed) return;
    p.saveTimer = setTimeout(() => {
      p.saveTimer = undefined;
      void this.#save(p);
    }, this.#opts.persistDelayMs ?? 250);
  }

  async #save(p: PartitionState): Promise<void> {
    clearTimeout(p.saveTimer);
    p.saveTimer = undefined;
    const limit = this.#opts.persistPerRoom ?? 100;
    const rooms: StoredPartition['rooms'] = {};
    for (const [roomId, room] of p.rooms) {
      const all = [...room.byId.values()].sort(byPosition);
      const messages = all.slice(-limit);
      const trimmed = messages.length < all.length;
      rooms[roomId] = {
        loaded: room.loaded,
        nextCursor: trimmed ? (messages[0]?.eventId ?? room.nextCursor) : room.nextCursor,
        messages,
      };
    }
    const value: StoredPartition = { v: 1, lastEventId: p.lastEventId, rooms };
    try {
      await this.#opts.storage.set(`partition:${p.id}`, value);
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
  }
}

/** A stream refused with these: the user is not (or no longer) a member of the partition. */
const NO_ACCESS = new Set(['FORBIDDEN', 'NOT_FOUND']);

function sameEntries(a: readonly OutboxEntry[], b: readonly OutboxEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}
