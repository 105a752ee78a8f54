import { TRPCClientError, type TRPCClient } from '@trpc/client';
import type { AppRouter, BlockedUserDto, MessageDto, ParleyEvent, PresenceSignalDto } from '@parley/api';
import type { OutboxOp } from './ops.ts';

export interface MessagePage {
  /** Oldest first. */
  messages: MessageDto[];
  /** Pass as `before` for the previous page; null at the beginning of the room. */
  nextCursor: number | null;
  /**
   * Pass as `after` for the next newer page; null when the page ends with the room's newest
   * message. Answered for `around` and `after` pages (missing from older servers: null).
   */
  newerCursor?: number | null | undefined;
  /**
   * The partition event id the page reflects (one repeatable-read snapshot): every event up to
   * it is already in the page, every later one is not.
   */
  asOf: number;
}

/** A room's pinned messages (most recently pinned first), as of the event id `asOf`. */
export interface PinsPage {
  messages: MessageDto[];
  asOf: number;
}

/** `message.list`: the latest page, or `before` (older), `after` (newer) or `around` a message. */
export interface ListInput {
  partitionId: string;
  roomId: string;
  before?: number | undefined;
  after?: number | undefined;
  around?: string | undefined;
  limit?: number | undefined;
}

export interface SendInput {
  partitionId: string;
  roomId: string;
  clientId: string;
  body: string;
  /** The id of the message (same room) this one answers. */
  replyTo?: string | undefined;
  /** An uploaded file (`POST /media/…` with this id) that goes with the message. */
  mediaId?: string | undefined;
}

/** One change through the outbox: `opId` makes a repeat (a resend after a lost answer) apply once. */
export interface ActInput {
  /** Null for the user-wide ops (`user.block`, `user.unblock`). */
  partitionId: string | null;
  opId: string;
  op: OutboxOp;
}

export interface EventHandlers {
  onEvent(event: ParleyEvent): void;
  /** A refusal (the subscription has ended), never a lost socket (it resumes by itself). */
  onError(error: unknown): void;
}

/**
 * The slice of the server the message store and the outbox need. The real one is tRPC
 * (`trpcApi`); tests give a fake server with adversarial timing.
 */
export interface ParleyApi {
  send(input: SendInput): Promise<MessageDto>;
  /** Performs one op (edit, delete, reaction, pin, dismissal, block); resolves with the server's answer. */
  act(input: ActInput): Promise<unknown>;
  /** The partition's latest event id. */
  head(partitionId: string): Promise<number>;
  list(input: ListInput): Promise<MessagePage>;
  pins(input: { partitionId: string; roomId: string }): Promise<PinsPage>;
  /** The people this user blocked (in every workspace). */
  blocks(): Promise<BlockedUserDto[]>;
  subscribe(input: { partitionId: string; lastEventId: number | null }, handlers: EventHandlers): () => void;
}

function inPartition(input: ActInput): string {
  if (input.partitionId === null) throw new Error(`${input.op.type} needs a partitionId`);
  return input.partitionId;
}

/** The tRPC call behind each op. */
function act(trpc: TRPCClient<AppRouter>, input: ActInput): Promise<unknown> {
  const { op, opId } = input;
  switch (op.type) {
    case 'message.edit':
      return trpc.message.edit.mutate({ partitionId: inPartition(input), messageId: op.messageId, body: op.body, opId });
    case 'message.delete':
      return trpc.message.delete.mutate({ partitionId: inPartition(input), messageId: op.messageId, scope: op.scope, opId });
    case 'message.pin':
      return trpc.message.pin.mutate({ partitionId: inPartition(input), messageId: op.messageId, opId });
    case 'message.unpin':
      return trpc.message.unpin.mutate({ partitionId: inPartition(input), messageId: op.messageId, opId });
    case 'reaction.add':
      return trpc.reaction.add.mutate({ partitionId: inPartition(input), messageId: op.messageId, emoji: op.emoji, opId });
    case 'reaction.remove':
      return trpc.reaction.remove.mutate({ partitionId: inPartition(input), messageId: op.messageId, emoji: op.emoji, opId });
    case 'announcement.dismiss':
      return trpc.announcement.dismiss.mutate({ partitionId: inPartition(input), announcementId: op.announcementId, opId });
    case 'read.mark':
      return trpc.read.mark.mutate({ partitionId: inPartition(input), roomId: op.roomId, eventId: op.eventId, opId });
    case 'read.markAll':
      return trpc.read.markAll.mutate({ partitionId: inPartition(input), opId });
    case 'notify.set':
      return trpc.notify.set.mutate({ partitionId: inPartition(input), roomId: op.roomId, level: op.level, opId });
    case 'user.block':
      return trpc.user.block.mutate({ userId: op.userId, opId });
    case 'user.unblock':
      return trpc.user.unblock.mutate({ userId: op.userId, opId });
  }
}

