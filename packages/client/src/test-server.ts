import type { MemberPresenceDto, MessageDto, ParleyEvent, PresenceSignalDto, TypingDto } from '@parley/api';
import type { EventHandlers, MessagePage, ParleyApi, PresenceApi, SendInput } from './api.ts';
import { MessageStore } from './message-store.ts';
import { Outbox } from './outbox.ts';
import { memoryStorage, type ClientStorage } from './storage.ts';

/**
 * A fake Parley server in memory, for the client's tests: the same contract as the real one
 * (dense event ids per partition, idempotent `send` by clientId, `list` paging back by event id,
 * `head`, `onEvent` resuming after `lastEventId`), with knobs for the timings and failures the
 * client has to survive: refusals, network errors, replies held back or lost after the commit,
 * events held back, a whole connection going away.
 */

export const ME = { id: 'u-me', name: 'Me' } as const;
export const SOMEONE_ELSE = { id: 'u-other', name: 'Other' } as const;

/** What fetch gives when the server cannot be reached: an Error without `data`. */
export function networkError(): Error {
  return new Error('fetch failed');
}

/** A refusal the way `TRPCClientError` carries it (`data.code`, and `data.retryAfterMs` for rate limits). */
export function refusal(code: string, message: string, extra: { retryAfterMs?: number } = {}): Error & { data: { code: string; retryAfterMs?: number } } {
  return Object.assign(new Error(message), { data: { code, ...extra } });
}

/**
 * What the next `send` does: `commit` (and answer), `lose-reply` (commit, then a network error
 * instead of the answer), `hold` (commit, answer when the test says), or an error thrown before
 * anything is committed.
 */
export type SendPlan = 'commit' | 'lose-reply' | 'hold' | Error;

type Method = 'send' | 'list' | 'head';

interface Subscription {
  readonly api: FakeApi;
  readonly partitionId: string;
  readonly handlers: EventHandlers;
  readonly queue: ParleyEvent[];
  readonly delivered: ParleyEvent[];
  open: boolean;
}

interface HeldReply {
  readonly api: FakeApi;
  readonly input: SendInput;
  readonly author: { id: string; name: string };
  /** Null while the request is still on its way to the server (nothing committed yet). */
  message: MessageDto | null;
  resolve(message: MessageDto): void;
  reject(error: Error): void;
}

export interface FakeApi extends ParleyApi {
  /** The page that made it is gone: every later call fails, replies it waits for are lost. */
  kill(): void;
  readonly killed: boolean;
}

export class FakeServer {
  /** Messages per `list` page (the real server's default is 50). */
  pageSize: number;
  /** Answers to `send` wait for `deliverNextReply()` / `loseNextReply()`. */
  holdReplies = false;
  /**
   * With `holdReplies`: true, a held send is committed when it arrives (only the answer is on
   * its way); false, the request itself is on its way, committed only when it is delivered or
   * its answer lost, and never if the connection or the page goes away first.
   */
  commitOnArrival = true;
  /** Events wait in each subscription for `deliverEvents()`; otherwise they go out at once, in order. */
  holdEvents = false;
  /** Every call as it reached the server, for assertions. */
  readonly calls = {
    send: [] as SendInput[],
    list: [] as { partitionId: string; roomId: string; before?: number | undefined }[],
    head: [] as string[],
    subscribe: [] as { partitionId: string; lastEventId: number | null }[],
  };
  /** The order in which calls reached the server: `send`, `list`, `head`, `subscribe`. */
  readonly log: (Method | 'subscribe')[] = [];

  readonly #events = new Map<string, ParleyEvent[]>();
  readonly #byClientId = new Map<string, MessageDto>();
  readonly #subscriptions: Subscription[] = [];
  readonly #held: HeldReply[] = [];
  readonly #sendPlans: SendPlan[] = [];
  readonly #failures: Record<'list' | 'head', Error[]> = { list: [], head: [] };
  readonly #gates = new Map<Method, Promise<void>>();
  #connected = true;
  #nextMessage = 0;
  #pumping = false;

  constructor(options: { pageSize?: number } = {}) {
    this.pageSize = options.pageSize ?? 50;
  }

