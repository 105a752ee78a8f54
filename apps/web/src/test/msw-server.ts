import { getResponse, http, HttpResponse, ws, type RequestHandler, type WebSocketHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { createTRPCMsw, httpLink } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY, type TRPCClientOutgoingMessage, type TRPCResponseMessage } from '@trpc/server/rpc';
import {
  hasRole,
  memberManagementRefusal,
  parseMentions,
  REFUSAL,
  ROLE_NEEDED,
  type AppRouter,
  type MemberPresenceDto,
  type PresenceSignalDto,
  type PresenceStatus,
} from '@parley/client';
import type { RoomRole } from '../lib/rooms.ts';
import type {
  AdminAuditEntry,
  AdminNode,
  AdminPartition,
  AssignableRole,
  Me,
  Member,
  MessageDto,
  ParleyEvent,
  Partition,
  Role,
  Room,
  RouterInputs,
} from '../lib/trpc.ts';
import { MockMedia } from './mock-media.ts';
import {
  addToRoom,
  changeRoomRole,
  conversationProcedures,
  createRoom,
  findRoom,
  openDm,
  postAnnouncement,
  removeFromRoom,
  type ConversationHost,
} from './mock-conversations.ts';
import { roomAudience, roomItem, seedRoom, type Audience, type MockRoom, type PartitionState } from './mock-state.ts';
import { MockMessageActions } from './mock-message-actions.ts';
import { MockNotes } from './mock-notes.ts';
import { MockProfiles } from './mock-profiles.ts';
import { MockRead } from './mock-read.ts';

/** happy-dom's `window.location.origin`: the SPA's own origin, where tRPC lives at `/trpc`. */
export const ORIGIN = 'http://localhost:3000';
const TRPC_URL = `${ORIGIN}/trpc`;
const WS_URL = `${ORIGIN.replace(/^http/, 'ws')}/trpc`;
// One link for the module: each link adds a listener to msw's shared BroadcastChannel for good.
const socketLink = ws.link(WS_URL);

export type SendMessageInput = RouterInputs['message']['send'];
export type TypingInput = RouterInputs['presence']['typing'];

const at = (second: number) => new Date(Date.UTC(2026, 0, 5, 9, 0, second)).toISOString();

export const ADA: Me = {
  id: '0197a000-0000-7000-8000-00000000000a',
  username: 'ada',
  displayName: 'Ada',
  isAdmin: false,
  createdAt: at(0),
  sessionExpiresAt: '2099-01-01T00:00:00.000Z',
  limits: { mediaMaxBytes: 25 * 1024 * 1024, avatarMaxBytes: 5 * 1024 * 1024 },
};
export const BOB = { id: '0197a000-0000-7000-8000-00000000000b', displayName: 'Bob' };

export const ACME: Partition = { id: 'acme', name: 'Acme', role: 'member', createdAt: at(0) };
export const GENERAL: Room = {
  id: '0197a000-0000-7000-8000-0000000000e1',
  partitionId: 'acme',
  name: 'general',
  kind: 'public',
  topic: '',
  createdBy: ADA.id,
  createdAt: at(0),
  joined: true,
  memberCount: 2,
  myRole: 'member',
};
export const RANDOM: Room = { ...GENERAL, id: '0197a000-0000-7000-8000-0000000000e2', name: 'random' };

/** The route of a room, for `window.location.hash`. */
export const roomHash = (room: Room) => `#/w/${room.partitionId}/r/${room.id}`;

/** The real server's words and role rules (`@parley/rules`: the server's trpc.ts, partition.service.ts, event.service.ts use them). */
const NOT_A_MEMBER = REFUSAL.notAMember;
const NO_LONGER_MEMBER = REFUSAL.noLongerMember;

/** A promise the server waits on, opened by the test. */
class Gate {
  readonly opened: Promise<void>;
  open!: () => void;
  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
}

interface SocketState {
  /** Asked for in the URL (`?connectionParams=1`): then the first message must carry them. */
  readonly expectsParams: boolean;
  connectionParams: Record<string, string> | null;
  /** Open `event.onEvent` subscriptions by request id. */
  subscriptions: Map<string | number, { partitionId: string }>;
  /** Open `presence.onSignal` subscriptions by request id. */
  presenceSubscriptions: Map<string | number, { partitionId: string }>;
  send(message: TRPCResponseMessage): void;
  close(code: number, reason: string): void;
}

/** What `admin.*` answers (to administrators only); a test fills and changes it. */
export interface MockAdmin {
  nodes: AdminNode[];
  partitions: AdminPartition[];
  /** Any order: `admin.audit` pages it newest first by id, as the server does. */
  audit: AdminAuditEntry[];
}

export interface MockParleyOptions {
  me?: Me | null;
  partitions?: { partition: Partition; rooms: Room[]; members?: Member[] }[];
}

/**
 * A Parley server in memory behind MSW, speaking tRPC's wire protocol: batched HTTP for queries
 * and mutations (msw-trpc's typed handlers, one per procedure, behind a splitter for
 * `httpBatchLink`'s batches), and the WebSocket protocol for `event.onEvent` (connectionParams,
 * `subscription` → `started` → tracked `data`, resumed from `lastEventId`; and untracked
 * `presence.onSignal`, a snapshot first), the same two subscriptions as server-sent events for
 * the client's HTTP fallback (with `GET /live`, which it probes). Tests drive it: post as another user, deliver an
 * event again, change someone's presence or have them type, change a member's role or end a
 * membership as someone else would (`changeRole`, `endMembership`), hold the feed's events
 * (`holdEvents`), close or refuse sockets, refuse or hold sends, make the server unreachable.
 * `partition.setRole`, `removeMember` and `leave` apply the real server's rules.
 */
