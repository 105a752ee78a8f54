import type { TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { Connection } from './connection.ts';
import { TRPCClientError } from '@trpc/client';
import { isServerError, trackedId, type CallChannel, type SubscriptionTransport } from './subscription-transport.ts';

export { isServerError };

/**
 * The terminating link for subscriptions. A subscription outlives any one transport: it is run
 * on each transport the connection opens (a WebSocket, or HTTP with server-sent events while
 * WebSockets cannot be opened), resuming after the last tracked event id it delivered, until
 * the server stops it, refuses it (an error with a code), or the caller unsubscribes. Losing a
 * transport is not an error for the subscriber; the connection's state tells that story.
 */
export function connectionLink<TRouter extends AnyTRPCRouter>(connection: Connection<SubscriptionTransport>): TRPCLink<TRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        let lastEventId: string | undefined;
        const initial = op.input as { lastEventId?: string | number | null } | undefined;
        if (initial && typeof initial === 'object' && initial.lastEventId != null) lastEventId = String(initial.lastEventId);
        let inner: Unsubscribable | null = null;
        let done = false;
        let off: () => void = () => {};

        const finish = (end: () => void) => {
          if (done) return;
          done = true;
          off();
          inner?.unsubscribe();
          op.signal?.removeEventListener('abort', onAbort);
          end();
        };
        const onAbort = () => finish(() => observer.complete());

        const attach = (transport: SubscriptionTransport) => {
          if (done) return;
          inner?.unsubscribe();
          let stopped = false;
          inner = transport.subscribe({ id: op.id, path: op.path, input: op.input }, lastEventId).subscribe({
            next(envelope) {
              if (envelope.result.type === 'stopped') stopped = true;
              const id = trackedId(envelope);
              if (id !== undefined) lastEventId = id;
              observer.next(envelope);
            },
            error(error) {
              if (isServerError(error)) finish(() => observer.error(error));
              // Otherwise the transport failed under it: the next one resumes it.
            },
            complete() {
              if (stopped) finish(() => observer.complete());
            },
          });
        };

        if (op.signal?.aborted) {
          observer.complete();
          return () => {};
        }
        op.signal?.addEventListener('abort', onAbort, { once: true });
        connection.start();
        off = connection.onOpen(attach);
        if (done) off();
        return () => finish(() => {});
      });
}

/**
 * The terminating link for a call over the open transport's socket (`CallChannel`), chosen per
 * call by a `splitLink`. When the socket is gone by the time the call runs, it fails like a lost
 * connection (no code), as it does when the socket ends before the answer.
 */
export function socketCallLink<TRouter extends AnyTRPCRouter>(channel: () => CallChannel | null): TRPCLink<TRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        const calls = channel();
        if (!calls) {
          observer.error(TRPCClientError.from(new Error('The connection closed.')));
          return () => {};
        }
        const subscription = calls.request(op).subscribe(observer);
        return () => subscription.unsubscribe();
      });
}
