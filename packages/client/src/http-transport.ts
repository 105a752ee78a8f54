import { httpSubscriptionLink, type TRPCClientError } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { isServerError, transportLifecycle, withLastEventId, type SubscriptionEnvelope, type SubscriptionTransport } from './subscription-transport.ts';

/** A stream that has not started (tRPC's `connected` event) this long is given up: a buffering proxy holds it. */
export const SSE_CONNECT_TIMEOUT_MS = 10_000;
/**
 * A stream that ends after running this long is resumed at once on the same transport (a proxy or
 * load balancer ending long responses, a draining node); one that ends sooner ends the transport,
 * and the connection's backoff decides when to try again.
 */
export const SSE_RESUME_AFTER_MS = 10_000;
/** The HTTP probe (`GET /live`) gives up after this long. */
export const HTTP_PROBE_TIMEOUT_MS = 10_000;

/** `fetch` as the `eventsource` package (v3+) calls it for each stream. */
export type EventSourceFetch = (
  url: string | URL,
  init: { headers: Record<string, string>; signal?: unknown; mode?: string; credentials?: string; cache?: string; redirect?: string },
) => Promise<Response>;

/** The part of an EventSource instance tRPC's consumer uses. */
export interface EventSourceInstance {
  readonly CLOSED: number;
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly readyState: number;
  addEventListener(type: string, listener: (event: object) => void): void;
  removeEventListener(type: string, listener: (event: object) => void): void;
  close(): void;
}

/**
 * An EventSource class: the browser's own, or in Node `import { EventSource } from 'eventsource'`
 * (v3+, which also takes a `fetch`, so a program's bearer token goes in a header).
 */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean; fetch?: EventSourceFetch }) => EventSourceInstance;

export interface HttpTransportOptions {
  /** tRPC's URL, `…/trpc`. */
  url: string;
  /** Where the server answers `{"status":"ok"}` over plain HTTP, cheaply (`/live`). */
  probeUrl: string;
  EventSource: EventSourceConstructor;
  fetch?: typeof globalThis.fetch | undefined;
  /** A program's session token: `Authorization: Bearer` on each stream. Browsers send the cookie instead. */
  token?: (() => string | null) | undefined;
  now?: (() => number) | undefined;
}

export interface HttpTransport extends SubscriptionTransport {
  readonly kind: 'http';
}

/**
 * Subscriptions over plain HTTP: each one is a server-sent event stream run by tRPC's
 * `httpSubscriptionLink` (tracked ids, resumed with `lastEventId` like on the WebSocket). There
 * is no socket to open, so the transport is open when the server answers a plain `GET /live`,
 * and the keep-alive's ping is that same GET. EventSource's own reconnect loop is cut short: a
 * stream that breaks soon after it started closes the transport, and the connection state
 * machine decides what comes next, as for a WebSocket. One that broke after running a while is
 * resumed at once from its last event id.
 */
export function openHttpTransport(options: HttpTransportOptions): HttpTransport {
  const now = options.now ?? (() => Date.now());
  const fetchImpl: typeof globalThis.fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
  const probes = new Set<AbortController>();
  const life = transportLifecycle();
  const streams = new Set<() => void>();
  const activity = () => life.activity();

  const stopAll = () => {
    for (const probe of probes) probe.abort();
    for (const stop of [...streams]) stop();
  };
  const end = (reason: string) => life.end(reason, stopAll);

  const probe = async (): Promise<boolean> => {
    if (life.ended) return false;
    const controller = new AbortController();
    probes.add(controller);
    const timer = setTimeout(() => controller.abort(), HTTP_PROBE_TIMEOUT_MS);
    try {
      const response = await fetchImpl(options.probeUrl, { signal: controller.signal });
      if (!response.ok) {
        // Not awaited: some fetch implementations (happy-dom's) never settle a cancel.
        response.body?.cancel().catch(() => {});
        return false;
      }
      // Parley's own answer, not any 200: a dev server's or a captive portal's HTML page is not the server.
      const body = (await response.json()) as { status?: unknown } | null;
      return body?.status === 'ok';
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      probes.delete(controller);
    }
  };

  // The token goes in a header through the EventSource's fetch (never in the URL, where logs keep it).
  const streamFetch: EventSourceFetch = (url, init) => {
    const token = options.token?.();
    const headers = token ? { ...init.headers, authorization: `Bearer ${token}` } : init.headers;
    return fetchImpl(url, { ...(init as RequestInit), headers });
  };
  const link = httpSubscriptionLink<AnyTRPCRouter, EventSourceConstructor>({
    url: options.url,
    EventSource: options.EventSource,
    eventSourceOptions: () => ({ fetch: streamFetch }),
  })({});

  void probe().then((ok) => {
    if (life.ended) return;
    if (ok) life.open();
    else end('Could not reach the server.');
  });

  return {
    kind: 'http',
    opened: life.opened,
    onClose: life.onClose,
    onActivity: life.onActivity,
    // Plain HTTP carries no reconnect notice: a draining node ends its streams, which resume elsewhere.
    onReconnectRequest: () => {},
    ping() {
      void probe().then((ok) => {
        if (ok) activity();
      });
    },
    close() {
      life.close();
      stopAll();
    },
    subscribe: ({ id, path, input }, lastEventId) =>
      observable<SubscriptionEnvelope, TRPCClientError<AnyTRPCRouter>>((observer) => {
        let last = lastEventId;
        let run: Unsubscribable | null = null;
        let connectTimer: ReturnType<typeof setTimeout> | undefined;
        let stopped = false;

        const stopRun = () => {
          clearTimeout(connectTimer);
          const current = run;
          run = null;
          current?.unsubscribe();
        };
        const stop = () => {
          stopped = true;
          streams.delete(stop);
          stopRun();
        };
        const start = () => {
          let startedAt: number | null = null;
          let broken = false;
          const breaks = (reason: string) => {
            if (broken || stopped) return;
            broken = true;
            stopRun();
            if (startedAt !== null && now() - startedAt >= SSE_RESUME_AFTER_MS && !life.ended) start();
            else end(reason);
          };
          connectTimer = setTimeout(() => breaks('The server did not start the event stream.'), SSE_CONNECT_TIMEOUT_MS);
          const operation = { id, type: 'subscription' as const, path, input: withLastEventId(input, last), context: {}, signal: null };
          const subscription = link({ op: operation, next: () => observable(() => {}) }).subscribe({
            next(envelope) {
              if (broken || stopped) return;
              const result = envelope.result;
              if (result.type === 'state') {
                // `connecting` with an error: the stream broke and EventSource would retry by itself.
                if (result.state === 'connecting' && result.error) breaks('The event stream was interrupted.');
                return;
              }
              activity();
              if (result.type === 'started') {
                startedAt = now();
                clearTimeout(connectTimer);
              }
              const tracked = result as { type?: string; id?: string };
              if (tracked.type === undefined && tracked.id != null) last = tracked.id;
              observer.next(envelope);
            },
            error(error) {
              if (broken || stopped) return;
              if (isServerError(error)) {
                stop();
                observer.error(error);
              } else {
                breaks('The event stream failed.');
              }
            },
            complete() {
              // After `stopped` (the server ended the subscription); nothing to resume.
              if (broken || stopped) return;
              stop();
              observer.complete();
            },
          });
          if (broken || stopped) subscription.unsubscribe();
          else run = subscription;
        };

        if (life.ended) return () => {};
        streams.add(stop);
        start();
        return stop;
      }),
  };
}
