import { createWSClient, TRPCClientError, type TRPCWebSocketClient } from '@trpc/client';
import { getTransformer } from '@trpc/client/unstable-internals';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { transportLifecycle, withLastEventId, type CallChannel, type SubscriptionEnvelope, type SubscriptionTransport } from './subscription-transport.ts';

export interface WsTransport extends SubscriptionTransport {
  readonly kind: 'websocket';
  /** tRPC's client for this one socket; subscriptions run on it. */
  readonly client: TRPCWebSocketClient;
  readonly calls: CallChannel;
}

const transformer = getTransformer(undefined);

export interface WsTransportOptions {
  url: string;
  WebSocket?: typeof globalThis.WebSocket | undefined;
  connectionParams?: (() => Record<string, string>) | undefined;
}

/**
 * One WebSocket attempt, carried by tRPC's own wsClient (its protocol, its request bookkeeping),
 * but with its reconnect loop switched off: the first close or error ends this transport, and
 * the connection state machine decides when and how to try again (backoff, FAILED, offline).
 */
export function openWsTransport(options: WsTransportOptions): WsTransport {
  const life = transportLifecycle();
  const reconnectListeners: (() => void)[] = [];
  /** Calls waiting for their answer: they fail when the socket ends, whoever ends it. */
  const inFlight = new Set<(reason: string) => void>();
  let token: string | null = null;

  /** Before tRPC's close(), which would wait for answers a dead socket never brings. */
  const failCalls = (reason: string) => {
    for (const fail of [...inFlight]) fail(reason);
  };

  const end = (reason: string) =>
    life.end(reason, () => {
      failCalls(reason);
      // Closing stops tRPC's own retry loop (it checks before each attempt) and completes the
      // socket's subscriptions; the connection link re-attaches them to the next transport.
      void client.close();
    });

  const onMessage = (event: MessageEvent) => {
    life.activity();
    const data: unknown = event.data;
    if (typeof data === 'string' && data.includes('"reconnect"')) {
      try {
        const message = JSON.parse(data) as { method?: unknown };
        if (message.method === 'reconnect') for (const listener of reconnectListeners) listener();
      } catch {
        // not a control message
      }
    }
  };

  const client: TRPCWebSocketClient = createWSClient({
    url: options.url,
    WebSocket: options.WebSocket,
    lazy: { enabled: false, closeMs: 0 },
    retryDelayMs: () => 0,
    ...(options.connectionParams
      ? {
          connectionParams: () => {
            const params = options.connectionParams!();
            token = params.token ?? null;
            return params;
          },
        }
      : {}),
    onOpen: () => {
      client.connection?.ws?.addEventListener('message', onMessage as (event: Event) => void);
      life.open();
    },
    onClose: (cause) => end(cause?.code ? `The connection closed (code ${cause.code}).` : 'The connection closed.'),
    onError: () => end('Could not reach the server.'),
  });

  return {
    kind: 'websocket',
    client,
    opened: life.opened,
    onClose: life.onClose,
    onActivity: life.onActivity,
    onReconnectRequest: (listener) => void reconnectListeners.push(listener),
    subscribe: ({ id, path, input }, lastEventId) =>
      client.request({
        op: { id, type: 'subscription', path, input: withLastEventId(input, lastEventId), signal: null },
        transformer,
        ...(lastEventId !== undefined ? { lastEventId } : {}),
      }),
    calls: {
      get token() {
        return token;
      },
      request: (op) =>
        observable<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
          if (life.ended) {
            observer.error(TRPCClientError.from(new Error('The connection closed.')));
            return () => {};
          }
          let inner: Unsubscribable | undefined;
          let settled = false;
          const settle = (then?: () => void) => {
            if (settled) return;
            settled = true;
            inFlight.delete(fail);
            inner?.unsubscribe();
            then?.();
          };
          const fail = (reason: string) => settle(() => observer.error(TRPCClientError.from(new Error(reason))));
          inFlight.add(fail);
          inner = client.request({ op: { ...op, signal: null }, transformer }).subscribe({
            next: (envelope) =>
              settle(() => {
                observer.next(envelope);
                observer.complete();
              }),
            error: (error) => settle(() => observer.error(error)),
            complete: () => fail('The connection closed before the answer arrived.'),
          });
          if (settled) inner.unsubscribe();
          return () => settle();
        }),
    },
    ping() {
      const ws = client.connection?.ws;
      if (ws && ws.readyState === 1) ws.send('PING');
    },
    close() {
      life.close();
      failCalls('The connection closed.');
      void client.close();
    },
  };
}
