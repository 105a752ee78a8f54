import { TRPCClientError, type TRPCClient } from '@trpc/client';
import type { AppRouter, MessageDto, ParleyEvent, PresenceSignalDto } from '@parley/api';

export interface MessagePage {
  /** Oldest first. */
  messages: MessageDto[];
  /** Pass as `before` for the previous page; null at the beginning of the room. */
  nextCursor: number | null;
}

export interface SendInput {
  partitionId: string;
  roomId: string;
  clientId: string;
  body: string;
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
  /** The partition's latest event id. */
  head(partitionId: string): Promise<number>;
  list(input: { partitionId: string; roomId: string; before?: number | undefined }): Promise<MessagePage>;
  subscribe(input: { partitionId: string; lastEventId: number | null }, handlers: EventHandlers): () => void;
}

export function trpcApi(trpc: TRPCClient<AppRouter>): ParleyApi {
  return {
    send: (input) => trpc.message.send.mutate(input),
    list: (input) => trpc.message.list.query(input),
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
const PERMANENT = new Set(['BAD_REQUEST', 'PARSE_ERROR', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNPROCESSABLE_CONTENT', 'METHOD_NOT_SUPPORTED']);

export type SendFailure = 'permanent' | 'rate-limited' | 'unauthorized' | 'transient';

export function classifySendError(error: unknown): SendFailure {
  const code = errorCode(error);
  if (code === undefined) return 'transient';
  if (code === 'TOO_MANY_REQUESTS') return 'rate-limited';
  if (code === 'UNAUTHORIZED') return 'unauthorized';
  return PERMANENT.has(code) ? 'permanent' : 'transient';
}
