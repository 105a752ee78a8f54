import type { MessageDto, ParleyEvent, ReplyRef } from '@parley/api';
import { parseMentions } from '@parley/rules';
import { errorCode, type MessagePage, type ParleyApi } from './api.ts';
import { Emitter } from './emitter.ts';
import { applyChange, applyOp, changedMessageId, isMessageChange, opSatisfied, type MessageChangeEvent, type StoredMessage } from './message-changes.ts';
import { isMessageOp, replySnippet, type MessageOp } from './ops.ts';
import type { OpEntry, Outbox, OutboxEntry, SendEntry } from './outbox.ts';
import type { ClientStorage } from './storage.ts';
import type { AttachmentDto } from './uploads.ts';

export type MessageStatus = 'SENDING' | 'SENT' | 'FAILED';

/** One emoji on a message as the user sees it (pending reactions included). @example `${r.emoji} ${r.count}` with `r.mine` highlighted */
export interface ChatReaction {
  readonly emoji: string;
  /** Who reacted with it, first first. */
  readonly userIds: readonly string[];
  readonly count: number;
  /** This user is among them (needs the client's `user`). */
  readonly mine: boolean;
}

/** A message as a user sees it: the server's copy with this user's pending ops on top, or one of theirs still in the outbox. */
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
  /** '' for a tombstone (deleted for everyone). */
  readonly body: string;
  readonly createdAt: string;
  /** The position in the partition's event log, once sent. */
  readonly eventId: number | null;
  readonly status: MessageStatus;
  /** Waiting in the outbox (not yet handed to the server). */
  readonly queued: boolean;
  /** Why the send failed (FAILED). */
  readonly error: string | null;
  /** The message this one answers (its snippet follows edits; `deleted` once it is a tombstone). */
  readonly replyTo: ReplyRef | null;
  readonly editedAt: string | null;
  /** Deleted for everyone: show a tombstone ("This message was deleted"). */
  readonly deletedAt: string | null;
  readonly pinnedAt: string | null;
  readonly pinnedBy: string | null;
  readonly reactions: readonly ChatReaction[];
  /** Who it mentions (user ids, `'room'` for `@room`): the server's, or read from the body while it is being sent. */
  readonly mentions: readonly string[];
  /** The user blocked the author: show it collapsed, openable. */
  readonly authorBlocked: boolean;
  /** This user's ops on the message still in the outbox (a "saving…" hint). */
  readonly pendingOps: number;
  /** Why the latest failed op on it failed (e.g. an edit after the 5-minute window); the server's copy is shown. */
  readonly opError: string | null;
  /** That failed op's outbox entry: `outbox.cancel(opErrorId)` dismisses it, `outbox.retry(opErrorId)` tries again. */
  readonly opErrorId: string | null;
  /** Its file, if any. */
  readonly attachment: ChatAttachment | null;
}

/**
 * A message's file. `local`: the message is still in the outbox, so the file is this device's copy
 * (`client.uploads.previewUrl(id, mimeType)`, progress in `client.uploads.getProgress(id)`);
 * otherwise the server's (`client.uploads.url(partitionId, id)`, `thumbUrl` when `hasThumb`).
 */
export interface ChatAttachment extends AttachmentDto {
  readonly local: boolean;
}

/** A server message's file (older servers and stored copies have no `attachment`). */
function attachmentOf(m: MessageDto): ChatAttachment | null {
  return m.attachment ? { ...m.attachment, local: false } : null;
}

function pendingAttachment(e: SendEntry): ChatAttachment | null {
  const a = e.attachment;
  if (!a) return null;
  return a.uploaded
    ? { ...a.uploaded, local: true }
    : {
        id: a.mediaId,
        roomId: e.roomId,
        filename: a.filename,
        mimeType: a.mimeType,
        sizeBytes: a.sizeBytes,
        width: null,
        height: null,
        hasThumb: false,
        local: true,
      };
}

export interface RoomView {
  /** Server order (event id), then the user's pending ones in the order they were sent. */
  readonly messages: readonly ChatMessage[];
  /** `empty`: nothing known yet; `ready`: the latest page is here (maybe from storage). */
  readonly status: 'empty' | 'loading' | 'ready' | 'error';
  readonly error: string | null;
  readonly hasOlder: boolean;
  readonly loadingOlder: boolean;
  /**
   * The view shows a stretch of older history (`loadAround`: a search hit), not the latest
   * messages: new ones are not in it, and pending sends are not shown. `loadNewer` reads towards
   * the present (the view becomes the latest again once it gets there), `showLatest` goes back at once.
   */
  readonly detached: boolean;
  /** Newer messages than the last shown exist (only while `detached`). */
  readonly hasNewer: boolean;
  readonly loadingNewer: boolean;
}

