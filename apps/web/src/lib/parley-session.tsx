import { createContext, useCallback, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { createParleyClient, indexedDbStorage, isReadOp, memoryStorage, type ParleyClient } from '@parley/client';
import { ParleyProvider, useParleyClient } from '@parley/client/react';
import { endPushOnSignOut } from './push-signout.ts';

/** The IndexedDB database holding one user's outbox and recent messages. */
export const clientDatabaseName = (userId: string) => `parley-${userId}`;

export type ParleyClientFactory = (userId: string) => ParleyClient;

/**
 * The browser's client for one signed-in user: its outbox and resume positions live in an
 * IndexedDB database of that user's own, so a reload, a crash or a night offline loses nothing
 * and another account on the same browser never sees them.
 */
export function createBrowserParleyClient(userId: string): ParleyClient {
  return createParleyClient({
    url: window.location.origin,
    storage: typeof indexedDB === 'undefined' ? memoryStorage() : indexedDbStorage(clientDatabaseName(userId)),
    // Marks this user's own reactions and shows their reactions and pins before the server answers.
    user: { id: userId, name: '' },
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

/**
 * Signing out on a shared device leaves nothing behind: the user's messages and outbox are
 * deleted from the browser. Messages still waiting to be sent would be lost with them, so the
 * person is asked first.
 */
export function useSignOut(signOut: () => void, confirm: (question: string) => boolean = (q) => window.confirm(q)) {
  const client = useParleyClient();
  return useCallback(() => {
    // A read mark lost costs a stale unread count, not something the person wrote.
    const waiting = client.outbox.getSnapshot().filter((e) => e.status !== 'failed' && (e.kind !== 'op' || !isReadOp(e.op))).length;
    if (waiting > 0) {
      const what = waiting === 1 ? '1 message has' : `${waiting} messages have`;
      if (!confirm(`${what} not been sent yet and will be lost if you sign out now. Sign out anyway?`)) return;
    }
    void endPushOnSignOut(client)
      .then(() => client.forget())
      .finally(signOut);
  }, [client, signOut, confirm]);
}
