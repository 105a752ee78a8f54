import type { RequestHandler } from 'msw';
import type { createTRPCMsw } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import {
  canManageRoom,
  EDIT_WINDOW_MS,
  editWindowClosed as editWindowClosedAt,
  EMOJIS_PER_MESSAGE,
  isReactionEmoji,
  MESSAGE_MAX_CHARS,
  PINS_PER_ROOM,
  REFUSAL,
  replySnippet,
  SEARCH_PAGE_MAX,
  SEARCH_QUERY_MAX_CHARS,
  searchSnippet,
  searchTerms,
  type AppRouter,
  type BlockedUserDto,
  type ReplyRef,
  type SearchHitDto,
} from '@parley/client';
import type { Me, MessageDto, ParleyEvent, Role } from '../lib/trpc.ts';
import { findRoom } from './mock-conversations.ts';
import { REFUSALS, roomAudience, type Audience, type MockRoom, type PartitionState } from './mock-state.ts';

/** What the message procedures need of `MockParley`. */
export interface MessageHost {
  readonly partitions: ReadonlyMap<string, PartitionState>;
  /** As `partitionProcedure(min)`: the signed-in user's membership, at least `min`. */
  access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role };
  signedIn(): Me;
  /** Logs the event (next id) for `audience` and streams it to those of them listening. */
  append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent;
  /** As `commitChange`: the same opId gets the first answer back and changes nothing. */
  once<T>(opId: string | undefined, run: () => T): T;
  /** Blocks, as `blocker→blocked` (shared with the DM and room rules). */
  readonly blocks: Set<string>;
}

type Trpc = ReturnType<typeof createTRPCMsw<AppRouter>>;
type Refusal = { code: TRPC_ERROR_CODE_KEY; message: string };

/** The real server's words (`@parley/rules`' `REFUSAL`, which the server throws). */
export const MESSAGE_REFUSALS = {
  noSuchMessage: REFUSAL.noSuchMessage,
  deleted: REFUSAL.messageDeleted,
  notYours: REFUSAL.notYourMessage,
  notModerator: REFUSAL.notMessageModerator,
  notInThisRoom: REFUSAL.notInThisRoom,
  replyElsewhere: REFUSAL.replyElsewhere,
  replyDeleted: REFUSAL.replyDeleted,
  notEmoji: `emoji: ${REFUSAL.notEmoji}`,
  tooManyEmojis: REFUSAL.tooManyEmojis,
  tooManyPins: REFUSAL.tooManyPins,
  blockSelf: REFUSAL.blockSelf,
  noSuchPerson: REFUSAL.noSuchPerson,
  joinFirst: REFUSAL.joinRoomFirst,
} as const;

/** The server's edit refusal, with the moment the window closed as the server writes it. */
export function editWindowClosed(createdAt: string): string {
  return editWindowClosedAt(Date.parse(createdAt) + EDIT_WINDOW_MS);
}

const PAGE_SIZE = 50;

const refuse = (code: TRPC_ERROR_CODE_KEY, message: string) => new TRPCError({ code, message });

interface Found {
  p: PartitionState;
  room: MockRoom;
  message: MessageDto;
}

/**
 * Edits, deletions, reactions, pins and blocks on the fake server, under the real server's rules
 * and with its events (`message.edited`, `message.deleted`, `message.hidden` to its user alone,
 * `message.pinned`/`unpinned`, `reaction.added`/`removed`). `message.created` events keep the
 * message as it was sent; the current copy of each changed message lives here, and
 * `message.list` / `message.pins` answer with it (as of `asOf`, the log's length).
 *
 * Tests change messages as someone else (`editAs`, `deleteAs`, `reactAs`, `pinAs`, with no
 * checks), move the server's clock (`clockOffsetMs`: the database clock that judges the 5-minute
 * edit window) or refuse every op (`refuseOps`).
 */