export type PartitionSyncStatus = 'idle' | 'live' | 'error';

/** A stretch of older history shown instead of the latest (see {@link RoomView.detached}). */
interface Detached {
  /** Its messages (in `others` unless the window holds them too). */
  readonly ids: Set<string>;
  /** `before` for the page older than it; null at the beginning of the room. */
  olderCursor: number | null;
  /** `after` for the page newer than it; null once it reaches the room's newest message. */
  newerCursor: number | null;
  loadingOlder: boolean;
  loadingNewer: boolean;
}

interface RoomState {
  /** The loaded window of the room, newest pages and those scrolled back to. */
  readonly byId: Map<string, StoredMessage>;
  /** Messages known outside the window (pinned ones from `loadPins`), kept up to date the same way. */
  readonly others: Map<string, StoredMessage>;
  /** Deleted for me: never shown again, whatever page brings them. */
  readonly hidden: Set<string>;
  loaded: boolean;
  /** Loaded, but possibly behind (the user was out of the room for a while). */
  stale: boolean;
  loading: Promise<void> | null;
  error: string | null;
  nextCursor: number | null;
  loadingOlder: boolean;
  pinsLoading: Promise<void> | null;
  /** Older history shown instead of the window, not joined to it yet; null: the window is shown. */
  detached: Detached | null;
  version: number;
}

interface PartitionState {
  readonly id: string;
  lastEventId: number | null;
  readonly rooms: Map<string, RoomState>;
  readonly clientIds: Set<string>;
  /**
   * The message changes this process received, in order: a message that arrives later with an
   * older snapshot (a slow page, a resend's answer) gets those newer than its `asOf`.
   */
  readonly changes: MessageChangeEvent[];
  /** `changes` holds every change after this id (null: no stream yet). */
  changesFrom: number | null;
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

/** v2: messages carry `asOf` and the conversation fields; rooms their hidden ids. v1 is dropped (a first visit again). */
interface StoredPartition {
  v: 2;
  lastEventId: number | null;
  rooms: Record<string, { loaded: boolean; nextCursor: number | null; messages: StoredMessage[]; hidden: string[] }>;
}
const STORED_VERSION = 2;

/** Who blocked whom, as the message view needs it (`BlocksStore`). @example `new MessageStore({ api, storage, outbox, blocks })` */
export interface BlockedSource {
  /** Blocked user ids, pending blocks and unblocks applied. */
  getSnapshot(): ReadonlySet<string>;
  /** The server's list was read: the set decides alone (a stale server mark no longer counts). */
  readonly loaded: boolean;
  subscribe(listener: () => void): () => void;
}

export interface MessageStoreOptions {
  api: ParleyApi;
  storage: ClientStorage;
  outbox: Outbox;
  /** This user's id (own reactions, optimistic reactions and pins). */
  me?: (() => string | null | undefined) | undefined;
  blocks?: BlockedSource | undefined;
  /** Messages kept per room in storage (the rest is fetched again when scrolled to). */
  persistPerRoom?: number | undefined;
  persistDelayMs?: number | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
}

/** Change events kept for late snapshots; past this, a room whose page is older is marked stale (reloaded next time). */
const MAX_CHANGES = 2000;
/** Hidden ids kept per room in storage. */
const MAX_HIDDEN_STORED = 1000;
/**
 * How long an answered op stays on top of the server's copy when no event shows it (the server
 * changed nothing: a repeat, or someone undid it meanwhile). Normally its event ends it sooner.
 *
 * @example `vi.advanceTimersByTime(CONFIRMED_OP_TTL_MS)` (tests)
 */
export const CONFIRMED_OP_TTL_MS = 15_000;

const EMPTY_ROOM: RoomView = {
  messages: [],
  status: 'empty',
  error: null,
  hasOlder: false,
  loadingOlder: false,
  detached: false,
  hasNewer: false,
  loadingNewer: false,
};
const NO_PINS: readonly ChatMessage[] = [];

function byPosition(a: MessageDto, b: MessageDto): number {
  return a.eventId - b.eventId;
}

function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Could not load messages.';
}

interface Confirmed {
  readonly entry: OpEntry & { readonly op: MessageOp; readonly partitionId: string };
  readonly until: number;
}

