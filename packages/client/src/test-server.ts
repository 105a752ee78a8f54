import type { AnnouncementDto, BlockedUserDto, MemberPresenceDto, MessageDto, ParleyEvent, PresenceSignalDto, ReplyRef, TypingDto } from '@parley/api';
import type { ActInput, EventHandlers, ListInput, MessagePage, ParleyApi, PinsPage, PresenceApi, SendInput } from './api.ts';
import { messageActions, type MessageActions } from './actions.ts';
import { BlocksStore } from './blocks-store.ts';
import { MessageStore } from './message-store.ts';
import { EDIT_WINDOW_MS, isReactionEmoji, replySnippet, type OutboxOp } from './ops.ts';
import { parseMentions, REFUSAL } from '@parley/rules';
import { Outbox } from './outbox.ts';
import { memoryStorage, type ClientStorage } from './storage.ts';

/**
 * A fake Parley server in memory, for the client's tests: the same contract as the real one
 * (dense event ids per partition, idempotent `send` by clientId and ops by opId, `list` paging
 * back by event id with the snapshot's `asOf`, `head`, `onEvent` resuming after `lastEventId`,
 * personal events only to their person), the same rules for edits (own messages, a 5-minute
 * window on the server's clock), deletions (tombstones for everyone, hides for one), reactions
 * (sets) and pins, with knobs for the timings and failures the client has to survive: refusals,
 * network errors, replies held back or lost after the commit, events held back, a whole
 * connection going away.
 */

export const ME = { id: 'u-me', name: 'Me' } as const;
export const SOMEONE_ELSE = { id: 'u-other', name: 'Other' } as const;

type Person = { readonly id: string; readonly name: string };

/** What fetch gives when the server cannot be reached: an Error without `data`. */
export function networkError(): Error {
  return new Error('fetch failed');
}

/** A refusal the way `TRPCClientError` carries it (`data.code`, and `data.retryAfterMs` for rate limits). */
export function refusal(code: string, message: string, extra: { retryAfterMs?: number } = {}): Error & { data: { code: string; retryAfterMs?: number } } {
  return Object.assign(new Error(message), { data: { code, ...extra } });
}

/**
 * What the next `send` (or `act`) does: `commit` (and answer), `lose-reply` (commit, then a
 * network error instead of the answer), `hold` (commit, answer when the test says), or an error
 * thrown before anything is committed.
 */
export type SendPlan = 'commit' | 'lose-reply' | 'hold' | Error;

type Method = 'send' | 'act' | 'list' | 'head' | 'pins';

