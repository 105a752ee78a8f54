import { TRPCClientError, type OperationResultEnvelope, type Operation } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import type { Observable } from '@trpc/server/observable';
import type { Transport, TransportKind } from './connection.ts';

export type SubscriptionEnvelope = OperationResultEnvelope<unknown, TRPCClientError<AnyTRPCRouter>>;

/** One subscription as the connection link runs it on a transport. */
export interface SubscriptionRequest {
  readonly id: number;
  readonly path: string;
  readonly input: unknown;
}

/**
 * A transport the connection link can run subscriptions on: the WebSocket (`ws-transport.ts`)
 * or plain HTTP with server-sent events (`http-transport.ts`). Either way the envelopes are
 * tRPC's (`started`, tracked `data` with its `id`, `stopped`); an error with a code is the
 * server's refusal, any other error or silence is the transport's business (it closes).
 */
export interface SubscriptionTransport extends Transport {
  readonly kind: TransportKind;
  /** Runs the subscription, resuming after `lastEventId` (tracked subscriptions). */
  subscribe(request: SubscriptionRequest, lastEventId: string | undefined): Observable<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>;
  /** Queries and mutations on this transport, where it can carry them (the WebSocket); absent on HTTP. */
  readonly calls?: CallChannel | null | undefined;
}

/** One transport's way to make calls (`ws-transport.ts`). */
export interface CallChannel {
  /** The session token the transport authenticated with when it opened (null: a cookie, or none). */
  readonly token: string | null;
  /**
   * Runs one query or mutation. If the transport ends before the answer, it fails without a
   * code (a network failure: the outbox sends again, with the same clientId).
   */
  request(op: Operation): Observable<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>;
}

/** An error the server sent (it has a code): the subscription itself was refused. */
export function isServerError(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data: unknown = error.data;
  return Boolean(data && typeof data === 'object' && 'code' in data);
}

/** The subscription's input resuming after `lastEventId` (only object inputs can carry it). */
export function withLastEventId(input: unknown, lastEventId: string | undefined): unknown {
  if (lastEventId === undefined || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  return { ...input, lastEventId };
}

/** The tracked id of a `data` envelope (WebSocket: `type: 'data'`; server-sent events: no type). */
export function trackedId(envelope: SubscriptionEnvelope): string | undefined {
  const result = envelope.result as { type?: string; id?: string }; // tRPC's tracked ids are strings
  if (result.type !== undefined && result.type !== 'data') return undefined;
  return result.id ?? undefined;
}

/**
 * What every transport keeps the same way: the `opened` promise (rejected when it ends before
 * opening, never unhandled) and its close and activity listeners. `end(reason)` tells the close
 * listeners once; `close()` is the owner closing it (no listener is told).
 */
export function transportLifecycle() {
  let ended = false;
  let resolveOpened!: () => void;
  let rejectOpened!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  opened.catch(() => {});
  const closeListeners: ((reason: string) => void)[] = [];
  const activityListeners: (() => void)[] = [];
  return {
    opened,
    get ended() {
      return ended;
    },
    open: () => resolveOpened(),
    /**
     * Ends it from inside (a failure, the peer closing), once: `cleanUp` runs after it counts
     * as ended and before the close listeners are told.
     */
    end(reason: string, cleanUp?: () => void): void {
      if (ended) return;
      ended = true;
      cleanUp?.();
      rejectOpened(new Error(reason));
      for (const listener of closeListeners) listener(reason);
    },
    /** Ends it at the owner's request: nobody is told. */
    close(): void {
      ended = true;
      rejectOpened(new Error('closed'));
    },
    activity(): void {
      if (!ended) for (const listener of activityListeners) listener();
    },
    onClose: (listener: (reason: string) => void) => void closeListeners.push(listener),
    onActivity: (listener: () => void) => void activityListeners.push(listener),
  };
}