export class MockMessageActions {
  /** How far the server's (database) clock is ahead of the test's: past 5 minutes, edits are refused. */
  clockOffsetMs = 0;
  readonly #host: MessageHost;
  /** Current copies of messages changed since they were sent, by id. */
  readonly #current = new Map<string, MessageDto>();
  /** Deleted for me: user id → message ids. */
  readonly #hidden = new Map<string, Set<string>>();
  readonly #blockedAt = new Map<string, string>();
  #opRefusal: Refusal | null = null;

  constructor(host: MessageHost) {
    this.#host = host;
  }

  /** The server's clock (ms). */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Refuses every edit, deletion, reaction and pin with this tRPC error until called with null. */
  refuseOps(refusal: Refusal | null): void {
    this.#opRefusal = refusal;
  }

  /** The message as the server has it now (its `message.created` copy, changed since). */
  current(message: MessageDto): MessageDto {
    return this.#current.get(message.id) ?? message;
  }

  /** A message by id, as the server has it now. */
  message(messageId: string): MessageDto {
    return this.#find(messageId).message;
  }

  /** Someone else (Bob unless said) changes the text of a message, with no checks: `message.edited`. */
  editAs(messageId: string, body: string, { by = BOB_ID }: { by?: string } = {}): void {
    this.#edit(this.#find(messageId), body, by);
  }

  /** Someone else (Bob unless said) deletes a message for everyone, with no checks: `message.deleted`. */
  deleteAs(messageId: string, { by = BOB_ID }: { by?: string } = {}): void {
    this.#delete(this.#find(messageId), by);
  }

  /** Someone else (Bob unless said) reacts (or takes it back with `on: false`), with no checks. */
  reactAs(messageId: string, emoji: string, { by = BOB_ID, on = true }: { by?: string; on?: boolean } = {}): void {
    this.#react(this.#find(messageId), emoji, by, on);
  }

  /** Someone else (Bob unless said) pins or unpins a message, with no checks. */
  pinAs(messageId: string, { by = BOB_ID, pinned = true }: { by?: string; pinned?: boolean } = {}): void {
    this.#pin(this.#find(messageId), by, pinned);
  }