interface Subscription {
  readonly api: FakeApi;
  readonly userId: string;
  readonly partitionId: string;
  readonly handlers: EventHandlers;
  readonly queue: ParleyEvent[];
  readonly delivered: ParleyEvent[];
  open: boolean;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

interface HeldReply {
  readonly api: FakeApi;
  /** Commits the call (once) and gives its answer or refusal. */
  readonly run: () => Outcome;
  /** Null while the request is still on its way to the server (nothing committed yet). */
  outcome: Outcome | null;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A message as the server stores it (the DTO's changing parts live here). */
interface Row {
  readonly partitionId: string;
  readonly id: string;
  readonly roomId: string;
  readonly clientId: string;
  readonly author: Person;
  readonly eventId: number;
  readonly createdAt: string;
  readonly createdAtMs: number;
  readonly replyTo: string | null;
  body: string;
  editedAt: string | null;
  deletedAt: string | null;
  pinnedAt: string | null;
  pinnedBy: string | null;
  /** Emoji → who, in the order they reacted. */
  readonly reactions: Map<string, string[]>;
  readonly hiddenFor: Set<string>;
}

export interface FakeApi extends ParleyApi {
  /** The page that made it is gone: every later call fails, replies it waits for are lost. */
  kill(): void;
  readonly killed: boolean;
}

const PERSONAL: ReadonlySet<string> = new Set(['message.hidden', 'announcement.dismissed', 'notify.changed']);
const NO_SUCH_MESSAGE = REFUSAL.noSuchMessage;

export class FakeServer {
  /** Messages per `list` page (the real server's default is 50). */
  pageSize: number;
  /** Answers to `send` and `act` wait for `deliverNextReply()` / `loseNextReply()`. */
  holdReplies = false;
  /**
   * With `holdReplies`: true, a held call is committed when it arrives (only the answer is on
   * its way); false, the request itself is on its way, committed only when it is delivered or
   * its answer lost, and never if the connection or the page goes away first.
   */
  commitOnArrival = true;
  /** Events wait in each subscription for `deliverEvents()`; otherwise they go out at once, in order. */
  holdEvents = false;
  /** The server's clock minus ours (edit windows, `editedAt`). */
  clockOffsetMs = 0;
  /** Every call as it reached the server, for assertions. */
  readonly calls = {
    send: [] as SendInput[],
    act: [] as ActInput[],
    list: [] as ListInput[],
    pins: [] as { partitionId: string; roomId: string }[],
    head: [] as string[],
    subscribe: [] as { partitionId: string; lastEventId: number | null }[],
  };
  /** The order in which calls reached the server: `send`, `act`, `list`, `head`, `subscribe`, … */
  readonly log: (Method | 'subscribe' | 'blocks')[] = [];

  readonly #events = new Map<string, ParleyEvent[]>();
  readonly #rows = new Map<string, Row>();
  readonly #byClientId = new Map<string, Row>();
  /** The op ledger: a repeated opId gets the first answer and changes nothing. */
  readonly #ops = new Map<string, { userId: string; type: string; result: unknown }>();
  readonly #blocks = new Map<string, Map<string, string>>();
  readonly #announcements = new Map<string, AnnouncementDto & { dismissedBy: Set<string> }>();
  readonly #subscriptions: Subscription[] = [];
  readonly #held: HeldReply[] = [];
  readonly #plans: Record<'send' | 'act', SendPlan[]> = { send: [], act: [] };
  readonly #failures: Record<'list' | 'head' | 'pins', Error[]> = { list: [], head: [], pins: [] };
  readonly #gates = new Map<Method, Promise<void>>();
  readonly #answerGates = new Map<Method, Promise<void>>();
  #connected = true;
  #nextMessage = 0;
  #pumping = false;

  constructor(options: { pageSize?: number } = {}) {
    this.pageSize = options.pageSize ?? 50;
  }

  /** A client's connection to this server (one per page load), signed in as `author`. */
  api(author: Person = ME): FakeApi {
    let killed = false;
    const guard = () => {
      if (killed || !this.#connected) throw networkError();
    };
    /** Sends and ops: committed and answered now, or held, or refused, as planned. */
    const call = async (method: 'send' | 'act', run: () => unknown): Promise<unknown> => {
      const plan = this.#plans[method].shift() ?? (this.holdReplies ? 'hold' : 'commit');
      if (plan instanceof Error) throw plan;
      const attempt = (): Outcome => {
        try {
          return { ok: true, value: run() };
        } catch (error) {
          return { ok: false, error: error as Error };
        }
      };
      if (plan === 'hold') {
        const outcome = this.commitOnArrival ? attempt() : null;
        return new Promise((resolve, reject) => {
          this.#held.push({ api, run: attempt, outcome, resolve, reject });
        });
      }
      const outcome = attempt();
      if (plan === 'lose-reply') throw networkError();
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    const api: FakeApi = {
      get killed() {
        return killed;
      },
      kill: () => {
        killed = true;
        for (const sub of this.#subscriptions) if (sub.api === api) sub.open = false;
        for (const reply of this.#held.filter((r) => r.api === api)) this.#dropReply(reply);
      },
      send: async (input) => {
        await this.#gate('send');
        guard();
        this.calls.send.push(input);
        this.log.push('send');
        return (await call('send', () => this.#commit(input, author))) as MessageDto;
      },
      act: async (input) => {
        await this.#gate('act');
        guard();
        this.calls.act.push(structuredClone(input));
        this.log.push('act');
        return call('act', () => this.#act(author, input));
      },
      head: async (partitionId) => {
        await this.#gate('head');
        guard();
        this.calls.head.push(partitionId);
        this.log.push('head');
        this.#fail('head');
        return this.#log(partitionId).length;
      },
      list: async (input) => {
        await this.#gate('list');
        guard();
        this.calls.list.push(input);
        this.log.push('list');
        this.#fail('list');
        const page = this.#page(input, author.id);
        // `holdAnswers('list')`: the snapshot is taken now, the answer waits.
        await this.#answerGate('list');
        return page;
      },
      pins: async (input) => {
        await this.#gate('pins');
        guard();
        this.calls.pins.push(input);
        this.log.push('pins');
        this.#fail('pins');
        return this.#pins(input, author.id);
      },
      blocks: async () => {
        guard();
        this.log.push('blocks');
        return [...(this.#blocks.get(author.id) ?? new Map<string, string>())].map(([userId, blockedAt]): BlockedUserDto => ({
          userId,
          username: userId,
          displayName: userId,
          blockedAt,
        }));
      },
      subscribe: (input, handlers) => {
        this.calls.subscribe.push({ ...input });
        this.log.push('subscribe');
        const log = this.#log(input.partitionId);
        // Like the real server: nothing before the call without a position, else a replay after it.
        const queue = input.lastEventId === null ? [] : log.filter((e) => e.id > (input.lastEventId ?? 0) && this.#visible(e, author.id));
        const sub: Subscription = { api, userId: author.id, partitionId: input.partitionId, handlers, queue, delivered: [], open: !killed };
        this.#subscriptions.push(sub);
        this.#schedulePump();
        return () => {
          sub.open = false;
        };
      },
    };
    return api;
  }

  /** The next sends, in order, follow these plans (then the default again). */
  planSends(...plans: SendPlan[]): void {
    this.#plans.send.push(...plans);
  }

  /** The next ops (`act`), in order, follow these plans (then the default again). */
  planActs(...plans: SendPlan[]): void {
    this.#plans.act.push(...plans);
  }

  /** The next `times` calls of `method` that reach the server throw `error` (a send or an op then commits nothing). */
  failNext(method: Method, error: Error, times = 1): void {
    for (let i = 0; i < times; i += 1) {
      if (method === 'send' || method === 'act') this.#plans[method].push(error);
      else this.#failures[method].push(error);
    }
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: Method): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#gates.set(method, gate);
    return () => {
      if (this.#gates.get(method) === gate) this.#gates.delete(method);
      release();
    };
  }

  /** Answers of `method` (taken as of now) wait until the returned function is called: a slow page. */
  holdAnswers(method: 'list'): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#answerGates.set(method, gate);
    return () => {
      if (this.#answerGates.get(method) === gate) this.#answerGates.delete(method);
      release();
    };
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The server end the partition's open streams with `error` (a removal: `refusal('FORBIDDEN', …)`). */
  endStreams(partitionId: string, error: Error): void {
    for (const sub of this.#subscriptions) {
      if (sub.partitionId !== partitionId || !sub.open) continue;
      sub.open = false;
      sub.handlers.onError(error);
    }
  }

  /** The network between client and server goes away: calls fail, answers on the way are lost (the commits stay). */
  disconnect(): void {
    this.#connected = false;
    for (const reply of [...this.#held]) this.#dropReply(reply);
  }

  reconnect(): void {
    this.#connected = true;
    this.#schedulePump();
  }

  /** Someone else posts into a room (optionally answering a message). */
  post(partitionId: string, roomId: string, body: string, author: Person = SOMEONE_ELSE, replyTo?: string): MessageDto {
    return this.#commit({ partitionId, roomId, body, clientId: `other-${(this.#nextMessage += 1)}`, ...(replyTo ? { replyTo } : {}) }, author);
  }

  /** Someone makes a change directly on the server (their own client's op, answered at once). Throws its refusal. */
  actAs(author: Person, partitionId: string | null, op: OutboxOp, opId = `op-${(this.#nextMessage += 1)}`): unknown {
    return this.#act(author, { partitionId, opId, op });
  }

  /** A workspace announcement by `author`. */
  announce(partitionId: string, body: string, author: Person = SOMEONE_ELSE): AnnouncementDto {
    const dto: AnnouncementDto = {
      id: `a-${(this.#nextMessage += 1)}`,
      partitionId,
      authorId: author.id,
      authorName: author.name,
      body,
      createdAt: this.#nowIso(),
    };
    this.#announcements.set(dto.id, { ...dto, dismissedBy: new Set() });
    this.append(partitionId, { type: 'announcement.created', roomId: null, actorId: author.id, data: dto });
    return dto;
  }

  /** Appends any other event (a member joining, …). */
  append(partitionId: string, event: Omit<ParleyEvent, 'id' | 'partitionId' | 'at'>): ParleyEvent {
    const log = this.#log(partitionId);
    const full = { ...event, id: log.length + 1, partitionId, at: this.#nowIso() } as ParleyEvent;
    log.push(full);
    for (const sub of this.#subscriptions) if (sub.open && sub.partitionId === partitionId && this.#visible(full, sub.userId)) sub.queue.push(full);
    this.#schedulePump();
    return full;
  }

  /**
   * The partition's messages as they are now, in event order (optionally one room's). With a
   * `viewer`: as that person's `list` shows them (their hidden ones left out, blocked authors marked).
   */
  messages(partitionId: string, roomId?: string, viewer?: string): MessageDto[] {
    return [...this.#rows.values()]
      .filter((r) => r.partitionId === partitionId && (roomId === undefined || r.roomId === roomId))
      .filter((r) => viewer === undefined || !r.hiddenFor.has(viewer))
      .sort((a, b) => a.eventId - b.eventId)
      .map((r) => this.#dto(r, viewer));
  }

  events(partitionId: string): readonly ParleyEvent[] {
    return this.#log(partitionId);
  }

  /** Whom `userId` blocked. */
  blockedBy(userId: string): string[] {
    return [...(this.#blocks.get(userId)?.keys() ?? [])];
  }

  get heldReplies(): number {
    return this.#held.length;
  }

  /** Events waiting in open subscriptions. */
  get queuedEvents(): number {
    return this.#subscriptions.reduce((n, s) => n + (s.open ? s.queue.length : 0), 0);
  }

  /** Subscriptions not yet torn down. */
  openSubscriptions(partitionId?: string): number {
    return this.#subscriptions.filter((s) => s.open && (partitionId === undefined || s.partitionId === partitionId)).length;
  }

  /** Answers the oldest held call (committing it first if it was still on its way). False when none is held. */
  deliverNextReply(): boolean {
    const reply = this.#held.shift();
    if (!reply) return false;
    reply.outcome ??= reply.run();
    if (reply.outcome.ok) reply.resolve(reply.outcome.value);
    else reply.reject(reply.outcome.error);
    return true;
  }

  /** The oldest held call is committed, but its answer never arrives (a network error instead). */
  loseNextReply(): boolean {
    const reply = this.#held.shift();
    if (!reply) return false;
    reply.outcome ??= reply.run();
    reply.reject(networkError());
    return true;
  }

  /** Delivers up to `n` held events, each subscription in its order. Returns how many went out. */
  deliverEvents(n = Number.POSITIVE_INFINITY): number {
    let count = 0;
    while (count < n && this.#connected) {
      const sub = this.#subscriptions.find((s) => s.open && s.queue.length > 0);
      if (!sub) break;
      this.#deliver(sub);
      count += 1;
    }
    return count;
  }

  /** Delivers again an event an open subscription already delivered (the `k`-th, modulo). False when there is none. */
  duplicateEvent(k = 0): boolean {
    if (!this.#connected) return false;
    const subs = this.#subscriptions.filter((s) => s.open && s.delivered.length > 0);
    const sub = subs[k % Math.max(subs.length, 1)];
    if (!sub) return false;
    const event = sub.delivered[k % sub.delivered.length]!;
    sub.handlers.onEvent(structuredClone(event));
    return true;
  }

  #now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  #nowIso(): string {
    return new Date(this.#now()).toISOString();
  }

  #log(partitionId: string): ParleyEvent[] {
    let log = this.#events.get(partitionId);
    if (!log) {
      log = [];
      this.#events.set(partitionId, log);
    }
    return log;
  }

  /** Someone else's personal events (their hides, their dismissals) never reach a stream. */
  #visible(event: ParleyEvent, userId: string): boolean {
    return !PERSONAL.has(event.type) || (event.data as { userId?: string }).userId === userId;
  }

  #replyRef(row: Row): ReplyRef | null {
    if (!row.replyTo) return null;
    const original = this.#rows.get(row.replyTo);
    if (!original) return null;
    return {
      id: original.id,
      authorId: original.author.id,
      authorName: original.author.name,
      snippet: replySnippet(original.body),
      deleted: original.deletedAt !== null,
    };
  }

  #dto(row: Row, viewer?: string): MessageDto {
    return {
      id: row.id,
      partitionId: row.partitionId,
      roomId: row.roomId,
      clientId: row.clientId,
      authorId: row.author.id,
      authorName: row.author.name,
      body: row.body,
      eventId: row.eventId,
      createdAt: row.createdAt,
      replyTo: this.#replyRef(row),
      editedAt: row.editedAt,
      deletedAt: row.deletedAt,
      pinnedAt: row.pinnedAt,
      pinnedBy: row.pinnedBy,
      reactions: [...row.reactions].map(([emoji, userIds]) => ({ emoji, userIds: [...userIds] })),
      // No membership here to check them against: whoever the text names.
      mentions: parseMentions(row.body),
      // Files are the media routes' (upload-store.test.ts fakes those): messages here carry none.
      attachment: null,
      ...(viewer && this.#blocks.get(viewer)?.has(row.author.id) ? { authorBlocked: true as const } : {}),
    };
  }

  #commit(input: SendInput, author: Person): MessageDto {
    const previous = this.#byClientId.get(input.clientId);
    // Idempotent by clientId: the first message again (as it is now), no new event.
    if (previous) return this.#dto(previous, author.id);
    if (input.replyTo) {
      const original = this.#rows.get(input.replyTo);
      if (!original || original.partitionId !== input.partitionId || original.roomId !== input.roomId) {
        throw refusal('BAD_REQUEST', 'The message you reply to is not in this room.');
      }
      if (original.deletedAt) throw refusal('BAD_REQUEST', 'The message you reply to was deleted.');
    }
    const log = this.#log(input.partitionId);
    const eventId = log.length + 1;
    const row: Row = {
      partitionId: input.partitionId,
      id: `m-${input.partitionId}-${eventId}`,
      roomId: input.roomId,
      clientId: input.clientId,
      author: { id: author.id, name: author.name },
      eventId,
      createdAt: this.#nowIso(),
      createdAtMs: this.#now(),
      replyTo: input.replyTo ?? null,
      body: input.body,
      editedAt: null,
      deletedAt: null,
      pinnedAt: null,
      pinnedBy: null,
      reactions: new Map(),
      hiddenFor: new Set(),
    };
    this.#rows.set(row.id, row);
    this.#byClientId.set(input.clientId, row);
    this.append(input.partitionId, { type: 'message.created', roomId: input.roomId, actorId: author.id, data: this.#dto(row) });
    return this.#dto(row, author.id);
  }

  /** One op, with the server's rules and its opId ledger. */
  #act(author: Person, input: ActInput): unknown {
    const { op, opId } = input;
    const first = this.#ops.get(opId);
    if (first) {
      if (first.userId !== author.id || first.type !== op.type) throw refusal('CONFLICT', 'That opId was already used for another change; generate a new one.');
      return structuredClone(first.result);
    }
    // A refusal claims nothing: the same op may be judged again later.
    const result = this.#decide(author, input);
    this.#ops.set(opId, { userId: author.id, type: op.type, result: structuredClone(result) });
    return result;
  }

  #decide(author: Person, { partitionId, op }: ActInput): unknown {
    switch (op.type) {
      case 'user.block':
      case 'user.unblock': {
        if (op.userId === author.id) throw refusal('BAD_REQUEST', 'You cannot block yourself.');
        const mine = this.#blocks.get(author.id) ?? new Map<string, string>();
        this.#blocks.set(author.id, mine);
        if (op.type === 'user.block') {
          if (!mine.has(op.userId)) mine.set(op.userId, this.#nowIso());
        } else mine.delete(op.userId);
        return { userId: op.userId, blocked: op.type === 'user.block' };
      }
      case 'announcement.dismiss': {
        const a = this.#announcements.get(op.announcementId);
        if (!a || a.partitionId !== partitionId) throw refusal('NOT_FOUND', 'No such announcement.');
        if (!a.dismissedBy.has(author.id)) {
          a.dismissedBy.add(author.id);
          this.append(a.partitionId, { type: 'announcement.dismissed', roomId: null, actorId: author.id, data: { id: a.id, userId: author.id } });
        }
        return { id: a.id, dismissed: true };
      }
      case 'read.mark':
        return { roomId: op.roomId, eventId: op.eventId, moved: true };
      case 'read.markAll':
        return { rooms: [] };
      case 'notify.set': {
        const data = { roomId: op.roomId, userId: author.id, level: op.level };
        if (partitionId) this.append(partitionId, { type: 'notify.changed', roomId: op.roomId, actorId: author.id, data });
        return data;
      }
      default:
        break;
    }
    const row = this.#rows.get(op.messageId);
    if (!row || row.partitionId !== partitionId) throw refusal('NOT_FOUND', NO_SUCH_MESSAGE);
    const base = { roomId: row.roomId, actorId: author.id };
    switch (op.type) {
      case 'message.edit': {
        if (row.author.id !== author.id) throw refusal('FORBIDDEN', 'You can only edit your own messages.');
        if (row.deletedAt) throw refusal('BAD_REQUEST', 'That message was deleted.');
        if (this.#now() >= row.createdAtMs + EDIT_WINDOW_MS) {
          throw refusal('PRECONDITION_FAILED', 'Messages can be edited for 5 minutes after sending; the time to edit this one has ended.');
        }
        const body = op.body.trim();
        if (body === row.body) return { id: row.id, roomId: row.roomId, body, editedAt: row.editedAt };
        row.body = body;
        row.editedAt = this.#nowIso();
        const data = { id: row.id, roomId: row.roomId, body, editedAt: row.editedAt };
        this.append(row.partitionId, { type: 'message.edited', ...base, data });
        return data;
      }
      case 'message.delete': {
        const result = { id: row.id, roomId: row.roomId, scope: op.scope };
        if (op.scope === 'me') {
          if (!row.hiddenFor.has(author.id)) {
            row.hiddenFor.add(author.id);
            this.append(row.partitionId, { type: 'message.hidden', ...base, data: { id: row.id, roomId: row.roomId, userId: author.id } });
          }
          return result;
        }
        if (row.deletedAt) return result;
        if (row.author.id !== author.id)
          throw refusal('FORBIDDEN', 'Only the author, the room’s admins and workspace admins can delete this message for everyone.');
        this.#tombstone(row);
        this.append(row.partitionId, {
          type: 'message.deleted',
          ...base,
          data: { id: row.id, roomId: row.roomId, deletedAt: row.deletedAt!, deletedBy: author.id },
        });
        return result;
      }
      case 'message.pin':
      case 'message.unpin': {
        const pinned = op.type === 'message.pin';
        const result = { id: row.id, roomId: row.roomId, pinned };
        if (pinned && row.deletedAt) throw refusal('BAD_REQUEST', 'That message was deleted.');
        if ((row.pinnedAt !== null) === pinned) return result;
        row.pinnedAt = pinned ? this.#nowIso() : null;
        row.pinnedBy = pinned ? author.id : null;
        this.append(
          row.partitionId,
          pinned
            ? { type: 'message.pinned', ...base, data: { id: row.id, roomId: row.roomId, pinnedAt: row.pinnedAt!, pinnedBy: author.id } }
            : { type: 'message.unpinned', ...base, data: { id: row.id, roomId: row.roomId } },
        );
        return result;
      }
      case 'reaction.add':
      case 'reaction.remove': {
        const on = op.type === 'reaction.add';
        if (!isReactionEmoji(op.emoji)) throw refusal('BAD_REQUEST', 'A reaction is one emoji, such as 👍.');
        const result = { messageId: row.id, roomId: row.roomId, emoji: op.emoji, reacted: on };
        if (on && row.deletedAt) throw refusal('BAD_REQUEST', 'That message was deleted.');
        const users = row.reactions.get(op.emoji) ?? [];
        if (on === users.includes(author.id)) return result;
        if (on) row.reactions.set(op.emoji, [...users, author.id]);
        else if (users.length === 1) row.reactions.delete(op.emoji);
        else
          row.reactions.set(
            op.emoji,
            users.filter((u) => u !== author.id),
          );
        const data = { messageId: row.id, roomId: row.roomId, userId: author.id, emoji: op.emoji };
        this.append(row.partitionId, { type: on ? 'reaction.added' : 'reaction.removed', ...base, data });
        return result;
      }
    }
  }

  /**
   * Like the real server's tombstone: the text goes from the row and from the log (the message's
   * own event, its edits, the quotes of it in replies); reactions and the pin with it. Events
   * already queued for a stream keep what they had (the real feed's in-memory copies do too).
   */
  #tombstone(row: Row): void {
    row.body = '';
    row.deletedAt = this.#nowIso();
    row.reactions.clear();
    row.pinnedAt = null;
    row.pinnedBy = null;
    const log = this.#log(row.partitionId);
    for (let i = 0; i < log.length; i += 1) {
      const e = log[i]!;
      if (e.type === 'message.created' && e.data.id === row.id) log[i] = { ...e, data: { ...e.data, body: '' } };
      if (e.type === 'message.edited' && e.data.id === row.id) log[i] = { ...e, data: { ...e.data, body: '' } };
      if (e.type === 'message.created' && e.data.replyTo?.id === row.id)
        log[i] = { ...e, data: { ...e.data, replyTo: { ...e.data.replyTo, snippet: '', deleted: true } } };
    }
  }

  #page(input: ListInput, viewer: string): MessagePage {
    const shown = this.messages(input.partitionId, input.roomId, viewer);
    const asOf = this.#log(input.partitionId).length;
    const limit = input.limit ?? this.pageSize;
    if (input.after !== undefined) {
      const later = shown.filter((m) => m.eventId > input.after!);
      const messages = later.slice(0, limit);
      return { messages, nextCursor: messages[0]?.eventId ?? null, newerCursor: later.length > limit ? messages.at(-1)!.eventId : null, asOf };
    }
    let before = input.before;
    let newer: MessageDto[] = [];
    let moreNewer = false;
    if (input.around !== undefined) {
      // As the server: the page that holds it, and up to half a page newer.
      const target = shown.find((m) => m.id === input.around);
      if (!target) throw refusal('NOT_FOUND', 'That message is not in this room.');
      const half = Math.floor(limit / 2);
      const later = shown.filter((m) => m.eventId > target.eventId);
      newer = later.slice(0, half);
      moreNewer = later.length > half;
      before = target.eventId + 1;
    }
    const older = shown.filter((m) => before === undefined || m.eventId < before);
    const messages = older.slice(-limit);
    const more = older.length > messages.length;
    const page = [...messages, ...newer];
    const last = page.at(-1);
    return {
      messages: page,
      nextCursor: more && messages[0] ? messages[0].eventId : null,
      newerCursor: (input.around !== undefined ? moreNewer : input.before !== undefined) && last ? last.eventId : null,
      asOf,
    };
  }

  #pins(input: { partitionId: string; roomId: string }, viewer: string): PinsPage {
    const messages = this.messages(input.partitionId, input.roomId, viewer)
      .filter((m) => m.pinnedAt !== null)
      .sort((a, b) => (a.pinnedAt! < b.pinnedAt! ? 1 : -1));
    return { messages, asOf: this.#log(input.partitionId).length };
  }

  #fail(method: 'list' | 'head' | 'pins'): void {
    const error = this.#failures[method].shift();
    if (error) throw error;
  }

  async #gate(method: Method): Promise<void> {
    for (let gate = this.#gates.get(method); gate; gate = this.#gates.get(method)) await gate;
  }

  async #answerGate(method: Method): Promise<void> {
    const gate = this.#answerGates.get(method);
    if (gate) await gate;
  }

  #dropReply(reply: HeldReply): void {
    const i = this.#held.indexOf(reply);
    if (i >= 0) this.#held.splice(i, 1);
    reply.reject(networkError());
  }

  #deliver(sub: Subscription): void {
    const event = sub.queue.shift()!;
    sub.delivered.push(event);
    // A copy, as if it came over the wire: the client must not share objects with the server.
    const copy = structuredClone(event);
    // Like the real stream: a message by someone the reader blocked goes out marked.
    if (copy.type === 'message.created' && this.#blocks.get(sub.userId)?.has(copy.data.authorId)) copy.data.authorBlocked = true;
    sub.handlers.onEvent(copy);
  }

  #schedulePump(): void {
    if (this.holdEvents || this.#pumping) return;
    this.#pumping = true;
    // Never inside the caller's stack (the real stream is asynchronous too).
    queueMicrotask(() => {
      this.#pumping = false;
      if (!this.holdEvents) this.deliverEvents();
    });
  }
}

/** An outbox and a message store wired the way `createParleyClient` wires them, on a fake server. */
export function createTestClient(options: {
  server: FakeServer;
  storage?: ClientStorage | undefined;
  api?: FakeApi | undefined;
  /** Who is signed in (default ME). */
  user?: Person | undefined;
  canSend?: (() => boolean) | undefined;
  persistPerRoom?: number | undefined;
}): { api: FakeApi; storage: ClientStorage; outbox: Outbox; store: MessageStore; blocks: BlocksStore; actions: MessageActions; close(): void } {
  const user = options.user ?? ME;
  const api = options.api ?? options.server.api(user);
  const storage = options.storage ?? memoryStorage();
  let store: MessageStore | undefined;
  let blocks: BlocksStore | undefined;
  const outbox = new Outbox({
    api,
    storage,
    canSend: options.canSend,
    onSent: (m) => store?.addMessage(m),
    onOpDone: (entry, result) => {
      store?.opApplied(entry);
      blocks?.opApplied(entry, result);
    },
    random: () => 0,
  });
  blocks = new BlocksStore({ api, outbox });
  store = new MessageStore({ api, storage, outbox, blocks, me: () => user.id, persistPerRoom: options.persistPerRoom });
  const created = store;
  const createdBlocks = blocks;
  return {
    api,
    storage,
    outbox,
    store: created,
    blocks: createdBlocks,
    actions: messageActions({ outbox, messages: created, me: () => user.id }),
    close() {
      outbox.close();
      created.close();
      createdBlocks.close();
    },
  };
}

type PresenceHandlers = Parameters<PresenceApi['watchPresence']>[1];

/**
 * The presence half of a fake server: the test says what `presence.onSignal` yields (on the
 * server's clock, which may be off from ours) and what `presence.typing` answers.
 */
export class FakePresenceServer implements PresenceApi {
  /** Every `presence.typing` call, in order. */
  readonly typingCalls: { partitionId: string; roomId: string }[] = [];
  /** What the next `presence.typing` calls throw, in order (then they succeed). */
  readonly typingFailures: Error[] = [];
  /** The server's clock minus ours. */
  clockOffsetMs = 0;
  readonly #subscriptions = new Map<string, Set<PresenceHandlers>>();

  watchPresence(partitionId: string, handlers: PresenceHandlers): () => void {
    let set = this.#subscriptions.get(partitionId);
    if (!set) this.#subscriptions.set(partitionId, (set = new Set()));
    set.add(handlers);
    return () => set.delete(handlers);
  }

  async typing(partitionId: string, roomId: string): Promise<unknown> {
    this.typingCalls.push({ partitionId, roomId });
    const failure = this.typingFailures.shift();
    if (failure) throw failure;
    return { until: this.iso(5_000) };
  }

  /** Open subscriptions to the partition. */
  watchers(partitionId: string): number {
    return this.#subscriptions.get(partitionId)?.size ?? 0;
  }

  /** The server's time `inMs` from now (ISO), on its own clock. */
  iso(inMs = 0): string {
    return new Date(Date.now() + this.clockOffsetMs + inMs).toISOString();
  }

  /** What a (re)subscription starts with. */
  snapshot(partitionId: string, members: MemberPresenceDto[], typing: TypingDto[] = [], available = true): void {
    this.emit(partitionId, { type: 'snapshot', at: this.iso(), graceMs: 60_000, available, members, typing });
  }

  presence(partitionId: string, member: MemberPresenceDto): void {
    this.emit(partitionId, { type: 'presence', at: this.iso(), ...member });
  }

  /** `userId` typing in the room for the next `forMs` (0: stopped). */
  typingOf(partitionId: string, userId: string, roomId: string, forMs = 5_000): void {
    this.emit(partitionId, { type: 'typing', at: this.iso(), userId, roomId, until: this.iso(forMs) });
  }

  /** The server ends the subscription with a refusal. */
  refuse(partitionId: string, error: Error): void {
    for (const handlers of [...(this.#subscriptions.get(partitionId) ?? [])]) handlers.onError(error);
    this.#subscriptions.delete(partitionId);
  }

  emit(partitionId: string, signal: PresenceSignalDto): void {
    for (const handlers of [...(this.#subscriptions.get(partitionId) ?? [])]) handlers.onSignal(structuredClone(signal));
  }
}