export class MockParley {
  me: Me | null;
  readonly partitions = new Map<string, PartitionState>();
  /** Every `message.send` the server received, refused ones included, in order. */
  readonly sendRequests: SendMessageInput[] = [];
  /** Every `presence.typing` the server received, in order. */
  readonly typingRequests: TypingInput[] = [];
  /** Presence snapshots sent (each `presence.onSignal` subscription starts with one). */
  presenceSnapshots = 0;
  /** Every procedure called over HTTP, with its input, in the order they arrived. */
  readonly calls: { path: string; input: unknown }[] = [];
  /** Procedures called while the server was unreachable (they failed as network errors). */
  readonly lostCalls: string[] = [];
  /** WebSocket connections attempted (refused ones included). */
  connectionAttempts = 0;
  /** Server-sent event streams opened (the HTTP fallback's subscriptions). */
  eventStreams = 0;
  readonly admin: MockAdmin = { nodes: [], partitions: [], audit: [] };

  /** Typed msw-trpc handler builders: `parley.use(parley.trpc.auth.login.mutation(…))`. */
  readonly trpc = createTRPCMsw<AppRouter>({ links: [httpLink({ url: TRPC_URL })] });

  readonly #server: SetupServer;
  #procedures: RequestHandler[];
  readonly #sockets = new Set<SocketState>();
  readonly #changes = new Set<() => void>();
  #reachable = true;
  #closed = false;
  #refusingSockets = false;
  #sendRefusal: { code: TRPC_ERROR_CODE_KEY; message: string } | null = null;
  #beforeCommit: Gate | null = null;
  #beforeReply: Gate | null = null;
  /** Events logged while the feed is held (`holdEvents`), not streamed yet. */
  #heldEvents: ParleyEvent[] | null = null;
  /** The first answer to each opId (`commitChange`). */
  readonly #ops = new Map<string, unknown>();
  /** Blocks, as `blocker→blocked`. */
  readonly #blocks = new Set<string>();
  /** Edits, deletions, reactions, pins and blocks (`mock-message-actions.ts`): `parley.actions.editAs(…)`, `clockOffsetMs`, … */
  readonly actions = new MockMessageActions({
    partitions: this.partitions,
    access: (partitionId, min) => this.#access(partitionId, min),
    signedIn: () => this.#signedIn(),
    append: (p, audience, make) => this.#append(p, audience, make),
    once: (opId, run) => this.#host.once(opId, run),
    blocks: this.#blocks,
  });
  /** Notes and their edit locks (`mock-notes.ts`): `parley.notes.seed(…)`, `lockAs`, `saveAs`, `expire`, `lockMs`, … */
  readonly notes = new MockNotes({
    partitions: this.partitions,
    access: (partitionId, min) => this.#access(partitionId, min),
    append: (p, audience, make) => this.#append(p, audience, make),
    once: (opId, run) => this.#host.once(opId, run),
  });

  /** Profiles and avatar uploads (`mock-profiles.ts`): `parley.profiles.changeAs(…)`, `avatars`, `refuseNextUpload`. */
  readonly profiles = new MockProfiles({
    partitions: this.partitions,
    access: (partitionId, min) => this.#access(partitionId, min),
    signedIn: () => this.#signedIn(),
    setMe: (me) => {
      this.me = me;
    },
    append: (p, audience, make) => this.#append(p, audience, make),
    once: (opId, run) => this.#host.once(opId, run),
  });

  /** Uploads and downloads (`mock-media.ts`): `parley.media.hold()`, `refuseNext(413, …)`, `stored`. */
  readonly media = new MockMedia();

  /** Read positions and receipts (`mock-read.ts`): `parley.read.readAs(…)`, `marks`, `receiptsOff`. */
  readonly read = new MockRead({
    partitions: this.partitions,
    access: (partitionId, min) => this.#access(partitionId, min),
    signedIn: () => this.#signedIn(),
    append: (p, audience, make) => this.#append(p, audience, make),
    once: (opId, run) => this.#host.once(opId, run),
    messages: (p) => p.events.flatMap((e) => (e.type === 'message.created' ? [this.actions.current(e.data)] : [])),
    displayName: (userId) => {
      for (const p of this.partitions.values()) {
        const member = p.members.find((m) => m.userId === userId);
        if (member) return member.displayName;
      }
      return 'Someone';
    },
  });