export function trpcApi(trpc: TRPCClient<AppRouter>): ParleyApi {
  return {
    send: (input) => trpc.message.send.mutate(input),
    act: (input) => act(trpc, input),
    list: (input) => trpc.message.list.query(input),
    pins: (input) => trpc.message.pins.query(input),
    blocks: () => trpc.user.blocks.query(),
    head: async (partitionId) => (await trpc.event.head.query({ partitionId })).lastEventId,
    subscribe(input, handlers) {
      const subscription = trpc.event.onEvent.subscribe(input, {
        onData: (tracked) => handlers.onEvent(tracked.data),
        onError: (error) => handlers.onError(error),
      });
      return () => subscription.unsubscribe();
    },
  };
}

/** The slice of the server the presence store needs (tests give a fake). */
export interface PresenceApi {
  /** `presence.onSignal`: a snapshot first (again after every reconnect), then changes. */
  watchPresence(partitionId: string, handlers: { onSignal(signal: PresenceSignalDto): void; onError(error: unknown): void }): () => void;
  typing(partitionId: string, roomId: string): Promise<unknown>;
}

export function trpcPresenceApi(trpc: TRPCClient<AppRouter>): PresenceApi {
  return {
    watchPresence(partitionId, handlers) {
      const subscription = trpc.presence.onSignal.subscribe(
        { partitionId },
        { onData: (signal) => handlers.onSignal(signal), onError: (error) => handlers.onError(error) },
      );
      return () => subscription.unsubscribe();
    },
    typing: (partitionId, roomId) => trpc.presence.typing.mutate({ partitionId, roomId }),
  };
}

/** `TRPCClientError.data` (duck-typed, so that fakes in tests can throw the same shape). */
function errorData(error: unknown): unknown {
  if (error instanceof TRPCClientError) return error.data;
  if (error && typeof error === 'object' && 'data' in error) return error.data;
  return undefined;
}

/** The server's code for a refusal (`FORBIDDEN`, `TOO_MANY_REQUESTS`, …); undefined for a network failure. */
export function errorCode(error: unknown): string | undefined {
  const data = errorData(error);
  if (data && typeof data === 'object' && 'code' in data && typeof data.code === 'string') return data.code;
  return undefined;
}

/** How long the server asked us to wait (rate limits), if it said. */
export function retryAfterMs(error: unknown): number | undefined {
  const data = errorData(error);
  if (data && typeof data === 'object' && 'retryAfterMs' in data && typeof data.retryAfterMs === 'number') {
    return data.retryAfterMs;
  }
  return undefined;
}

/** Codes a retry of the same request cannot fix. */
const PERMANENT = new Set([
  'BAD_REQUEST',
  'PARSE_ERROR',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE_CONTENT',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_SUPPORTED',
]);

export type SendFailure = 'permanent' | 'rate-limited' | 'unauthorized' | 'transient';

export function classifySendError(error: unknown): SendFailure {
  const code = errorCode(error);
  if (code === undefined) return 'transient';
  if (code === 'TOO_MANY_REQUESTS') return 'rate-limited';
  if (code === 'UNAUTHORIZED') return 'unauthorized';
  return PERMANENT.has(code) ? 'permanent' : 'transient';
}