  /** A client's connection to this server (one per page load). */
  api(author: { id: string; name: string } = ME): FakeApi {
    let killed = false;
    const guard = () => {
      if (killed || !this.#connected) throw networkError();
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
        const plan = this.#sendPlans.shift() ?? (this.holdReplies ? 'hold' : 'commit');
        if (plan instanceof Error) throw plan;
        if (plan === 'hold') {
          const message = this.commitOnArrival ? this.#commit(input, author) : null;
          return new Promise<MessageDto>((resolve, reject) => {
            this.#held.push({ api, input, author, message, resolve, reject });
          });
        }
        const message = this.#commit(input, author);
        if (plan === 'lose-reply') throw networkError();
        return message;
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
        return this.#page(input);
      },
      subscribe: (input, handlers) => {
        this.calls.subscribe.push({ ...input });
        this.log.push('subscribe');
        const log = this.#log(input.partitionId);
        // Like the real server: nothing before the call without a position, else a replay after it.
        const queue = input.lastEventId === null ? [] : log.filter((e) => e.id > (input.lastEventId ?? 0));
        const sub: Subscription = { api, partitionId: input.partitionId, handlers, queue, delivered: [], open: !killed };
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
    this.#sendPlans.push(...plans);
  }

  /** The next `times` calls of `method` that reach the server throw `error` (a send then commits nothing). */
  failNext(method: Method, error: Error, times = 1): void {
    for (let i = 0; i < times; i += 1) {
      if (method === 'send') this.#sendPlans.push(error);
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

  get connected(): boolean {
    return this.#connected;
  }

  /** The server ends the partition's open streams with `error` (a removal: `refusal('FORBIDDEN', …)`). */
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

  /** Someone else posts into a room. */
  post(partitionId: string, roomId: string, body: string, author: { id: string; name: string } = SOMEONE_ELSE): MessageDto {
    return this.#commit({ partitionId, roomId, body, clientId: `other-${(this.#nextMessage += 1)}` }, author);
  }

  /** Appends any other event (a member joining, …). */
  append(partitionId: string, event: Omit<ParleyEvent, 'id' | 'partitionId' | 'at'>): ParleyEvent {
    const log = this.#log(partitionId);
    const full = { ...event, id: log.length + 1, partitionId, at: new Date().toISOString() } as ParleyEvent;
    log.push(full);
    for (const sub of this.#subscriptions) if (sub.open && sub.partitionId === partitionId) sub.queue.push(full);
    this.#schedulePump();
    return full;
  }

  /** The partition's messages, in event order (optionally one room's). */
  messages(partitionId: string, roomId?: string): MessageDto[] {
    return this.#log(partitionId)
      .flatMap((e) => (e.type === 'message.created' ? [e.data] : []))
      .filter((m) => roomId === undefined || m.roomId === roomId);
  }

  events(partitionId: string): readonly ParleyEvent[] {
    return this.#log(partitionId);
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

  /** Answers the oldest held send (committing it first if it was still on its way). False when none is held. */
  deliverNextReply(): boolean {
    const reply = this.#held.shift();
    if (!reply) return false;
    reply.resolve(reply.message ?? this.#commit(reply.input, reply.author));
    return true;
  }

  /** The oldest held send is committed, but its answer never arrives (a network error instead). */
  loseNextReply(): boolean {
    const reply = this.#held.shift();
    if (!reply) return false;
    reply.message ??= this.#commit(reply.input, reply.author);
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

  #log(partitionId: string): ParleyEvent[] {
    let log = this.#events.get(partitionId);
    if (!log) {
      log = [];
      this.#events.set(partitionId, log);
    }
    return log;
  }

  #commit(input: SendInput, author: { id: string; name: string }): MessageDto {
    const previous = this.#byClientId.get(input.clientId);
    // Idempotent by clientId: the first message again, no new event.
    if (previous) return structuredClone(previous);
    const log = this.#log(input.partitionId);
    const eventId = log.length + 1;
    const message: MessageDto = {
      id: `m-${input.partitionId}-${eventId}`,
      partitionId: input.partitionId,
      roomId: input.roomId,
      clientId: input.clientId,
      authorId: author.id,
      authorName: author.name,
      body: input.body,
      eventId,
      createdAt: new Date().toISOString(),
    };
    this.#byClientId.set(input.clientId, message);
    this.append(input.partitionId, { type: 'message.created', roomId: input.roomId, actorId: author.id, data: message });
    return structuredClone(message);
  }

  #page(input: { partitionId: string; roomId: string; before?: number | undefined }): MessagePage {
    const older = this.messages(input.partitionId, input.roomId).filter((m) => input.before === undefined || m.eventId < input.before);
    const messages = older.slice(-this.pageSize);
    const more = older.length > messages.length;
    return { messages: structuredClone(messages), nextCursor: more && messages[0] ? messages[0].eventId : null };
  }

  #fail(method: 'list' | 'head'): void {
    const error = this.#failures[method].shift();
    if (error) throw error;
  }

  async #gate(method: Method): Promise<void> {
    for (let gate = this.#gates.get(method); gate; gate = this.#gates.get(method)) await gate;
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
    sub.handlers.onEvent(structuredClone(event));
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
  canSend?: (() => boolean) | undefined;
  persistPerRoom?: number | undefined;
}): { api: FakeApi; storage: ClientStorage; outbox: Outbox; store: MessageStore; close(): void } {
  const api = options.api ?? options.server.api();
  const storage = options.storage ?? memoryStorage();
  let store: MessageStore | undefined;
  const outbox = new Outbox({ api, storage, canSend: options.canSend, onSent: (m) => store?.addMessage(m), random: () => 0 });
  store = new MessageStore({ api, storage, outbox, persistPerRoom: options.persistPerRoom });
  const created = store;
  return {
    api,
    storage,
    outbox,
    store: created,
    close() {
      outbox.close();
      created.close();
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
