import type { TRPCClient } from '@trpc/client';
import type { AppRouter, ParleyEvent, ReadReceiptsDto, ReadStateDto } from '@parley/api';
import { MENTION_ROOM, READ_MARK_COALESCE_MS } from '@parley/rules';
import { Emitter } from './emitter.ts';
import type { ActOptions, OutboxEntry } from './outbox.ts';

/** One room or direct message as the sidebar shows it. */
export interface RoomReadState {
  /** The event id of the last message read (0: none). */
  readonly lastRead: number;
  /** The event id of the room's last message known here. */
  readonly lastMessage: number;
  /** Messages by others after `lastRead`. */
  readonly unread: number;
  /** Those of them that mention this user or `@room`. */
  readonly mentions: number;
}

/** A workspace's read state. @example `snapshot.rooms[roomId]?.unread ?? 0` */
export interface ReadSnapshot {
  /** `read.summary` has answered at least once. */
  readonly loaded: boolean;
  readonly rooms: Readonly<Record<string, RoomReadState>>;
  readonly error: string | null;
}

/** The server calls the read store makes besides the outbox's marks (tests give a fake). */
export interface ReadApi {
  summary(partitionId: string): Promise<ReadStateDto[]>;
  receipts(partitionId: string, roomId: string): Promise<ReadReceiptsDto>;
  receiptsSetting(): Promise<{ enabled: boolean }>;
  setReceipts(enabled: boolean): Promise<{ enabled: boolean }>;
}

/** @example `trpcReadApi(client.trpc)` */
export function trpcReadApi(trpc: TRPCClient<AppRouter>): ReadApi {
  return {
    summary: (partitionId) => trpc.read.summary.query({ partitionId }),
    receipts: (partitionId, roomId) => trpc.read.receipts.query({ partitionId, roomId }),
    receiptsSetting: () => trpc.user.receipts.query(),
    setReceipts: (enabled) => trpc.user.setReceipts.mutate({ enabled }),
  };
}

export interface ReadStoreOptions {
  api: ReadApi;
  /** Where marks go (durable, retried, applied once); a newer mark of a room replaces a queued older one. */
  outbox: {
    act(options: ActOptions): unknown;
    getSnapshot(): readonly OutboxEntry[];
    subscribe(listener: () => void): () => void;
    cancel(clientId: string): void;
  };
  /** The workspace's live events (the message store's stream). */
  events: { onEvent(listener: (event: ParleyEvent) => void): () => void };
  me: () => string | null;
  /** The least time between two marks of one room sent to the server (default `READ_MARK_COALESCE_MS`). */
  coalesceMs?: number | undefined;
  now?: (() => number) | undefined;
}

interface RoomState {
  lastRead: number;
  lastMessage: number;
  unread: number;
  mentions: number;
  /** Messages by others counted here from live events since the last summary: a mark can take them off exactly. */
  live: { eventId: number; mention: boolean }[];
}

interface PartitionState {
  rooms: Map<string, RoomState>;
  loaded: boolean;
  error: string | null;
  loading: Promise<void> | null;
  /** A summary is wanted again (a room appeared, a count became uncertain). */
  refreshTimer: ReturnType<typeof setTimeout> | undefined;
  snapshot: ReadSnapshot;
}

interface PendingMark {
  eventId: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  lastSentAt: number;
}

const EMPTY: ReadSnapshot = { loaded: false, rooms: {}, error: null };
const REFRESH_DELAY_MS = 500;

const key = (partitionId: string, roomId: string) => `${partitionId}\u0000${roomId}`;
const messageOf = (error: unknown) => (error instanceof Error && error.message ? error.message : 'Could not load unread counts.');

function mentionsMe(mentions: unknown, me: string | null): boolean {
  // Read defensively: servers older than mentions send none.
  return Array.isArray(mentions) && (mentions.includes(MENTION_ROOM) || (me !== null && mentions.includes(me)));
}

/**
 * Unread and mention counts per room and direct message, and read receipts, for every
 * workspace this client watches. The counts are the server's (`read.summary`), kept current by
 * the live events: a message by someone else adds one, the user's own `read.updated` (from this
 * device or another) takes them off, so every device of a user shows the same numbers.
 *
 * `markRead` moves a room's position at once here and sends it through the outbox, at most one
 * mark per room every `coalesceMs` and only when it moves forward: scrolling through a busy
 * room sends the last position, not every message.
 *
 * @example
 * ```ts
 * await client.read.load('acme');
 * client.read.getSnapshot('acme').rooms[roomId]?.unread; // 3
 * client.read.markRead('acme', roomId, lastMessage.eventId);
 * ```
 */
