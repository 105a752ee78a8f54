import type { ReactElement } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Observer } from '@trpc/server/observable';
import type { AppRouter } from '@parley/client';
import { trpc } from './trpc.ts';

type Handler = (input: unknown) => unknown;

/**
 * A stand-in for the server in component tests: answers queries and mutations from
 * `handlers` (keyed by path) and lets a test push events into open subscriptions.
 */
export class FakeServer {
  readonly calls: { path: string; input: unknown }[] = [];
  private readonly subscribers = new Set<Observer<unknown, unknown>>();
  constructor(private readonly handlers: Record<string, Handler>) {}

  link(): TRPCLink<AppRouter> {
    return () =>
      ({ op }) =>
        observable((observer) => {
          this.calls.push({ path: op.path, input: op.input });
          if (op.type === 'subscription') {
            const subscriber: Observer<unknown, unknown> = {
              next: (data) => observer.next({ result: { type: 'data', data } }),
              error: (error) => observer.error(TRPCClientError.from(error as Error)),
              complete: () => observer.complete(),
            };
            this.subscribers.add(subscriber);
            queueMicrotask(() => observer.next({ result: { type: 'started' } }));
            return () => this.subscribers.delete(subscriber);
          }
          const handler = this.handlers[op.path];
          Promise.resolve()
            .then(() => {
              if (!handler) throw new Error(`FakeServer: no handler for ${op.path}`);
              return handler(op.input);
            })
            .then(
              (data) => {
                observer.next({ result: { type: 'data', data } });
                observer.complete();
              },
              (error: unknown) => observer.error(error instanceof TRPCClientError ? error : TRPCClientError.from(error as Error)),
            );
          return () => {};
        });
  }

  /** Delivers a tracked event `{ id, data }` to every open subscription. */
  emit(id: number, data: unknown): void {
    for (const subscriber of this.subscribers) subscriber.next({ id: String(id), data });
  }

  callsTo(path: string): unknown[] {
    return this.calls.filter((c) => c.path === path).map((c) => c.input);
  }
}

/** An error as the server sends it: readable message, machine code. */
export function serverError(code: string, message: string): TRPCClientError<AppRouter> {
  return TRPCClientError.from({ error: { code: -32600, message, data: { code, httpStatus: 400 } } });
}

export function renderWithServer(ui: ReactElement, server: FakeServer) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const client = trpc.createClient({ links: [server.link()] });
  const result = render(
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
    </trpc.Provider>,
  );
  return { ...result, queryClient };
}