/**
 * The optimistic message store. Server messages are kept by id and shown in event order; each
 * keeps `asOf`, the event id its copy reflects, so a change event applies once and only on top
 * of an older copy (replays, duplicates and late pages converge to the server's state). This
 * user's pending ops (edits, deletions, reactions, pins) are shown on top until the server's copy
 * shows them or they fail. The outbox's sends are shown after the server's messages until the
 * server's copy with the same clientId arrives, by event or by the send's reply, whichever comes
 * first. Per partition it keeps the last event id with the messages it covers, in storage, so a
 * reloaded page shows them at once and resumes the stream from there.
 */
export class MessageStore {
  readonly #opts: MessageStoreOptions;
  readonly #emitter = new Emitter();
  readonly #eventListeners = new Set<(event: ParleyEvent) => void>();
  readonly #partitions = new Map<string, PartitionState>();
  readonly #views = new Map<string, { version: number; entries: readonly OutboxEntry[]; blocked: ReadonlySet<string> | null; view: RoomView }>();
  readonly #pinViews = new Map<
    string,
    { version: number; entries: readonly OutboxEntry[]; blocked: ReadonlySet<string> | null; pins: readonly ChatMessage[] }
  >();
  /** Answered ops per `partitionId\0messageId`, oldest first, shown until the server's copy shows them. */
  readonly #confirmed = new Map<string, Confirmed[]>();
  #confirmedTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #offOutbox: () => void;
  readonly #offBlocks: () => void;
  #closed = false;

