import { useState } from 'react';
import { PersistQueryClientProvider } from '@tanstack/react-query-persist-client';
import { AuthScreen } from './auth/auth-screen.tsx';
import { ClientsContext } from './lib/clients-context.ts';
import { createAppClients } from './lib/create-app-clients.ts';
import { errorMessage } from './lib/errors.ts';
import { trpc } from './lib/trpc.ts';
import { ParleySession, useSignOut } from './lib/parley-session.tsx';
import type { Me } from './lib/trpc.ts';
import { WorkspaceRoot } from './workspace/workspace-root.tsx';

/**
 * `auth.me` doubles as the session heartbeat: each call renews an idle session (30 min by
 * default on the server) and its cookie, so an open tab stays signed in.
 */
const HEARTBEAT_MS = 4 * 60_000;

/** @param buildId changes with each build: a query cache saved by another build is not restored. */
export function App({ buildId }: { buildId: string }) {
  // Only the page load's session restores the saved cache (see src/offline/query-persistence.ts).
  const [session, setSession] = useState(() => ({
    generation: 0,
    clients: createAppClients(window.location.origin, { buildId, restore: true }),
  }));
  const { clients } = session;
  // A new session gets new clients: the WebSocket authenticated with the old cookie.
  const restart = ({ signedOut }: { signedOut: boolean }) => {
    // First, so that no later session (nor the next page load) restores this person's data.
    if (signedOut) void clients.persistence.forget();
    void clients.close();
    setSession({
      generation: session.generation + 1,
      clients: createAppClients(window.location.origin, { buildId, restore: false }),
    });
  };
  return (
    <ClientsContext.Provider value={clients}>
      <trpc.Provider client={clients.trpcClient} queryClient={clients.queryClient}>
        {/* Restores the saved cache once, at mount, then saves whichever client it is given. */}
        <PersistQueryClientProvider client={clients.queryClient} persistOptions={clients.persistence.persistOptions}>
          {/* Remounted: a mounted query keeps the QueryClient it was first rendered with. */}
          <Session key={session.generation} onSessionChanged={restart} />
        </PersistQueryClientProvider>
      </trpc.Provider>
    </ClientsContext.Provider>
  );
}

function Session({ onSessionChanged }: { onSessionChanged: (change: { signedOut: boolean }) => void }) {
  const me = trpc.auth.me.useQuery(undefined, {
    refetchInterval: HEARTBEAT_MS,
    refetchIntervalInBackground: true,
  });
  const logout = trpc.auth.logout.useMutation({
    onSettled: () => {
      window.history.replaceState(null, '', '#/');
      onSessionChanged({ signedOut: true });
    },
  });

  if (me.data === undefined) {
    if (me.isError) {
      return (
        <div className="splash" role="alert">
          <p>{errorMessage(me.error)}</p>
          <button type="button" className="button primary" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      );
    }
    return (
      <div className="splash" role="status">
        Loading Parley…
      </div>
    );
  }
  if (me.data === null) return <AuthScreen onSignedIn={() => onSessionChanged({ signedOut: false })} />;
  return (
    <ParleySession userId={me.data.id}>
      <SignedIn me={me.data} onSignOut={() => logout.mutate()} signingOut={logout.isPending} />
    </ParleySession>
  );
}

function SignedIn({ me, onSignOut, signingOut }: { me: Me; onSignOut: () => void; signingOut: boolean }) {
  const signOut = useSignOut(onSignOut);
  return <WorkspaceRoot me={me} onSignOut={signOut} signingOut={signingOut} />;
}