export class ReadStore {
  readonly #opts: ReadStoreOptions;
  readonly #emitter = new Emitter();
  readonly #partitions = new Map<string, PartitionState>();
  readonly #marks = new Map<string, PendingMark>();
  readonly #receipts = new Map<string, ReadReceiptsDto>();
  readonly #receiptsLoading = new Map<string, Promise<void>>();
  #receiptsEnabled: boolean | null = null;
  readonly #offEvents: () => void;
  readonly #offOutbox: () => void;
  #closed = false;

  constructor(options: ReadStoreOptions) {
    this.#opts = options;
    this.#offEvents = options.events.onEvent((event) => this.#onEvent(event));
    // A mark the server refused (the room was left meanwhile) is of no use to anyone: dropped, and the counts read again.
    this.#offOutbox = options.outbox.subscribe(() => {
      for (const e of options.outbox.getSnapshot()) {
        if (e.kind === 'op' && e.status === 'failed' && (e.op.type === 'read.mark' || e.op.type === 'read.markAll')) {
          options.outbox.cancel(e.clientId);
          if (e.partitionId) this.#refreshSoon(e.partitionId);
        }
      }
    });
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** The workspace's counts; the same object until something changes. */
  getSnapshot = (partitionId: string): ReadSnapshot => this.#partitions.get(partitionId)?.snapshot ?? EMPTY;

  /** One room's counts (undefined before the summary, or for a room the user is not in). */
  getRoom(partitionId: string, roomId: string): RoomReadState | undefined {
    return this.getSnapshot(partitionId).rooms[roomId];
  }

  /** Reads `read.summary` (again). Marks not yet confirmed by the server stay as they are here. */
  load(partitionId: string): Promise<void> {
    const p = this.#partition(partitionId);
    if (p.loading) return p.loading;
    const loading = this.#opts.api.summary(partitionId).then(
      (rows) => {
        p.loading = null;
        if (this.#closed) return;
        this.#applySummary(partitionId, p, rows);
      },
      (error: unknown) => {
        p.loading = null;
        p.error = messageOf(error);
        this.#changed(p);
      },
    );
    p.loading = loading;
    return loading;
  }

  /**
   * The user has read the room up to the message at `eventId` (e.g. the last one on screen).
   * Returns false when that is not past the known position (nothing is sent).
   */
  markRead(partitionId: string, roomId: string, eventId: number): boolean {
    const p = this.#partition(partitionId);
    const room = p.rooms.get(roomId);
    if (room && eventId <= room.lastRead) return false;
    if (room) {
      this.#advance(partitionId, room, eventId);
      this.#changed(p);
    }
    this.#queueMark(partitionId, roomId, eventId);
    return true;
  }

  /** Every room of the workspace read to its last message: counts go to 0 here at once. */
  markAllRead(partitionId: string): void {
    const p = this.#partition(partitionId);
    for (const [roomId, room] of p.rooms) {
      this.#cancelMark(partitionId, roomId);
      this.#advance(partitionId, room, Math.max(room.lastRead, room.lastMessage));
    }
    this.#changed(p);
    this.#opts.outbox.act({ partitionId, op: { type: 'read.markAll' }, actorId: this.#opts.me() });
  }

  /** Sends every mark still waiting for its turn now (before the page goes away). */
  flushMarks(): void {
    for (const [k, mark] of this.#marks) {
      if (mark.timer === undefined) continue;
      clearTimeout(mark.timer);
      mark.timer = undefined;
      const [partitionId, roomId] = k.split('\u0000') as [string, string];
      this.#send(partitionId, roomId, mark);
    }
  }

  /** The receipts of a room as last read (`loadReceipts`), kept current by the live events. */
  getReceipts(partitionId: string, roomId: string): ReadReceiptsDto | undefined {
    return this.#receipts.get(key(partitionId, roomId));
  }

  /** Reads who has read how far in a room (`read.receipts`). */
  loadReceipts(partitionId: string, roomId: string): Promise<void> {
    const k = key(partitionId, roomId);
    const running = this.#receiptsLoading.get(k);
    if (running) return running;
    const loading = this.#opts.api
      .receipts(partitionId, roomId)
      .then(
        (dto) => {
          if (this.#closed) return;
          this.#receipts.set(k, dto);
          this.#receiptsEnabled = dto.status !== 'off';
          this.#emitter.emit();
        },
        () => {},
      )
      .finally(() => this.#receiptsLoading.delete(k));
    this.#receiptsLoading.set(k, loading);
    return loading;
  }

  /** Whether this user shares receipts (and sees others'); null until `loadReceiptsSetting()`. */
  get receiptsEnabled(): boolean | null {
    return this.#receiptsEnabled;
  }

  async loadReceiptsSetting(): Promise<boolean> {
    const { enabled } = await this.#opts.api.receiptsSetting();
    this.#receiptsEnabled = enabled;
    this.#emitter.emit();
    return enabled;
  }

  /** Turns receipts on or off for this user (every workspace); the receipts shown are read again. */
  async setReceiptsEnabled(enabled: boolean): Promise<void> {
    const answer = await this.#opts.api.setReceipts(enabled);
    this.#receiptsEnabled = answer.enabled;
    const shown = [...this.#receipts.keys()];
    this.#receipts.clear();
    this.#emitter.emit();
    await Promise.all(shown.map((k) => this.loadReceipts(...(k.split('\u0000') as [string, string]))));
  }

  close(): void {
    this.#closed = true;
    this.flushMarks();
    this.#offEvents();
    this.#offOutbox();
    for (const p of this.#partitions.values()) clearTimeout(p.refreshTimer);
  }

  #partition(partitionId: string): PartitionState {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = { rooms: new Map(), loaded: false, error: null, loading: null, refreshTimer: undefined, snapshot: EMPTY };
      this.#partitions.set(partitionId, p);
    }
    return p;
  }

  #applySummary(partitionId: string, p: PartitionState, rows: readonly ReadStateDto[]): void {
    const rooms = new Map<string, RoomState>();
    for (const row of rows) {
      const local = p.rooms.get(row.roomId);
      // Live messages newer than the summary saw, counted here meanwhile, stay counted.
      const newer = (local?.live ?? []).filter((m) => m.eventId > row.lastMessageEventId && m.eventId > row.lastReadEventId);
      const room: RoomState = {
        lastRead: row.lastReadEventId,
        lastMessage: Math.max(row.lastMessageEventId, local?.lastMessage ?? 0),
        unread: row.unread + newer.length,
        mentions: row.mentions + newer.filter((m) => m.mention).length,
        live: newer,
      };
      // A mark made here that the server has not confirmed yet wins over its older position.
      const marked = Math.max(local?.lastRead ?? 0, this.#marks.get(key(partitionId, row.roomId))?.eventId ?? 0);
      if (marked > room.lastRead) this.#advance(partitionId, room, marked);
      rooms.set(row.roomId, room);
    }
    p.rooms = rooms;
    p.loaded = true;
    p.error = null;
    this.#changed(p);
  }

  /** Moves a room's position forward here and takes what it read off the counts. */
  #advance(partitionId: string, room: RoomState, eventId: number): void {
    if (eventId <= room.lastRead) return;
    room.lastRead = eventId;
    if (eventId >= room.lastMessage) {
      room.unread = room.mentions = 0;
      room.live = [];
      return;
    }
    const read = room.live.filter((m) => m.eventId <= eventId);
    room.live = room.live.filter((m) => m.eventId > eventId);
    // Counted by the server and not known here one by one: only the live ones come off exactly.
    const fromServer = room.unread - read.length - room.live.length;
    room.unread = Math.max(room.live.length, room.unread - read.length);
    room.mentions = Math.max(room.live.filter((m) => m.mention).length, room.mentions - read.filter((m) => m.mention).length);
    if (fromServer > 0) this.#refreshSoon(partitionId);
  }

  #queueMark(partitionId: string, roomId: string, eventId: number): void {
    const k = key(partitionId, roomId);
    const mark = this.#marks.get(k) ?? { eventId: 0, timer: undefined, lastSentAt: -Infinity };
    this.#marks.set(k, mark);
    mark.eventId = Math.max(mark.eventId, eventId);
    if (mark.timer !== undefined) return;
    const now = this.#now();
    const wait = mark.lastSentAt + (this.#opts.coalesceMs ?? READ_MARK_COALESCE_MS) - now;
    if (wait <= 0) {
      this.#send(partitionId, roomId, mark);
      return;
    }
    mark.timer = setTimeout(() => {
      mark.timer = undefined;
      this.#send(partitionId, roomId, mark);
    }, wait);
  }

  #send(partitionId: string, roomId: string, mark: PendingMark): void {
    mark.lastSentAt = this.#now();
    this.#opts.outbox.act({ partitionId, roomId, op: { type: 'read.mark', roomId, eventId: mark.eventId }, actorId: this.#opts.me() });
  }

  /** Drops a mark waiting for its turn, when it goes no further than `upTo`. */
  #cancelMark(partitionId: string, roomId: string, upTo = Infinity): void {
    const mark = this.#marks.get(key(partitionId, roomId));
    if (mark?.timer !== undefined && mark.eventId <= upTo) {
      clearTimeout(mark.timer);
      mark.timer = undefined;
    }
  }

  #now(): number {
    return this.#opts.now?.() ?? Date.now();
  }

  #refreshSoon(partitionId: string): void {
    const p = this.#partitions.get(partitionId);
    if (!p || this.#closed || p.refreshTimer !== undefined) return;
    p.refreshTimer = setTimeout(() => {
      p.refreshTimer = undefined;
      void this.load(partitionId);
    }, REFRESH_DELAY_MS);
  }

  #changed(p: PartitionState): void {
    const rooms: Record<string, RoomReadState> = {};
    for (const [id, r] of p.rooms) rooms[id] = { lastRead: r.lastRead, lastMessage: r.lastMessage, unread: r.unread, mentions: r.mentions };
    p.snapshot = { loaded: p.loaded, rooms, error: p.error };
    this.#emitter.emit();
  }

  #onEvent(event: ParleyEvent): void {
    const p = this.#partitions.get(event.partitionId);
    if (!p || !p.loaded) return;
    const me = this.#opts.me();
    switch (event.type) {
      case 'message.created': {
        const m = event.data;
        const room = p.rooms.get(m.roomId);
        if (!room) {
          this.#refreshSoon(event.partitionId);
          return;
        }
        // Already counted (a replay after a reconnect, or the summary saw it).
        if (m.eventId <= room.lastMessage) return;
        room.lastMessage = m.eventId;
        if (m.authorId !== me && m.eventId > room.lastRead) {
          const mention = mentionsMe((m as { mentions?: unknown }).mentions, me);
          room.live.push({ eventId: m.eventId, mention });
          room.unread += 1;
          if (mention) room.mentions += 1;
        }
        this.#changed(p);
        return;
      }
      case 'message.deleted':
      case 'message.hidden': {
        if (event.type === 'message.hidden' && event.data.userId !== me) return;
        const room = p.rooms.get(event.data.roomId);
        if (!room || room.unread === 0) return;
        // Whether it was among the unread is the server's to say.
        this.#refreshSoon(event.partitionId);
        return;
      }
      case 'read.updated': {
        const { roomId, userId, eventId } = event.data;
        if (userId === me) {
          const room = p.rooms.get(roomId);
          if (!room || eventId <= room.lastRead) return;
          this.#cancelMark(event.partitionId, roomId, eventId);
          this.#advance(event.partitionId, room, eventId);
          this.#changed(p);
          return;
        }
        this.#receiptMoved(event.partitionId, roomId, userId, eventId, event.at);
        return;
      }
      case 'member.joined':
        if (event.data.userId === me) this.#refreshSoon(event.partitionId);
        return;
      case 'room.created':
        if (me !== null && event.data.memberIds?.includes(me)) this.#refreshSoon(event.partitionId);
        return;
      case 'member.left':
        if (event.data.userId === me && p.rooms.delete(event.data.roomId)) this.#changed(p);
        return;
      default:
        return;
    }
  }

  #receiptMoved(partitionId: string, roomId: string, userId: string, eventId: number, at: string): void {
    if (this.#receiptsEnabled === false) return;
    const k = key(partitionId, roomId);
    const receipts = this.#receipts.get(k);
    if (!receipts || receipts.status !== 'shown') return;
    const reader = receipts.readers.find((r) => r.userId === userId);
    if (!reader) {
      // Their name is the server's to give.
      void this.loadReceipts(partitionId, roomId);
      return;
    }
    if (eventId <= reader.eventId) return;
    const readers = receipts.readers.map((r) => (r.userId === userId ? { ...r, eventId, at } : r)).sort((a, b) => b.eventId - a.eventId);
    this.#receipts.set(k, { ...receipts, readers });
    this.#emitter.emit();
  }
}