  constructor(options: MessageStoreOptions) {
    this.#opts = options;
    this.#offOutbox = options.outbox.subscribe(() => this.#emitter.emit());
    this.#offBlocks = options.blocks?.subscribe(() => this.#emitter.emit()) ?? (() => {});
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** A room as it should be shown now. The same object until something in it changes. */
  getRoom(partitionId: string, roomId: string): RoomView {
    const room = this.#partitions.get(partitionId)?.rooms.get(roomId);
    const entries = this.#entriesOf(partitionId, roomId);
    const blocked = this.#opts.blocks?.getSnapshot() ?? null;
    const key = `${partitionId}\u0000${roomId}`;
    const cached = this.#views.get(key);
    const version = room?.version ?? -1;
    if (cached && cached.version === version && cached.blocked === blocked && sameEntries(cached.entries, entries)) return cached.view;
    const view = this.#buildView(partitionId, room, entries);
    this.#views.set(key, { version, entries, blocked, view });
    return view;
  }

  /**
   * The room's pinned messages, most recently pinned first: those of the loaded window and
   * those `loadPins` fetched, with this user's pending pins and unpins. The same array until
   * something in the room changes.
   */
  getPins(partitionId: string, roomId: string): readonly ChatMessage[] {
    const room = this.#partitions.get(partitionId)?.rooms.get(roomId);
    if (!room) return NO_PINS;
    const entries = this.#entriesOf(partitionId, roomId);
    const blocked = this.#opts.blocks?.getSnapshot() ?? null;
    const key = `${partitionId}\u0000${roomId}`;
    const cached = this.#pinViews.get(key);
    if (cached && cached.version === room.version && cached.blocked === blocked && sameEntries(cached.entries, entries)) return cached.pins;
    const ops = entries.filter((e): e is OpEntry => e.kind === 'op');
    const all = new Map(room.others);
    for (const [id, m] of room.byId) all.set(id, m);
    const pins = [...all.values()]
      .map((m) => this.#present(partitionId, m, ops))
      .filter((m): m is ChatMessage => m !== null && m.pinnedAt !== null)
      .sort((a, b) => (a.pinnedAt! < b.pinnedAt! ? 1 : a.pinnedAt! > b.pinnedAt! ? -1 : 0));
    this.#pinViews.set(key, { version: room.version, entries, blocked, pins });
    return pins;
  }

  /** The room a known message is in (the loaded window or the pins), or null. */
  roomOf(partitionId: string, messageId: string): string | null {
    const p = this.#partitions.get(partitionId);
    if (!p) return null;
    for (const [roomId, room] of p.rooms) if (room.byId.has(messageId) || room.others.has(messageId)) return roomId;
    return null;
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
    if (room.detached) return this.#loadDetached(p, roomId, room, room.detached, 'older');
    if (room.loadingOlder || room.nextCursor === null) return;
    room.loadingOlder = true;
    room.error = null;
    this.#touch(room);
    try {
      const page = await this.#opts.api.list({ partitionId, roomId, before: room.nextCursor });
      this.#putPage(p, room, page);
      room.nextCursor = page.nextCursor;
      this.#scheduleSave(p);
    } catch (error) {
      room.error = errorText(error);
    } finally {
      room.loadingOlder = false;
      this.#touch(room);
    }
  }

  /**
   * Loads older pages until `messageId` is in the room's window (a reply's "jump to the
   * original"), at most `maxPages`. True when it is there (or hidden: deleted for me).
   */
  async loadUntil(partitionId: string, roomId: string, messageId: string, maxPages = 20): Promise<boolean> {
    await this.loadRoom(partitionId, roomId);
    const p = this.#partition(partitionId);
    const room = this.#room(p, roomId);
    // Reading older history already: its own pages, around the message.
    if (room.detached) return this.loadAround(partitionId, roomId, messageId);
    for (let pages = 0; ; pages += 1) {
      if (room.byId.has(messageId) || room.hidden.has(messageId)) return true;
      if (pages >= maxPages || room.nextCursor === null || room.error) return false;
      if (room.loadingOlder) await new Promise<void>((resolve) => setTimeout(resolve, 50));
      else await this.loadOlder(partitionId, roomId);
    }
  }

  /**
   * Shows the room's history around `messageId` (a search hit's "jump to"), however far back:
   * nothing to fetch when the loaded window has it; otherwise one page around it
   * (`message.list({ around })`). A page that reaches the window joins it (the window grows back
   * to it); one further back is shown instead of the window (`view.detached`) until `loadNewer`
   * reaches the window or `showLatest` is called. True when the message is shown (or deleted for
   * me); false when the server does not have it in this room (NOT_FOUND). Other failures throw.
   */
  async loadAround(partitionId: string, roomId: string, messageId: string, limit = 50): Promise<boolean> {
    await this.loadRoom(partitionId, roomId);
    const p = this.#partition(partitionId);
    const room = this.#room(p, roomId);
    if (room.hidden.has(messageId) || room.detached?.ids.has(messageId)) return true;
    if (room.byId.has(messageId)) {
      this.showLatest(partitionId, roomId);
      return true;
    }
    let page: MessagePage;
    try {
      page = await this.#opts.api.list({ partitionId, roomId, around: messageId, limit });
    } catch (error) {
      if (errorCode(error) === 'NOT_FOUND') return false;
      throw error;
    }
    if (this.#reachesWindow(room, page, page.newerCursor ?? null)) {
      this.#showLatest(room);
      const oldest = this.#oldestInWindow(room);
      this.#putPage(p, room, page);
      const first = page.messages[0];
      if (first && (oldest === undefined || first.eventId < oldest)) room.nextCursor = page.nextCursor;
      this.#checkSnapshot(p, room, page.asOf);
      this.#scheduleSave(p);
    } else {
      this.#showLatest(room);
      const detached: Detached = {
        ids: new Set(),
        olderCursor: page.nextCursor,
        newerCursor: page.newerCursor ?? null,
        loadingOlder: false,
        loadingNewer: false,
      };
      room.detached = detached;
      this.#putDetached(p, room, detached, page);
      this.#checkSnapshot(p, room, page.asOf);
    }
    this.#touch(room);
    return room.hidden.has(messageId) || room.byId.has(messageId) || room.others.has(messageId);
  }

  /** While detached: the page after the newest message shown; reaching the window (or the present) joins it. */
  async loadNewer(partitionId: string, roomId: string): Promise<void> {
    const p = this.#partition(partitionId);
    const room = this.#room(p, roomId);
    if (room.detached) await this.#loadDetached(p, roomId, room, room.detached, 'newer');
  }

  /** Back to the latest messages (after `loadAround` showed older history). */
  showLatest(partitionId: string, roomId: string): void {
    const room = this.#partitions.get(partitionId)?.rooms.get(roomId);
    if (!room?.detached) return;
    this.#showLatest(room);
    this.#touch(room);
  }

  #showLatest(room: RoomState): void {
    const detached = room.detached;
    if (!detached) return;
    room.detached = null;
    // What only the detached view held goes (pinned messages stay: the pins list shows them).
    for (const id of detached.ids) {
      const m = room.others.get(id);
      if (m && m.pinnedAt === null) room.others.delete(id);
    }
  }

  async #loadDetached(p: PartitionState, roomId: string, room: RoomState, detached: Detached, direction: 'older' | 'newer'): Promise<void> {
    const older = direction === 'older';
    if (older ? detached.loadingOlder || detached.olderCursor === null : detached.loadingNewer) return;
    if (!older && detached.newerCursor === null) {
      this.#join(p, room, detached);
      return;
    }
    if (older) detached.loadingOlder = true;
    else detached.loadingNewer = true;
    room.error = null;
    this.#touch(room);
    try {
      const page = await this.#opts.api.list(
        older ? { partitionId: p.id, roomId, before: detached.olderCursor! } : { partitionId: p.id, roomId, after: detached.newerCursor! },
      );
      if (room.detached !== detached) return;
      this.#putDetached(p, room, detached, page);
      this.#checkSnapshot(p, room, page.asOf);
      if (older) detached.olderCursor = page.nextCursor;
      else {
        detached.newerCursor = page.newerCursor ?? null;
        if (this.#reachesWindow(room, page, detached.newerCursor)) this.#join(p, room, detached);
      }
    } catch (error) {
      room.error = errorText(error);
    } finally {
      if (older) detached.loadingOlder = false;
      else detached.loadingNewer = false;
      this.#touch(room);
    }
  }

