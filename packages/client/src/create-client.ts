import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  splitLink,
  wsLink,
  type TRPCClient,
} from '@trpc/client';
import type { AppRouter } from '@parley/api';

export interface ParleyClientOptions {
  /** The server's base URL, e.g. `http://localhost:3000` (tRPC lives at `/trpc`). */
  url: string;
  /** A session token for programs (`auth.login({ session: 'token' })`); browsers use the cookie. */
  token?: string | (() => string | null | undefined) | null | undefined;
  /** A WebSocket implementation where there is no global one (Node: `import WebSocket from 'ws'`). */
  WebSocket?: typeof globalThis.WebSocket | undefined;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof globalThis.fetch | undefined;
}

export interface ParleyClient {
  /** The fully typed tRPC client: `client.trpc.message.send.mutate(…)`. */
  trpc: TRPCClient<AppRouter>;
  /** Closes the WebSocket and stops reconnecting. */
  close(): Promise<void>;
}

function wsUrlFrom(base: string): string {
  const u = new URL('/trpc', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/**
 * A typed Parley client over two links: subscriptions on a WebSocket, everything else on
 * batched HTTP. The WebSocket opens lazily, on the first subscription.
 */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const token = () => (typeof options.token === 'function' ? options.token() : options.token) ?? null;
  const wsClient = createWSClient({
    url: wsUrlFrom(options.url),
    WebSocket: options.WebSocket,
    lazy: { enabled: true, closeMs: 30_000 },
    keepAlive: { enabled: true, intervalMs: 20_000, pongTimeoutMs: 10_000 },
    connectionParams: () => {
      const t = token();
      return t ? { token: t } : {};
    },
  });
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({
          url: new URL('/trpc', options.url).toString(),
          fetch: options.fetch,
          headers: () => {
            const t = token();
            return t ? { authorization: `Bearer ${t}` } : {};
          },
        }),
      }),
    ],
  });
  return {
    trpc,
    async close() {
      await wsClient.close();
    },
  };
}
