import { useState } from 'react';
import { QueryClientProvider } from '@tanstack/react-query';
import { AuthScreen } from './auth/auth-screen.tsx';
import { ClientsContext } from './lib/clients-context.ts';
import { createAppClients } from './lib/create-app-clients.ts';
import { errorMessage } from './lib/errors.ts';
import { trpc } from './lib/trpc.ts';
import { WorkspaceRoot } from './workspace/workspace-root.tsx';

/**
 * `auth.me` doubles as the session heartbeat: each call renews an idle session (30 min by
 * default on the server) and its cookie, so an open tab stays signed in.
 */
const HEARTBEAT_MS = 4 * 60_000;

export function App() {
  const [session, setSession] = useState(() => ({ generation: 0, clients: createAppClients(window.location.origin) }));
  const { clients } = session;
  // A new session gets new clients: the WebSocket authenticated with the old cookie.
  const restart = () => {
    void clients.close();
    setSession({ generation: session.generation + 1, clients: createAppClients(window.location.origin) });
  };
  return (
    <ClientsContext.Provider value={clients}>
      <trpc.Provider client={clients.trpcClient} queryClient={clients.queryClient}>
        <QueryClientProvider client={clients.queryClient}>
          {/* Remounted: a mounted query keeps the QueryClient it was first rendered with. */}
          <Session key={session.generation} onSessionChanged={restart} />
        </QueryClientProvider>
      </trpc.Provider>
    </ClientsContext.Provider>
  );
}

function Session({ onSessionChanged }: { onSessionChanged: () => void }) {
  const me = trpc.auth.me.useQuery(undefined, {
    refetchInterval: HEARTBEAT_MS,
    refetchIntervalInBackground: true,
  });
  const logout = trpc.auth.logout.useMutation({
    onSettled: () => {
      window.history.replaceState(null, '', '#/');
      onSessionChanged();
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
  if (me.data === null) return <AuthScreen onSignedIn={onSessionChanged} />;
  return <WorkspaceRoot me={me.data} onSignOut={() => logout.mutate()} signingOut={logout.isPending} />;
}