  /** The ids `userId` has blocked. */
  blockedBy(userId: string): string[] {
    return [...this.#host.blocks].filter((key) => key.startsWith(`${userId}→`)).map((key) => key.slice(userId.length + 1));
  }

  /** What `message.send` stores as `replyTo`, or the server's refusal. */
  replyTarget(partitionId: string, roomId: string, messageId: string): ReplyRef {
    const p = this.#host.partitions.get(partitionId);
    const original = p ? this.#roomMessages(p).find((m) => m.id === messageId) : undefined;
    if (!p || !original || original.roomId !== roomId) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.replyElsewhere);
    if (original.deletedAt) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.replyDeleted);
    const author = p.members.find((m) => m.userId === original.authorId)?.displayName ?? '';
    return { id: original.id, authorId: original.authorId, authorName: author, snippet: replySnippet(original.body), deleted: false };
  }

  /** A `message.created` as `userId`'s stream carries it: marked when they blocked the author. */
  asSeenBy(event: ParleyEvent, userId: string | undefined): ParleyEvent {
    if (event.type !== 'message.created' || !userId || !this.#host.blocks.has(`${userId}→${event.data.authorId}`)) return event;
    return { ...event, data: { ...event.data, authorBlocked: true } };
  }

  procedures(t: Trpc): RequestHandler[] {
    const host = this.#host;
    return [
      t.message.list.query(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'viewer');
        this.#roomOf(p, input.roomId, me.id);
        const shown = this.#visible(p, input.roomId, me.id);
        const limit = input.limit ?? PAGE_SIZE;
        const asOf = p.events.length;
        if (input.after !== undefined) {
          const later = shown.filter((m) => m.eventId > input.after!);
          const page = later.slice(0, limit);
          return { messages: page, asOf, nextCursor: page[0]?.eventId ?? null, newerCursor: later.length > limit ? page.at(-1)!.eventId : null };
        }
        let before = input.before;
        let newer: MessageDto[] = [];
        let moreNewer = false;
        if (input.around) {
          const target = shown.find((m) => m.id === input.around);
          if (!target) throw refuse('NOT_FOUND', MESSAGE_REFUSALS.notInThisRoom);
          const later = shown.filter((m) => m.eventId > target.eventId);
          newer = later.slice(0, Math.floor(limit / 2));
          moreNewer = later.length > newer.length;
          before = target.eventId + 1;
        }
        const all = shown.filter((m) => before === undefined || m.eventId < before);
        const page = [...all.slice(-limit), ...newer];
        const last = page.at(-1);
        return {
          messages: page,
          asOf,
          nextCursor: all.length > limit && page[0] ? page[0].eventId : null,
          newerCursor: (input.around ? moreNewer : input.before !== undefined) && last ? last.eventId : null,
        };
      }),
      t.search.messages.query(({ input }) => this.#search(input)),
      t.message.pins.query(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'viewer');
        this.#roomOf(p, input.roomId, me.id);
        const pins = this.#visible(p, input.roomId, me.id)
          .filter((m) => m.pinnedAt !== null)
          .sort((a, b) => (a.pinnedAt! < b.pinnedAt! ? 1 : -1));
        return { messages: pins, asOf: p.events.length };
      }),
      t.message.edit.mutation(({ input }) => {
        const { me } = host.access(input.partitionId, 'member');
        return host.once(input.opId, () => {
          const found = this.#toChange(input.partitionId, input.messageId, me.id);
          const { message } = found;
          if (message.authorId !== me.id) throw refuse('FORBIDDEN', MESSAGE_REFUSALS.notYours);
          if (message.deletedAt) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.deleted);
          if (this.now() >= Date.parse(message.createdAt) + EDIT_WINDOW_MS) throw refuse('PRECONDITION_FAILED', editWindowClosed(message.createdAt));
          const body = checkBody(input.body);
          if (body !== message.body) this.#edit(found, body, me.id);
          const now = this.message(message.id);
          return { id: now.id, roomId: now.roomId, body: now.body, editedAt: now.editedAt };
        });
      }),
      t.message.delete.mutation(({ input }) => {
        const { me, role } = host.access(input.partitionId, 'viewer');
        return host.once(input.opId, () => {
          const found = this.#toChange(input.partitionId, input.messageId, me.id);
          const { p, room, message } = found;
          const result = { id: message.id, roomId: message.roomId, scope: input.scope };
          if (input.scope === 'me') {
            const hidden = this.#hidden.get(me.id) ?? new Set<string>();
            this.#hidden.set(me.id, hidden);
            if (!hidden.has(message.id)) {
              hidden.add(message.id);
              const data = { id: message.id, roomId: message.roomId, userId: me.id };
              host.append(p, new Set([me.id]), (id, at) => ({
                id,
                partitionId: p.partition.id,
                roomId: message.roomId,
                at,
                actorId: me.id,
                type: 'message.hidden',
                data,
              }));
            }
            return result;
          }
          if (message.deletedAt) return result;
          if (message.authorId !== me.id) {
            const moderator = canManageRoom({ kind: room.room.kind, myRole: room.members.get(me.id)?.role ?? null }, role);
            if (!moderator) throw refuse('FORBIDDEN', MESSAGE_REFUSALS.notModerator);
          }
          this.#delete(found, me.id);
          return result;
        });
      }),
      ...(['pin', 'unpin'] as const).map((kind) =>
        t.message[kind].mutation(({ input }) => {
          const { me } = host.access(input.partitionId, 'member');
          return host.once(input.opId, () => {
            const found = this.#toChange(input.partitionId, input.messageId, me.id);
            const { p, message } = found;
            const pinned = kind === 'pin';
            const result = { id: message.id, roomId: message.roomId, pinned };
            if (pinned && message.deletedAt) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.deleted);
            if ((message.pinnedAt !== null) === pinned) return result;
            if (pinned && this.#roomMessages(p).filter((m) => m.roomId === message.roomId && m.pinnedAt).length >= PINS_PER_ROOM) {
              throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.tooManyPins);
            }
            this.#pin(found, me.id, pinned);
            return result;
          });
        }),
      ),
      ...(['add', 'remove'] as const).map((kind) =>
        t.reaction[kind].mutation(({ input }) => {
          const { me } = host.access(input.partitionId, 'member');
          if (!isReactionEmoji(input.emoji)) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.notEmoji);
          return host.once(input.opId, () => {
            const found = this.#toChange(input.partitionId, input.messageId, me.id);
            const { message } = found;
            const on = kind === 'add';
            if (on && message.deletedAt) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.deleted);
            if (on && message.reactions.length >= EMOJIS_PER_MESSAGE && !message.reactions.some((r) => r.emoji === input.emoji)) {
              throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.tooManyEmojis);
            }
            this.#react(found, input.emoji, me.id, on);
            return { messageId: message.id, roomId: message.roomId, emoji: input.emoji, reacted: on };
          });
        }),
      ),
      ...(['block', 'unblock'] as const).map((kind) =>
        t.user[kind].mutation(({ input }) => {
          const me = host.signedIn();
          if (input.userId === me.id) throw refuse('BAD_REQUEST', MESSAGE_REFUSALS.blockSelf);
          if (!this.#person(input.userId)) throw refuse('NOT_FOUND', MESSAGE_REFUSALS.noSuchPerson);
          const key = `${me.id}→${input.userId}`;
          if (kind === 'block') {
            if (!host.blocks.has(key)) this.#blockedAt.set(key, new Date(this.now()).toISOString());
            host.blocks.add(key);
          } else {
            host.blocks.delete(key);
          }
          return { userId: input.userId, blocked: kind === 'block' };
        }),
      ),
      t.user.blocks.query(() => {
        const me = host.signedIn();
        return this.blockedBy(me.id).map((userId): BlockedUserDto => {
          const person = this.#person(userId);
          return {
            userId,
            username: person?.username ?? '',
            displayName: person?.displayName ?? '',
            blockedAt: this.#blockedAt.get(`${me.id}→${userId}`) ?? new Date(0).toISOString(),
          };
        });
      }),
    ];
  }

  #checkRefusal(): void {
    if (this.#opRefusal) throw new TRPCError(this.#opRefusal);
  }

  /**
   * `search.messages` with the server's rules: the rooms and DMs the caller is in now, never a
   * message deleted for everyone or for them, newest first, the same refusals. Words are matched
   * as whole words, case-insensitive (`searchTerms`: near enough to PostgreSQL's reading).
   */
  #search(input: {
    partitionId: string;
    query: string;
    roomId?: string | undefined;
    authorId?: string | undefined;
    after?: string | undefined;
    before?: string | undefined;
    limit?: number | undefined;
    cursor?: number | undefined;
  }) {
    const { p, me } = this.#host.access(input.partitionId, 'viewer');
    const query = input.query.trim();
    if (!query) throw refuse('BAD_REQUEST', `query: ${REFUSAL.searchEmpty}`);
    if (query.length > SEARCH_QUERY_MAX_CHARS) throw refuse('BAD_REQUEST', `query: ${REFUSAL.searchTooLong}`);
    const limit = input.limit ?? 20;
    if (limit < 1 || limit > SEARCH_PAGE_MAX) throw refuse('BAD_REQUEST', `limit: Too big: expected number to be <=${SEARCH_PAGE_MAX}`);
    if (input.after && input.before && Date.parse(input.after) >= Date.parse(input.before)) throw refuse('BAD_REQUEST', REFUSAL.searchDateRange);
    if (input.roomId !== undefined) {
      const room = this.#roomOf(p, input.roomId, me.id);
      if (!room.members.has(me.id)) throw refuse('FORBIDDEN', MESSAGE_REFUSALS.joinFirst);
    }
    if (input.authorId !== undefined && !p.members.some((m) => m.userId === input.authorId)) throw refuse('NOT_FOUND', REFUSAL.notAMember);
    const terms = searchTerms(query);
    const excluded = searchTerms(query.replace(/(^|\s)-(?=[\p{L}\p{N}])/gu, '$1')).filter((w) => !terms.includes(w));
    if (terms.length === 0) throw refuse('BAD_REQUEST', excluded.length > 0 ? REFUSAL.searchOnlyExcluded : REFUSAL.searchNoWords);
    const has = (body: string, word: string) =>
      new RegExp(`(?<![\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'iu').test(body);
    const hidden = this.#hidden.get(me.id);
    const matches = this.#roomMessages(p)
      .filter((m) => {
        const room = findRoom(p, m.roomId);
        if (!room?.members.has(me.id) || m.deletedAt || hidden?.has(m.id)) return false;
        if (input.roomId !== undefined && m.roomId !== input.roomId) return false;
        if (input.authorId !== undefined && m.authorId !== input.authorId) return false;
        if (input.after !== undefined && Date.parse(m.createdAt) < Date.parse(input.after)) return false;
        if (input.before !== undefined && Date.parse(m.createdAt) >= Date.parse(input.before)) return false;
        if (input.cursor !== undefined && m.eventId >= input.cursor) return false;
        return terms.every((w) => has(m.body, w)) && !excluded.some((w) => has(m.body, w));
      })
      .reverse();
    const page = matches.slice(0, limit);
    const hits = page.map((m): SearchHitDto => {
      const room = findRoom(p, m.roomId)!.room;
      const blocked = this.#host.blocks.has(`${me.id}→${m.authorId}`);
      return {
        messageId: m.id,
        partitionId: p.partition.id,
        roomId: m.roomId,
        roomName: room.name,
        roomKind: room.kind,
        authorId: m.authorId,
        authorName: m.authorName,
        createdAt: m.createdAt,
        editedAt: m.editedAt,
        eventId: m.eventId,
        snippet: searchSnippet(m.body, terms),
        ...(blocked ? { authorBlocked: true as const } : {}),
      };
    });
    return { hits, nextCursor: matches.length > limit ? page.at(-1)!.eventId : null, terms };
  }

  #person(userId: string) {
    for (const p of this.#host.partitions.values()) {
      const member = p.members.find((m) => m.userId === userId);
      if (member) return member;
    }
    return undefined;
  }

  /** As the server's `assertRoomMember` for reading a room. */
  #roomOf(p: PartitionState, roomId: string, userId: string): MockRoom {
    const room = findRoom(p, roomId);
    if (!room || (room.room.kind !== 'public' && !room.members.has(userId))) throw refuse('NOT_FOUND', REFUSALS.noSuchRoom);
    return room;
  }

  /** The message to change, in a room the caller is in (else it does not exist for them). */
  #toChange(partitionId: string, messageId: string, userId: string): Found {
    this.#checkRefusal();
    const p = this.#host.partitions.get(partitionId);
    const message = p ? this.#roomMessages(p).find((m) => m.id === messageId) : undefined;
    const room = p && message ? findRoom(p, message.roomId) : undefined;
    if (!p || !message || !room || !room.members.has(userId)) {
      if (p && room?.room.kind === 'public') throw refuse('FORBIDDEN', MESSAGE_REFUSALS.joinFirst);
      throw refuse('NOT_FOUND', MESSAGE_REFUSALS.noSuchMessage);
    }
    return { p, room, message };
  }

  #find(messageId: string): Found {
    for (const p of this.#host.partitions.values()) {
      const message = this.#roomMessages(p).find((m) => m.id === messageId);
      const room = message && findRoom(p, message.roomId);
      if (message && room) return { p, room, message };
    }
    throw new Error(`No message ${messageId}`);
  }

  /** Every message of the partition as the server has it now, in order. */
  #roomMessages(p: PartitionState): MessageDto[] {
    return p.events.flatMap((e) => (e.type === 'message.created' ? [this.current(e.data)] : []));
  }

  /** A room's messages as `userId` lists them: not those deleted for them, blocked authors marked. */
  #visible(p: PartitionState, roomId: string, userId: string): MessageDto[] {
    const hidden = this.#hidden.get(userId);
    return this.#roomMessages(p)
      .filter((m) => m.roomId === roomId && !hidden?.has(m.id))
      .map((m) => (this.#host.blocks.has(`${userId}→${m.authorId}`) ? { ...m, authorBlocked: true as const } : m));
  }

  #set(message: MessageDto): void {
    this.#current.set(message.id, message);
  }

  /** Replies quoting `id` follow its edits and deletion. */
  #updateQuotes(p: PartitionState, id: string, change: (quote: ReplyRef) => ReplyRef): void {
    for (const m of this.#roomMessages(p)) if (m.replyTo?.id === id) this.#set({ ...m, replyTo: change(m.replyTo) });
  }

  #edit({ p, room, message }: Found, body: string, by: string): void {
    const editedAt = new Date(this.now()).toISOString();
    this.#set({ ...message, body, editedAt });
    this.#updateQuotes(p, message.id, (q) => (q.deleted ? q : { ...q, snippet: replySnippet(body) }));
    this.#appendToRoom({ p, room, message }, by, { type: 'message.edited', data: { id: message.id, roomId: message.roomId, body, editedAt } });
  }

  /** One event of a message's room, to the room's audience. */
  #appendToRoom({ p, room, message }: Found, actorId: string, event: Pick<ParleyEvent, 'type' | 'data'>): void {
    this.#host.append(p, roomAudience(room), (id, at) => ({ id, partitionId: p.partition.id, roomId: message.roomId, at, actorId, ...event }) as ParleyEvent);
  }

  #delete({ p, room, message }: Found, by: string): void {
    const deletedAt = new Date(this.now()).toISOString();
    this.#set({ ...message, body: '', deletedAt, reactions: [], pinnedAt: null, pinnedBy: null });
    this.#updateQuotes(p, message.id, (q) => ({ ...q, snippet: '', deleted: true }));
    this.#appendToRoom({ p, room, message }, by, { type: 'message.deleted', data: { id: message.id, roomId: message.roomId, deletedAt, deletedBy: by } });
  }

  #pin(found: Found, by: string, pinned: boolean): void {
    const { message } = found;
    const roomId = message.roomId;
    if (pinned) {
      const pinnedAt = new Date(this.now()).toISOString();
      this.#set({ ...message, pinnedAt, pinnedBy: by });
      this.#appendToRoom(found, by, { type: 'message.pinned', data: { id: message.id, roomId, pinnedAt, pinnedBy: by } });
    } else {
      this.#set({ ...message, pinnedAt: null, pinnedBy: null });
      this.#appendToRoom(found, by, { type: 'message.unpinned', data: { id: message.id, roomId } });
    }
  }

  #react({ p, room, message }: Found, emoji: string, userId: string, on: boolean): void {
    const existing = message.reactions.find((r) => r.emoji === emoji);
    if (on === Boolean(existing?.userIds.includes(userId))) return;
    let reactions: MessageDto['reactions'];
    if (on)
      reactions = existing
        ? message.reactions.map((r) => (r === existing ? { emoji, userIds: [...r.userIds, userId] } : r))
        : [...message.reactions, { emoji, userIds: [userId] }];
    else
      reactions = message.reactions
        .map((r) => (r === existing ? { emoji, userIds: r.userIds.filter((u) => u !== userId) } : r))
        .filter((r) => r.userIds.length > 0);
    this.#set({ ...message, reactions });
    const data = { messageId: message.id, roomId: message.roomId, userId, emoji };
    this.#appendToRoom({ p, room, message }, userId, { type: on ? 'reaction.added' : 'reaction.removed', data });
  }
}

/** Bob of `msw-server.ts` (not imported from there: that module imports this one). */
const BOB_ID = '0197a000-0000-7000-8000-00000000000b';

function checkBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) throw refuse('BAD_REQUEST', REFUSALS.bodyEmpty);
  if (trimmed.length > MESSAGE_MAX_CHARS) throw refuse('BAD_REQUEST', REFUSALS.bodyTooLong);
  return trimmed;
}