  #putDetached(p: PartitionState, room: RoomState, detached: Detached, page: MessagePage): void {
    for (const m of page.messages) {
      detached.ids.add(m.id);
      this.#put(p, room, m, page.asOf, 'others');
    }
  }

  /** A page with the room's newest message, or overlapping the loaded window: nothing lies between them. */
  #reachesWindow(room: RoomState, page: MessagePage, newerCursor: number | null): boolean {
    if (newerCursor === null) return true;
    const oldest = this.#oldestInWindow(room);
    return oldest !== undefined && page.messages.some((m) => m.eventId >= oldest);
  }

  /** The detached stretch and the window touch: they become one window, reaching back as far as the stretch. */
  #join(p: PartitionState, room: RoomState, detached: Detached): void {
    for (const id of detached.ids) {
      const m = room.others.get(id);
      if (!m) continue;
      room.byId.set(id, m);
      room.others.delete(id);
    }
    room.nextCursor = detached.olderCursor;
    room.detached = null;
    this.#touch(room);
    this.#scheduleSave(p);
  }

  #oldestInWindow(room: RoomState): number | undefined {
    let oldest: number | undefined;
    for (const m of room.byId.values()) if (oldest === undefined || m.eventId < oldest) oldest = m.eventId;
    return oldest;
  }

  /** Fetches the room's pinned messages (also those far back in its history) for `getPins`. */
  async loadPins(partitionId: string, roomId: string): Promise<void> {
    await this.restore(partitionId);
    const p = this.#partition(partitionId);
    if (p.watchers > 0) await p.positioned;
    const room = this.#room(p, roomId);
    if (room.pinsLoading) return room.pinsLoading;
    room.pinsLoading = this.#opts.api
      .pins({ partitionId, roomId })
      .then((page) => {
        const listed = new Set(page.messages.map((m) => m.id));
        // What the list no longer has was unpinned (or deleted) by its snapshot: unless a newer copy says otherwise.
        for (const [id, m] of room.others) if (!listed.has(id) && m.asOf <= page.asOf && !room.detached?.ids.has(id)) room.others.delete(id);
        for (const m of page.messages) this.#put(p, room, m, page.asOf, room.byId.has(m.id) ? 'window' : 'others');
        this.#checkSnapshot(p, room, page.asOf);
      })
      .finally(() => {
        room.pinsLoading = null;
        this.#touch(room);
      });
    return room.pinsLoading;
  }

  /** The server's copy of a message (the reply to a send). */
  addMessage(message: MessageDto): void {
    const p = this.#partition(message.partitionId);
    const room = this.#room(p, message.roomId);
    // The answer to a resend is the message as it is now, but its position in the log is not
    // known: it counts as older than its own `message.created`, which replaces it when it comes.
    if (this.#put(p, room, message, message.eventId - 1, 'window')) {
      this.#touch(room);
      this.#scheduleSave(p);
    }
  }

  /**
   * An op the server answered: shown on top of the server's copy until that copy shows it (its
   * event arrived), or for {@link CONFIRMED_OP_TTL_MS} when the server changed nothing.
   */
  opApplied(entry: OpEntry): void {
    if (!isMessageOp(entry.op) || entry.partitionId === null) return;
    const key = `${entry.partitionId}\u0000${entry.op.messageId}`;
    const list = this.#confirmed.get(key) ?? [];
    list.push({ entry: entry as Confirmed['entry'], until: Date.now() + CONFIRMED_OP_TTL_MS });
    this.#confirmed.set(key, list);
    this.#scheduleConfirmedExpiry();
    const p = this.#partition(entry.partitionId);
    this.#settleOps(p, entry.op.messageId);
    const roomId = entry.roomId ?? this.roomOf(entry.partitionId, entry.op.messageId);
    const room = roomId ? p.rooms.get(roomId) : undefined;
    if (room) this.#touch(room);
  }

  /** Writes pending snapshots now (tests, page hide). */
  async persist(): Promise<void> {
    await Promise.all([...this.#partitions.values()].map((p) => this.#save(p)));
  }

  close(): void {
    this.#closed = true;
    this.#offOutbox();
    this.#offBlocks();
    clearTimeout(this.#confirmedTimer);
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
    p.changesFrom ??= p.lastEventId;
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
    const fresh = p.lastEventId === null || event.id > p.lastEventId;
    if (event.type === 'message.created') {
      // Kept by id with the event's position, so a replayed or repeated event changes nothing.
      const room = this.#room(p, event.data.roomId);
      if (this.#put(p, room, event.data, event.id, 'window')) {
        this.#touch(room);
        this.#scheduleSave(p);
      }
    } else if (isMessageChange(event)) {
      if (fresh) this.#logChange(p, event);
      if (this.#applyChangeEvent(p, event)) this.#scheduleSave(p);
    }
    if (!fresh) return;
    p.lastEventId = event.id;
    if (event.type === 'member.joined' || event.type === 'member.left') {
      // Events of a room stop while one is out of it: its cached page may be behind.
      const room = p.rooms.get(event.data.roomId);
      if (room && event.type === 'member.joined') room.stale = true;
    }
    this.#scheduleSave(p);
    for (const listener of [...this.#eventListeners]) listener(event);
  }

  #logChange(p: PartitionState, event: MessageChangeEvent): void {
    p.changes.push(event);
    if (p.changes.length > MAX_CHANGES) p.changesFrom = p.changes.shift()!.id;
  }

  /** Applies a change to the room's copies (the message and the replies quoting it). True when something changed. */
  #applyChangeEvent(p: PartitionState, event: MessageChangeEvent): boolean {
    const room = this.#room(p, event.data.roomId);
    const id = changedMessageId(event);
    if (event.type === 'message.hidden') {
      const me = this.#opts.me?.();
      // Only the hider's streams carry it; a stranger's would be a server bug, not ours to show.
      if (me && event.data.userId !== me) return false;
      if (room.hidden.has(id)) return false;
      room.hidden.add(id);
      room.byId.delete(id);
      room.others.delete(id);
      this.#settleOps(p, id);
      this.#touch(room);
      return true;
    }
    let changed = false;
    for (const map of [room.byId, room.others]) {
      for (const [key, m] of map) {
        if (key !== id && m.replyTo?.id !== id) continue;
        const next = applyChange(m, event);
        if (next === m) continue;
        map.set(key, next);
        changed = true;
      }
    }
    if (!changed) return false;
    this.#settleOps(p, id);
    this.#touch(room);
    return true;
  }

  #mergeLatest(p: PartitionState, room: RoomState, page: MessagePage): void {
    this.#putPage(p, room, page);
    if (!room.loaded) room.nextCursor = page.nextCursor;
    room.loaded = true;
    room.stale = false;
    this.#checkSnapshot(p, room, page.asOf);
    this.#scheduleSave(p);
  }

  #putPage(p: PartitionState, room: RoomState, page: MessagePage): void {
    for (const m of page.messages) this.#put(p, room, m, page.asOf, 'window');
  }

  /** A snapshot older than the change log reaches: it may lack changes nobody can give it now; the next `loadRoom` fetches again. */
  #checkSnapshot(p: PartitionState, room: RoomState, asOf: number): void {
    if (p.changesFrom !== null && asOf < p.changesFrom) room.stale = true;
  }

  /**
   * Adds a server message, or replaces an older copy of it (`asOf` higher), bringing it up to
   * date with the changes this process saw after `asOf`. False when nothing changed.
   */
  #put(p: PartitionState, room: RoomState, message: MessageDto, asOf: number, where: 'window' | 'others'): boolean {
    p.clientIds.add(message.clientId);
    if (room.hidden.has(message.id)) return false;
    const existing = room.byId.get(message.id) ?? room.others.get(message.id);
    if (existing && existing.asOf >= asOf) {
      // Already known outside the window: it belongs to the window now too.
      if (where === 'window' && !room.byId.has(message.id)) {
        room.byId.set(message.id, existing);
        room.others.delete(message.id);
        return true;
      }
      return false;
    }
    let stored: StoredMessage = { ...message, asOf };
    for (const event of p.changes) {
      if (event.id <= asOf) continue;
      const target = changedMessageId(event);
      if (target !== message.id && stored.replyTo?.id !== target) continue;
      if (event.type === 'message.hidden' && target === message.id) {
        room.hidden.add(message.id);
        room.byId.delete(message.id);
        room.others.delete(message.id);
        return true;
      }
      stored = applyChange(stored, event);
    }
    if (where === 'window' || room.byId.has(message.id)) {
      room.byId.set(message.id, stored);
      room.others.delete(message.id);
    } else {
      room.others.set(message.id, stored);
    }
    this.#settleOps(p, message.id);
    return true;
  }

  /** Lets go of answered ops (oldest first) that the server's copy now shows. */
  #settleOps(p: PartitionState, messageId: string): void {
    const key = `${p.id}\u0000${messageId}`;
    const list = this.#confirmed.get(key);
    if (!list) return;
    const found = this.#find(p, messageId);
    while (list.length > 0) {
      const { entry } = list[0]!;
      if (!opSatisfied(found?.message, found?.hidden ?? true, entry.op, this.#actor(entry))) break;
      list.shift();
    }
    if (list.length === 0) this.#confirmed.delete(key);
  }

  #find(p: PartitionState, messageId: string): { message: StoredMessage | undefined; hidden: boolean } | undefined {
    for (const room of p.rooms.values()) {
      if (room.hidden.has(messageId)) return { message: undefined, hidden: true };
      const message = room.byId.get(messageId) ?? room.others.get(messageId);
      if (message) return { message, hidden: false };
    }
    return undefined;
  }

  #scheduleConfirmedExpiry(): void {
    clearTimeout(this.#confirmedTimer);
    this.#confirmedTimer = undefined;
    if (this.#closed) return;
    let next = Number.POSITIVE_INFINITY;
    for (const list of this.#confirmed.values()) for (const c of list) next = Math.min(next, c.until);
    if (next === Number.POSITIVE_INFINITY) return;
    this.#confirmedTimer = setTimeout(
      () => {
        const now = Date.now();
        for (const [key, list] of this.#confirmed) {
          const kept = list.filter((c) => c.until > now);
          if (kept.length === list.length) continue;
          if (kept.length > 0) this.#confirmed.set(key, kept);
          else this.#confirmed.delete(key);
          const [partitionId, messageId] = key.split('\u0000') as [string, string];
          const p = this.#partitions.get(partitionId);
          const roomId = p ? this.roomOf(partitionId, messageId) : null;
          const room = roomId ? p?.rooms.get(roomId) : undefined;
          if (room) this.#touch(room);
        }
        this.#scheduleConfirmedExpiry();
      },
      Math.max(0, next - Date.now()),
    );
  }

  #actor(entry: OpEntry): string {
    return entry.actorId ?? this.#opts.me?.() ?? '';
  }

  /** The outbox entries shown in a room: its sends, and the ops on its messages. */
  #entriesOf(partitionId: string, roomId: string): OutboxEntry[] {
    return this.#opts.outbox.getSnapshot().filter((e) => e.partitionId === partitionId && e.roomId === roomId);
  }

  /** A server message as this user sees it, or null when a pending "delete for me" hides it. */
  #present(partitionId: string, m: StoredMessage, ops: readonly OpEntry[]): ChatMessage | null {
    const mine = ops.filter((e) => isMessageOp(e.op) && e.op.messageId === m.id);
    const confirmed = this.#confirmed.get(`${partitionId}\u0000${m.id}`) ?? [];
    const overlays = [...confirmed.map((c) => c.entry), ...mine.filter((e) => e.status !== 'failed')];
    let shown: MessageDto | null = m;
    for (const entry of overlays) {
      shown = applyOp(shown, entry.op as MessageOp, this.#actor(entry), entry.createdAt);
      if (!shown) return null;
    }
    const failed = mine.filter((e) => e.status === 'failed').at(-1);
    const me = this.#opts.me?.() ?? null;
    const blocks = this.#opts.blocks;
    const blocked = blocks?.getSnapshot().has(m.authorId) ?? false;
    return {
      key: m.clientId,
      id: m.id,
      clientId: m.clientId,
      partitionId: m.partitionId,
      roomId: m.roomId,
      authorId: m.authorId,
      authorName: m.authorName,
      body: shown.body,
      createdAt: m.createdAt,
      eventId: m.eventId,
      status: 'SENT',
      queued: false,
      error: null,
      replyTo: shown.replyTo,
      editedAt: shown.editedAt,
      deletedAt: shown.deletedAt,
      pinnedAt: shown.pinnedAt,
      pinnedBy: shown.pinnedBy,
      reactions: shown.reactions.map((r) => ({ emoji: r.emoji, userIds: r.userIds, count: r.userIds.length, mine: me !== null && r.userIds.includes(me) })),
      // Servers older than mentions send none.
      mentions: m.mentions ?? [],
      // Once the user's own list is read it decides: the server's mark is as of when the copy was made.
      authorBlocked: blocks?.loaded ? blocked : blocked || m.authorBlocked === true,
      pendingOps: mine.filter((e) => e.status !== 'failed').length,
      opError: failed?.error ?? null,
      opErrorId: failed?.clientId ?? null,
      // A tombstone keeps no file.
      attachment: shown.deletedAt ? null : attachmentOf(m),
    };
  }

  #pending(e: SendEntry, room: RoomState | undefined): ChatMessage {
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
      replyTo: e.replyTo ? replyRefTo(e.replyTo, room?.byId.get(e.replyTo) ?? room?.others.get(e.replyTo)) : null,
      editedAt: null,
      deletedAt: null,
      pinnedAt: null,
      pinnedBy: null,
      reactions: [],
      mentions: parseMentions(e.body),
      authorBlocked: false,
      pendingOps: 0,
      opError: null,
      opErrorId: null,
      attachment: pendingAttachment(e),
    };
  }

  #buildView(partitionId: string, room: RoomState | undefined, entries: readonly OutboxEntry[]): RoomView {
    const p = this.#partitions.get(partitionId);
    const sends = entries.filter((e): e is SendEntry => e.kind === 'send');
    if (!room && sends.length === 0) return EMPTY_ROOM;
    const ops = entries.filter((e): e is OpEntry => e.kind === 'op');
    const detached = room?.detached;
    if (room && detached) {
      const shown = [...detached.ids]
        .map((id) => room.byId.get(id) ?? room.others.get(id))
        .filter((m): m is StoredMessage => m !== undefined)
        .sort(byPosition)
        .map((m) => this.#present(partitionId, m, ops))
        .filter((m): m is ChatMessage => m !== null);
      return {
        messages: shown,
        status: 'ready',
        error: room.error,
        hasOlder: detached.olderCursor !== null,
        loadingOlder: detached.loadingOlder,
        detached: true,
        hasNewer: true,
        loadingNewer: detached.loadingNewer,
      };
    }
    const confirmed = room
      ? [...room.byId.values()]
          .sort(byPosition)
          .map((m) => this.#present(partitionId, m, ops))
          .filter((m): m is ChatMessage => m !== null)
      : [];
    const waiting = sends.filter((e) => !p?.clientIds.has(e.clientId)).map((e) => this.#pending(e, room));
    const status: RoomView['status'] = room?.loaded ? 'ready' : room?.loading ? 'loading' : room?.error ? 'error' : 'empty';
    return {
      messages: [...confirmed, ...waiting],
      status,
      error: room?.error ?? null,
      hasOlder: room ? room.loaded && room.nextCursor !== null : false,
      loadingOlder: room?.loadingOlder ?? false,
      detached: false,
      hasNewer: false,
      loadingNewer: false,
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
        changes: [],
        changesFrom: null,
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
      room = {
        byId: new Map(),
        others: new Map(),
        hidden: new Set(),
        loaded: false,
        stale: false,
        loading: null,
        error: null,
        nextCursor: null,
        loadingOlder: false,
        pinsLoading: null,
        detached: null,
        version: 0,
      };
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
    p.changes.length = 0;
    p.changesFrom = null;
    for (const room of p.rooms.values()) {
      room.byId.clear();
      room.others.clear();
      room.hidden.clear();
      room.loaded = false;
      room.stale = false;
      room.nextCursor = null;
      room.detached = null;
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
    // An older format lacks what changed messages since (edits, deletions, reactions): start afresh.
    if (!stored || stored.v !== STORED_VERSION) return;
    // Whatever arrived while reading is newer than the stored position only if it is past it.
    if (p.lastEventId === null || (stored.lastEventId ?? 0) > p.lastEventId) p.lastEventId = stored.lastEventId;
    for (const [roomId, saved] of Object.entries(stored.rooms)) {
      const room = this.#room(p, roomId);
      for (const id of saved.hidden ?? []) room.hidden.add(id);
      for (const m of saved.messages) {
        const { asOf, ...message } = m;
        this.#put(p, room, message, asOf, 'window');
      }
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
        hidden: [...room.hidden].slice(-MAX_HIDDEN_STORED),
      };
    }
    const value: StoredPartition = { v: STORED_VERSION, lastEventId: p.lastEventId, rooms };
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

/** A pending reply's quote, from the original when the store has it. */
function replyRefTo(id: string, original: MessageDto | undefined): ReplyRef {
  if (!original) return { id, authorId: '', authorName: '', snippet: '', deleted: false };
  return { id, authorId: original.authorId, authorName: original.authorName, snippet: replySnippet(original.body), deleted: original.deletedAt !== null };
}
