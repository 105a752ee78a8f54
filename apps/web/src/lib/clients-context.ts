import { createContext, useContext } from 'react';
import type { AppClients } from './create-app-clients.ts';

export const ClientsContext = createContext<AppClients | null>(null);

/** The current session's clients (for the WebSocket's connection state). */
export function useClients(): AppClients {
  const clients = useContext(ClientsContext);
  if (!clients) throw new Error('useClients() needs <ClientsContext.Provider> (see app.tsx).');
  return clients;
}