  constructor(options: MockParleyOptions = {}) {
    this.me = options.me === undefined ? ADA : options.me;
    const seed = options.partitions ?? [{ partition: ACME, rooms: [GENERAL, RANDOM] }];
    for (const partition of seed) this.addPartition(partition);
    this.#procedures = this.#defaultProcedures();
    this.#server = setupServer(
      ...this.#eventStreamHandlers(),
      this.#batchHandler(),
      this.#socketHandler(),
      ...this.profiles.httpHandlers(ORIGIN),
      ...this.media.handlers(ORIGIN),
    );
  }

  /**
   * A workspace the server has (the constructor's `partitions` are added so). The rooms are
   * `room.list` items as Ada (or whoever is signed in) sees them: her `joined` and `myRole`,
   * and the first members up to `memberCount` in them, the creator as the room's admin.
   */
  addPartition({ partition, rooms, members: seedMembers }: { partition: Partition; rooms: Room[]; members?: Member[] }): void {
    const members = seedMembers ?? [
      { userId: ADA.id, username: 'ada', displayName: 'Ada', role: partition.role, joinedAt: at(0) },
      { userId: BOB.id, username: 'bob', displayName: 'Bob', role: 'member', joinedAt: at(0) },
    ];
    const meId = (this.me ?? ADA).id;
    this.partitions.set(partition.id, {
      partition,
      rooms: rooms.map((room) => seedRoom(room, members, meId, at(0))),
      members,
      events: [],
      audiences: new Map(),
      presence: new Map(),
      announcements: [],
      notes: new Map(),
    });
  }

  listen(): void {
    this.#server.listen({ onUnhandledRequest: 'error' });
  }

  /**
   * Stops the server. What the unmounted app still had queued (tRPC batches go out a tick
   * later) fails as a network error here, rather than reaching for a real localhost:3000.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const socket of [...this.#sockets]) socket.close(1001, 'test over');
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    this.#server.close();
  }

  /** The inputs of the calls to one procedure so far. */
  callsTo(path: string): unknown[] {
    return this.calls.filter((c) => c.path === path).map((c) => c.input);
  }

  /** Procedure handlers that take precedence over the defaults (msw-trpc's, from `this.trpc`). */
  use(...handlers: RequestHandler[]): void {
    this.#procedures = [...handlers, ...this.#procedures];
  }

  /** Unreachable: HTTP fails as a network error and WebSockets are refused, like a lost network. */
  setReachable(reachable: boolean): void {
    this.#reachable = reachable;
  }

  /** New WebSocket connections are closed before they open (the server is down or overloaded). */
  refuseSockets(refuse: boolean): void {
    this.#refusingSockets = refuse;
  }

  /** Closes every open WebSocket from the server's side (a restart, a load balancer's timeout). */
  closeSockets(code = 1012, reason = 'Service restart'): void {
    for (const socket of [...this.#sockets]) socket.close(code, reason);
  }

  /** Refuses every `message.send` with this tRPC error until called with null. */
  refuseSends(refusal: { code: TRPC_ERROR_CODE_KEY; message: string } | null): void {
    this.#sendRefusal = refusal;
  }

  /** Holds `message.send` before the server stores anything, until the returned function is called. */
  holdSends(): () => void {
    const gate = (this.#beforeCommit = new Gate());
    return () => {
      if (this.#beforeCommit === gate) this.#beforeCommit = null;
      gate.open();
    };
  }

  /** Stores and publishes sent messages at once, but holds the replies until released. */
  holdReplies(): () => void {
    const gate = (this.#beforeReply = new Gate());
    return () => {
      if (this.#beforeReply === gate) this.#beforeReply = null;
      gate.open();
    };
  }

  /** Someone else writes: the message is stored, logged and streamed to open subscriptions. */
  post(body: string, options: { room?: Room; author?: { id: string; displayName: string } } = {}): ParleyEvent {
    const room = options.room ?? GENERAL;
    const author = options.author ?? BOB;
    return this.#createMessage(room.partitionId, {
      roomId: room.id,
      clientId: crypto.randomUUID(),
      body,
      authorId: author.id,
      authorName: author.displayName,
    }).event;
  }

  /**
   * Streams an event to the open subscriptions of its partition (again: a duplicate delivery).
   * As the real server, my own `partition.left` ends my streams of that partition, if I am
   * still out of it.
   */
  deliver(event: ParleyEvent): void {
    const p = this.partitions.get(event.partitionId);
    if (p && !this.#visibleToMe(p, event)) return;
    for (const socket of this.#sockets) {
      for (const [id, sub] of socket.subscriptions)
        if (sub.partitionId === event.partitionId) socket.send(dataMessage(id, this.actions.asSeenBy(event, this.me?.id)));
    }
    if (event.type === 'partition.left' && event.data.userId === this.me?.id && p && !this.#isMember(p)) {
      this.#endStreams(event.partitionId, NO_LONGER_MEMBER);
    }
  }

  /**
   * The feed is slow: events are logged (and replayed to a stream that resumes) at once, but
   * reach the open streams only when the returned function is called.
   */
  holdEvents(): () => void {
    const held: ParleyEvent[] = (this.#heldEvents ??= []);
    return () => {
      if (this.#heldEvents === held) this.#heldEvents = null;
      for (const event of held.splice(0)) this.deliver(event);
    };
  }

  /**
   * Someone else (an owner or admin: `by`, Bob unless said) gives a member another role, with
   * no checks: stored, logged as `partition.role_changed` and streamed.
   */
  changeRole(userId: string, role: AssignableRole, { by = BOB.id, partitionId = ACME.id }: { by?: string; partitionId?: string } = {}): ParleyEvent {
    return this.#changeRole(this.#partition(partitionId), userId, role, by);
  }

  /**
   * A membership ends without the app asking: `removedBy` removed them (Bob unless said), or
   * with `removedBy: null` they left (me: in another tab). Out of every room, then `partition.left`.
   */
  endMembership(userId: string, { removedBy = BOB.id, partitionId = ACME.id }: { removedBy?: string | null; partitionId?: string } = {}): void {
    this.#endMembership(this.#partition(partitionId), userId, removedBy, removedBy ?? userId);
  }

  /** Someone else (Bob unless said) creates a room, its admin: public rooms are announced to all, private ones to him. */
  createRoomAs(
    name: string,
    {
      kind = 'public',
      topic,
      by = BOB,
      partitionId = ACME.id,
    }: { kind?: 'public' | 'private'; topic?: string; by?: { id: string; displayName: string }; partitionId?: string } = {},
  ): Room {
    const p = this.#partition(partitionId);
    const dto = createRoom(this.#host, p, by, { name, kind, topic });
    return roomItem(this.#room(p, dto.id), (this.me ?? ADA).id);
  }

  /** Someone else (Bob unless said) adds a member to a room, with no checks: `member.joined` with `addedBy`. */
  addToRoomAs(room: Pick<Room, 'id' | 'partitionId'>, userId: string, { by = BOB.id }: { by?: string } = {}): void {
    const p = this.#partition(room.partitionId);
    addToRoom(this.#host, p, this.#room(p, room.id), userId, by);
  }

  /**
   * Someone else (Bob unless said) removes a member from a room, with no checks: `member.left`
   * with `removedBy`; with `by: null` they left by themselves (me: in another tab).
   */
  removeFromRoomAs(room: Pick<Room, 'id' | 'partitionId'>, userId: string, { by = BOB.id }: { by?: string | null } = {}): void {
    const p = this.#partition(room.partitionId);
    removeFromRoom(this.#host, p, this.#room(p, room.id), userId, by, by ?? userId);
  }

  /** Someone else (Bob unless said) gives a room member another room role: `room.role_changed`. */
  setRoomRoleAs(room: Pick<Room, 'id' | 'partitionId'>, userId: string, role: RoomRole, { by = BOB.id }: { by?: string } = {}): void {
    const p = this.#partition(room.partitionId);
    changeRoomRole(this.#host, p, this.#room(p, room.id), userId, role, by);
  }

  /** `userId` (Bob unless said) opens a direct message with `others`, under the server's rules; returns it as I would list it. */
  openDmAs(others: string[], { by = BOB.id, partitionId = ACME.id }: { by?: string; partitionId?: string } = {}): Room {
    const r = openDm(this.#host, this.#partition(partitionId), by, others);
    return roomItem(r, (this.me ?? ADA).id);
  }

  /** An owner or admin (Bob unless said) posts an announcement, with no checks: `announcement.created` to everyone. */
  postAnnouncementAs(body: string, { by = BOB, partitionId = ACME.id }: { by?: { id: string; displayName: string }; partitionId?: string } = {}) {
    return postAnnouncement(this.#host, this.#partition(partitionId), by, body);
  }

  /** `blocker` blocks `blocked`: direct messages and room additions between them are refused, as for non-members. */
  block(blocker: string, blocked: string): void {
    this.#blocks.add(`${blocker}→${blocked}`);
  }

  /** `room.list` as `userId` would get it (another person's sidebar). */
  roomsOf(userId: string, partitionId = ACME.id): Room[] {
    const p = this.#partition(partitionId);
    const role = p.members.find((m) => m.userId === userId)?.role;
    if (!role) return [];
    const moderator = role === 'owner' || role === 'admin';
    return p.rooms.filter((r) => r.room.kind === 'public' || r.members.has(userId) || (r.room.kind === 'private' && moderator)).map((r) => roomItem(r, userId));
  }

  /** A room's members and their room roles, as the server has them. */
  roomMembers(room: Pick<Room, 'id' | 'partitionId'>): { userId: string; role: RoomRole }[] {
    const p = this.#partition(room.partitionId);
    return [...this.#room(p, room.id).members].map(([userId, m]) => ({ userId, role: m.role }));
  }

  #room(p: PartitionState, roomId: string): MockRoom {
    const r = findRoom(p, roomId);
    if (!r) throw new Error(`No room ${roomId} in ${p.partition.id}`);
    return r;
  }

  /** The room's messages as the server has them, in order. */
  messages(room: Room = GENERAL): MessageDto[] {
    return this.#roomMessages(room.partitionId, room.id);
  }

  /**
   * A member's presence changes (as another node would announce it): stored for the next
   * snapshot and streamed to the open `presence.onSignal` subscriptions.
   */
  setPresence(userId: string, status: PresenceStatus, times: { lastSeenAt?: string | null; offlineAt?: string | null } = {}, partitionId = ACME.id): void {
    const member: MemberPresenceDto = { userId, status, lastSeenAt: times.lastSeenAt ?? null, offlineAt: times.offlineAt ?? null };
    this.#partition(partitionId).presence.set(userId, member);
    this.#signal(partitionId, { type: 'presence', at: new Date().toISOString(), ...member });
  }

  /** Someone types in a room for the next `forMs` (0: they stopped). */
  typing(userId: string, room: Room = GENERAL, forMs = 5_000): void {
    const at = new Date();
    this.#signal(room.partitionId, { type: 'typing', at: at.toISOString(), userId, roomId: room.id, until: new Date(at.getTime() + forMs).toISOString() });
  }

  /** Open `presence.onSignal` subscriptions to a partition over all sockets. */
  presenceSubscriptionCount(partitionId = ACME.id): number {
    let n = 0;
    for (const socket of this.#sockets) for (const sub of socket.presenceSubscriptions.values()) if (sub.partitionId === partitionId) n++;
    return n;
  }

  /** Open subscriptions to a partition's events over all sockets. */
  subscriptionCount(partitionId = ACME.id): number {
    let n = 0;
    for (const socket of this.#sockets) for (const sub of socket.subscriptions.values()) if (sub.partitionId === partitionId) n++;
    return n;
  }

  /** Resolves once some socket carries a live subscription to the partition. */
  whenSubscribed(partitionId = ACME.id): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.subscriptionCount(partitionId) === 0) return;
        this.#changes.delete(check);
        resolve();
      };
      this.#changes.add(check);
      check();
    });
  }

  #presenceSnapshot(partitionId: string): PresenceSignalDto {
    const p = this.#partition(partitionId);
    return {
      type: 'snapshot',
      at: new Date().toISOString(),
      graceMs: 60_000,
      available: true,
      members: p.members.map((m) => p.presence.get(m.userId) ?? { userId: m.userId, status: 'offline', lastSeenAt: null, offlineAt: null }),
      typing: [],
    };
  }

  #signal(partitionId: string, signal: PresenceSignalDto): void {
    for (const socket of this.#sockets) {
      for (const [id, sub] of socket.presenceSubscriptions) {
        if (sub.partitionId === partitionId) socket.send({ id, result: { type: 'data', data: signal } });
      }
    }
  }

  #changed(): void {
    for (const listener of [...this.#changes]) listener();
  }

  #partition(partitionId: string): PartitionState {
    const p = this.partitions.get(partitionId);
    if (!p) throw new TRPCError({ code: 'FORBIDDEN', message: ROLE_NEEDED.viewer });
    return p;
  }

  #isMember(p: PartitionState): boolean {
    return this.me !== null && p.members.some((m) => m.userId === this.me?.id);
  }

  /** As `partitionProcedure(min)`: the signed-in user's membership, at least `min`. */
  #access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role } {
    const me = this.#signedIn();
    const p = this.partitions.get(partitionId);
    const role = p?.members.find((m) => m.userId === me.id)?.role;
    if (!p || !role) throw new TRPCError({ code: 'FORBIDDEN', message: ROLE_NEEDED.viewer });
    if (!hasRole(role, min)) throw new TRPCError({ code: 'FORBIDDEN', message: ROLE_NEEDED[min] });
    return { p, me, role };
  }

  /** The server's `assertMayManage` (`memberManagementRefusal`): never yourself, never the owner; only the owner manages admins. */
  #assertMayManage(actor: { id: string; role: Role }, target: Member, what: 'role' | 'remove', newRole?: Role): void {
    const refusal = memberManagementRefusal(actor, target, what, newRole);
    if (refusal) throw new TRPCError({ code: 'FORBIDDEN', message: refusal });
  }

  #member(p: PartitionState, userId: string): Member {
    const member = p.members.find((m) => m.userId === userId);
    if (!member) throw new TRPCError({ code: 'NOT_FOUND', message: NOT_A_MEMBER });
    return member;
  }

  #changeRole(p: PartitionState, userId: string, role: AssignableRole, actorId: string): ParleyEvent {
    const previousRole = this.#member(p, userId).role;
    p.members = p.members.map((m) => (m.userId === userId ? { ...m, role } : m));
    return this.#append(p, null, (id, at) => ({
      id,
      partitionId: p.partition.id,
      roomId: null,
      at,
      actorId,
      type: 'partition.role_changed',
      data: { userId, role, previousRole },
    }));
  }

  /** Out of every room (`member.left` each), then `partition.left`. */
  #endMembership(p: PartitionState, userId: string, removedBy: string | null, actorId: string): void {
    this.#member(p, userId);
    const partitionId = p.partition.id;
    for (const r of p.rooms) {
      if (!r.members.delete(userId)) continue;
      const roomId = r.room.id;
      this.#append(p, roomAudience(r, userId), (id, at) => ({ id, partitionId, roomId, at, actorId, type: 'member.left', data: { roomId, userId } }));
    }
    p.members = p.members.filter((m) => m.userId !== userId);
    p.presence.delete(userId);
    this.#append(p, null, (id, at) => ({ id, partitionId, roomId: null, at, actorId, type: 'partition.left', data: { userId, removedBy } }));
  }

  /** Ends the open streams (events and presence) of a partition with FORBIDDEN, as the server does for someone no longer in it. */
  #endStreams(partitionId: string, message: string): void {
    for (const socket of [...this.#sockets]) {
      for (const subs of [socket.subscriptions, socket.presenceSubscriptions]) {
        for (const [id, sub] of [...subs]) {
          if (sub.partitionId !== partitionId) continue;
          subs.delete(id);
          socket.send(errorMessage(id, 'FORBIDDEN', message));
        }
      }
    }
    this.#changed();
  }

  #signedIn(): Me {
    if (!this.me) throw new TRPCError({ code: 'UNAUTHORIZED', message: REFUSAL.signIn });
    return this.me;
  }

  #administrator(): void {
    if (!this.#signedIn().isAdmin) throw new TRPCError({ code: 'FORBIDDEN', message: REFUSAL.notParleyAdmin });
  }

  #roomMessages(partitionId: string, roomId: string): MessageDto[] {
    const out: MessageDto[] = [];
    for (const e of this.#partition(partitionId).events) if (e.type === 'message.created' && e.data.roomId === roomId) out.push(this.actions.current(e.data));
    return out;
  }

  /** As the server's `Visibility`: an event is streamed only to its audience. */
  #visibleToMe(p: PartitionState, event: ParleyEvent): boolean {
    const audience = p.audiences.get(event.id);
    return audience == null || (this.me !== null && audience.has(this.me.id));
  }

  #append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent {
    const id = p.events.length + 1;
    const event = make(id, new Date().toISOString());
    p.events.push(event);
    if (audience) p.audiences.set(id, audience);
    if (this.#heldEvents) this.#heldEvents.push(event);
    else this.deliver(event);
    return event;
  }

  #createMessage(
    partitionId: string,
    fields: Pick<MessageDto, 'roomId' | 'clientId' | 'body' | 'authorId' | 'authorName'> & Partial<Pick<MessageDto, 'replyTo' | 'attachment'>>,
  ): { message: MessageDto; event: ParleyEvent } {
    let message!: MessageDto;
    const p = this.#partition(partitionId);
    const room = findRoom(p, fields.roomId);
    const event = this.#append(p, room ? roomAudience(room) : null, (id, createdAt) => {
      message = {
        id: `m-${partitionId}-${id}`,
        partitionId,
        eventId: id,
        createdAt,
        replyTo: null,
        editedAt: null,
        deletedAt: null,
        pinnedAt: null,
        pinnedBy: null,
        reactions: [],
        // Whoever the text names (the real server also checks they are in the room).
        mentions: parseMentions(fields.body),
        attachment: null,
        ...fields,
      };
      return { id, partitionId, roomId: fields.roomId, at: createdAt, actorId: fields.authorId, type: 'message.created', data: message };
    });
    return { message, event };
  }

  async #send(input: SendMessageInput): Promise<MessageDto> {
    this.sendRequests.push(input);
    const me = this.#signedIn();
    await this.#beforeCommit?.opened;
    if (this.#sendRefusal) throw new TRPCError(this.#sendRefusal);
    this.#access(input.partitionId, 'member');
    const existing = this.#partition(input.partitionId).events.find(
      (e): e is Extract<ParleyEvent, { type: 'message.created' }> => e.type === 'message.created' && e.data.clientId === input.clientId,
    );
    // Idempotent by clientId, as the real server: a resend gets the first message back.
    const message = existing
      ? this.actions.current(existing.data)
      : this.#createMessage(input.partitionId, {
          roomId: input.roomId,
          clientId: input.clientId,
          body: input.body.trim(),
          authorId: me.id,
          authorName: me.displayName,
          replyTo: input.replyTo ? this.actions.replyTarget(input.partitionId, input.roomId, input.replyTo) : null,
          attachment: this.media.attachment(input.mediaId),
        }).message;
    await this.#beforeReply?.opened;
    return message;
  }

  /** What the room, direct message and announcement procedures use of this server. */
  readonly #host: ConversationHost = {
    access: (partitionId, min) => this.#access(partitionId, min),
    append: (p, audience, make) => this.#append(p, audience, make),
    once: <T>(opId: string | undefined, run: () => T): T => {
      if (opId === undefined) return run();
      if (!this.#ops.has(opId)) this.#ops.set(opId, run());
      return this.#ops.get(opId) as T;
    },
    blocked: (userId, others) => others.some((o) => this.#blocks.has(`${userId}→${o}`) || this.#blocks.has(`${o}→${userId}`)),
  };

  #defaultProcedures(): RequestHandler[] {
    const t = this.trpc;
    return [
      t.auth.me.query(() => this.me),
      t.auth.logout.mutation(() => {
        this.me = null;
        return { ok: true as const };
      }),
      t.partition.list.query(() => {
        const me = this.#signedIn();
        return [...this.partitions.values()].flatMap((p) => {
          const role = p.members.find((m) => m.userId === me.id)?.role;
          return role ? [{ ...p.partition, role }] : [];
        });
      }),
      t.partition.members.query(({ input }) => this.#access(input.partitionId, 'viewer').p.members),
      t.partition.setRole.mutation(({ input }) => {
        const { p, me, role } = this.#access(input.partitionId, 'admin');
        const target = this.#member(p, input.userId);
        this.#assertMayManage({ id: me.id, role }, target, 'role', input.role);
        if (target.role === input.role) return { userId: input.userId, role: input.role, changed: false };
        this.#changeRole(p, input.userId, input.role, me.id);
        return { userId: input.userId, role: input.role, changed: true };
      }),
      t.partition.removeMember.mutation(({ input }) => {
        const { p, me, role } = this.#access(input.partitionId, 'admin');
        this.#assertMayManage({ id: me.id, role }, this.#member(p, input.userId), 'remove');
        this.#endMembership(p, input.userId, me.id, me.id);
        return { removed: true as const };
      }),
      t.partition.leave.mutation(({ input }) => {
        const { p, me, role } = this.#access(input.partitionId, 'viewer');
        if (role === 'owner') throw new TRPCError({ code: 'FORBIDDEN', message: REFUSAL.ownerCannotLeave });
        this.#endMembership(p, me.id, null, me.id);
        return { left: true as const };
      }),
      ...conversationProcedures(t, this.#host),
      t.event.head.query(({ input }) => ({ lastEventId: this.#access(input.partitionId, 'viewer').p.events.length })),
      ...this.actions.procedures(t),
      ...this.notes.procedures(t),
      ...this.profiles.procedures(t),
      ...this.read.procedures(t),
      t.message.send.mutation(({ input }) => this.#send(input)),
      t.admin.nodes.query(() => {
        this.#administrator();
        return this.admin.nodes;
      }),
      t.admin.partitions.query(() => {
        this.#administrator();
        return this.admin.partitions;
      }),
      t.admin.audit.query(({ input }) => {
        this.#administrator();
        const older = [...this.admin.audit].sort((a, b) => b.id - a.id).filter((e) => input.before === undefined || e.id < input.before);
        const limit = input.limit ?? 50;
        const entries = older.slice(0, limit);
        return { entries, nextCursor: older.length > limit ? entries.at(-1)!.id : null };
      }),
      t.presence.list.query(({ input }) => {
        const { type: _snapshot, ...list } = this.#presenceSnapshot(input.partitionId) as Extract<PresenceSignalDto, { type: 'snapshot' }>;
        return list;
      }),
      t.presence.typing.mutation(({ input }) => {
        this.typingRequests.push(input);
        this.#signedIn();
        return { until: new Date(Date.now() + 5_000).toISOString() };
      }),
    ];
  }

  /**
   * `httpBatchLink` asks for `/trpc/a,b?batch=1&input={"0":…,"1":…}` and wants an array back;
   * msw-trpc answers one procedure at a time. Each call of the batch is handed to the
   * procedure handlers as the single request `httpLink` would have made.
   */
  #batchHandler(): RequestHandler {
    return http.all(`${TRPC_URL}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const paths = decodeURIComponent(url.pathname.slice(new URL(TRPC_URL).pathname.length + 1)).split(',');
      if (!this.#reachable || this.#closed) {
        this.lostCalls.push(...paths);
        return HttpResponse.error();
      }
      // httpBatchLink is all the SPA uses; a plain httpLink call would be a change worth noticing.
      if (!url.searchParams.has('batch')) throw new Error(`Expected a batched tRPC call, got ${request.method} ${request.url}`);
      const inputs = (request.method === 'GET' ? JSON.parse(url.searchParams.get('input') ?? '{}') : await request.json()) as Record<string, unknown>;
      const results = await Promise.all(
        paths.map(async (path, i) => {
          const input = inputs[String(i)];
          this.calls.push({ path, input });
          const single =
            request.method === 'GET'
              ? new Request(`${TRPC_URL}/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`)
              : new Request(`${TRPC_URL}/${path}`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  ...(input === undefined ? {} : { body: JSON.stringify(input) }),
                });
          const response = (await getResponse(this.#procedures, single)) ?? notFound(path);
          return { status: response.status, body: (await response.json()) as unknown };
        }),
      );
      const statuses = new Set(results.map((r) => r.status));
      const status = statuses.size === 1 ? results[0]!.status : 207;
      return HttpResponse.json(
        results.map((r) => r.body),
        { status },
      );
    });
  }

  /**
   * The HTTP fallback: `GET /live`, and `event.onEvent` / `presence.onSignal` as tRPC's
   * server-sent event streams (`connected`, tracked `data` with its `id`, `serialized-error`).
   * Each stream is a socket of its own with that one subscription, so `post`, `deliver`,
   * `setPresence` and `closeSockets` reach it as they reach WebSockets.
   */
  #eventStreamHandlers(): RequestHandler[] {
    const live = http.get(`${ORIGIN}/live`, () => (this.#reachable && !this.#closed ? HttpResponse.json({ status: 'ok' }) : HttpResponse.error()));
    const stream = (path: 'event.onEvent' | 'presence.onSignal') =>
      http.get(`${TRPC_URL}/${path}`, ({ request }) => {
        if (!this.#reachable || this.#closed) return HttpResponse.error();
        this.eventStreams++;
        const input = JSON.parse(new URL(request.url).searchParams.get('input') ?? '{}') as unknown;
        const encoder = new TextEncoder();
        let socket: SocketState | null = null;
        const end = () => {
          if (!socket || !this.#sockets.delete(socket)) return;
          this.#changed();
        };
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => {
            socket = {
              expectsParams: false,
              connectionParams: null,
              subscriptions: new Map(),
              presenceSubscriptions: new Map(),
              send: (message) => {
                try {
                  controller.enqueue(encoder.encode(eventStreamFrame(message)));
                } catch {
                  end(); // the client went away
                }
              },
              close: () => {
                end();
                try {
                  controller.close();
                } catch {
                  // already closed
                }
              },
            };
            this.#sockets.add(socket);
            request.signal.addEventListener('abort', end);
            this.#onSocketMessage(socket, { id: 0, method: 'subscription', params: { path, input } });
            this.#changed();
          },
          cancel: end,
        });
        return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
      });
    return [live, stream('event.onEvent'), stream('presence.onSignal')];
  }

  #socketHandler(): WebSocketHandler {
    return socketLink.addEventListener('connection', ({ client }) => {
      this.connectionAttempts++;
      if (!this.#reachable || this.#refusingSockets || this.#closed) {
        // Closed inside the connection listener: the client never sees it open.
        client.close(1006, 'refused');
        return;
      }
      const socket: SocketState = {
        expectsParams: client.url.searchParams.get('connectionParams') === '1',
        connectionParams: null,
        subscriptions: new Map(),
        presenceSubscriptions: new Map(),
        send: (message) => client.send(JSON.stringify(message)),
        close: (code, reason) => {
          this.#sockets.delete(socket);
          client.close(code, reason);
          this.#changed();
        },
      };
      this.#sockets.add(socket);
      client.addEventListener('close', () => {
        this.#sockets.delete(socket);
        this.#changed();
      });
      client.addEventListener('message', (event) => {
        if (event.data === 'PING') return client.send('PONG');
        if (typeof event.data !== 'string') throw new Error('The Parley client sends text frames only.');
        const parsed = JSON.parse(event.data) as unknown;
        for (const message of (Array.isArray(parsed) ? parsed : [parsed]) as TRPCClientOutgoingMessage[]) this.#onSocketMessage(socket, message);
        this.#changed();
      });
    });
  }

  #onSocketMessage(socket: SocketState, message: TRPCClientOutgoingMessage | { method: 'connectionParams'; data: Record<string, string> }): void {
    if (message.method === 'connectionParams') {
      socket.connectionParams = message.data;
      return;
    }
    if (message.method === 'subscription.stop') {
      socket.subscriptions.delete(message.id ?? '');
      socket.presenceSubscriptions.delete(message.id ?? '');
      return;
    }
    const id = message.id ?? '';
    // tRPC's adapter reads the first message of such a socket as its connection parameters.
    if (socket.expectsParams && socket.connectionParams === null) {
      socket.send(errorMessage(id, 'BAD_REQUEST', 'Expected connectionParams as the first message.'));
      return;
    }
    if (message.method === 'subscription' && message.params.path === 'presence.onSignal') {
      this.#subscribePresence(socket, id, message.params.input as { partitionId: string });
      return;
    }
    if (message.method !== 'subscription' || message.params.path !== 'event.onEvent') {
      socket.send(errorMessage(id, 'NOT_FOUND', `No mocked procedure ${message.params.path}`));
      return;
    }
    const input = message.params.input as { partitionId: string; lastEventId?: string | number | null };
    const p = this.partitions.get(input.partitionId);
    if (!p || !this.#isMember(p)) {
      socket.send(errorMessage(id, 'FORBIDDEN', ROLE_NEEDED.viewer));
      return;
    }
    socket.send({ id, result: { type: 'started' } });
    // As the real feed: live from now on, after the events since the client's position.
    const after = input.lastEventId == null ? null : Number(input.lastEventId);
    if (after !== null) for (const event of p.events.slice(after)) if (this.#visibleToMe(p, event)) socket.send(dataMessage(id, event));
    socket.subscriptions.set(id, { partitionId: input.partitionId });
  }

  /** As the real server: the subscriber is online while it lasts, and it starts with a snapshot. */
  #subscribePresence(socket: SocketState, id: string | number, input: { partitionId: string }): void {
    const p = this.partitions.get(input.partitionId);
    if (!p || !this.#isMember(p)) {
      socket.send(errorMessage(id, 'FORBIDDEN', ROLE_NEEDED.viewer));
      return;
    }
    if (this.me) p.presence.set(this.me.id, { userId: this.me.id, status: 'online', lastSeenAt: null, offlineAt: null });
    socket.send({ id, result: { type: 'started' } });
    socket.send({ id, result: { type: 'data', data: this.#presenceSnapshot(input.partitionId) } });
    this.presenceSnapshots++;
    socket.presenceSubscriptions.set(id, { partitionId: input.partitionId });
  }
}

/** A WebSocket message of `#onSocketMessage` as tRPC's SSE producer frames it (`tracked` data: `id:` and the bare event). */
function eventStreamFrame(message: TRPCResponseMessage): string {
  if ('error' in message) return `event: serialized-error\ndata: ${JSON.stringify(message.error)}\n\n`;
  const result = message.result as { type?: string; id?: string; data?: unknown };
  if (result.type === 'started') return 'event: connected\ndata: {}\n\n';
  if (result.type === 'stopped') return 'event: return\ndata: \n\n';
  if (result.id !== undefined) return `id: ${result.id}\ndata: ${JSON.stringify((result.data as { data: unknown }).data)}\n\n`;
  return `data: ${JSON.stringify(result.data)}\n\n`;
}

/** A tracked event as tRPC's WebSocket adapter sends it (`tracked(id, event)`). */
function dataMessage(id: string | number, event: ParleyEvent): TRPCResponseMessage {
  const eventId = String(event.id);
  return { id, result: { type: 'data', id: eventId, data: { id: eventId, data: event } } };
}

function errorMessage(id: string | number, code: TRPC_ERROR_CODE_KEY, message: string): TRPCResponseMessage {
  const httpStatus = getHTTPStatusCodeFromError(new TRPCError({ code, message }));
  return { id, error: { code: TRPC_ERROR_CODES_BY_KEY[code], message, data: { code, httpStatus } } };
}

function notFound(path: string): Response {
  return HttpResponse.json(
    { error: { code: TRPC_ERROR_CODES_BY_KEY.NOT_FOUND, message: `No mocked procedure ${path}`, data: { code: 'NOT_FOUND', httpStatus: 404, path } } },
    { status: 404 },
  );
}
