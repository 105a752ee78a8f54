import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { createParleyClient, indexedDbStorage, memoryStorage, type ParleyClient } from '@parley/client';
import { ParleyProvider } from '@parley/client/react';

export type ParleyClientFactory = (userId: string) => ParleyClient;

/**
 * The browser's client for one signed-in user: its outbox and resume positions live in an
 * IndexedDB database of that user's own, so a reload, a crash or a night offline loses nothing
 * and another account on the same browser never sees them.
 */
export function createBrowserParleyClient(userId: string): ParleyClient {
  return createParleyClient({
    url: window.location.origin,
    storage: typeof indexedDB === 'undefined' ? memoryStorage() : indexedDbStorage(`parley-${userId}`),
  });
}

/** Tests swap the factory (e.g. for a client on MSW's mocked server). */
export const ParleyClientFactoryContext = createContext<ParleyClientFactory>(createBrowserParleyClient);

/** One Parley client (WebSocket, message store, outbox) per signed-in user, closed on sign-out. */
export function ParleySession({ userId, children }: { userId: string; children: ReactNode }) {
  const factory = useContext(ParleyClientFactoryContext);
  const client = useMemo(() => factory(userId), [factory, userId]);
  useEffect(
    () => () => {
      void client.close();
    },
    [client],
  );
  return <ParleyProvider client={client}>{children}</ParleyProvider>;
}
