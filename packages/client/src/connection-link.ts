import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { getTransformer } from '@trpc/client/unstable-internals';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { Connection } from './connection.ts';
import type { WsTransport } from './ws-transport.ts';

/** An error the server sent (it has a code): the subscription itself was refused. */
export function isServerError(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data: unknown = error.data;
  return Boolean(data && typeof data === 'object' && 'code' in data);
}

function withLastEventId(input: unknown, lastEventId: string | undefined): unknown {
  if (lastEventId === undefined || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  return { ...input, lastEventId };
}

/**
 * The terminating link for subscriptions. A subscription outlives any one socket: it is run on
 * each transport the connection opens, resuming after the last tracked event id it delivered,
 * until the server stops it, refuses it (an error with a code), or the caller unsubscribes.
 * Losing a socket is not an error for the subscriber; the connection's state tells that story.
 */
export function connectionLink<TRouter extends AnyTRPCRouter>(connection: Connection<WsTransport>): TRPCLink<TRouter> {
  const transformer = getTransformer(undefined);
  return () =>
    ({ op }) =>
      observable((observer) => {
        let lastEventId: string | undefined;
        const initial = op.input as { lastEventId?: unknown } | undefined;
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

        const attach = (transport: WsTransport) => {
          if (done) return;
          inner?.unsubscribe();
          let stopped = false;
          inner = transport.client
            .request({
              op: { id: op.id, type: op.type, path: op.path, input: withLastEventId(op.input, lastEventId), signal: null },
              transformer,
              ...(lastEventId !== undefined ? { lastEventId } : {}),
            })
            .subscribe({
              next(envelope) {
                const result = envelope.result as { type?: string; id?: unknown };
                if (result.type === 'stopped') stopped = true;
                if (result.type === 'data' && result.id != null) lastEventId = String(result.id);
                observer.next(envelope);
              },
              error(error) {
                if (isServerError(error)) finish(() => observer.error(error));
                // Otherwise the socket failed under it: the next transport resumes it.
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
