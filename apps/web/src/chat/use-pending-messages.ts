import { createContext, useContext, type Dispatch } from 'react';
import type { PendingAction, PendingMessage } from './pending-messages.ts';

export interface PendingMessagesValue {
  pending: PendingMessage[];
  dispatch: Dispatch<PendingAction>;
}

/**
 * Held by the workspace layout rather than the chat pane, so a message still sending (or
 * failed) is there again after switching rooms and back.
 */
export const PendingMessagesContext = createContext<PendingMessagesValue | null>(null);

export function usePendingMessages(): PendingMessagesValue {
  const value = useContext(PendingMessagesContext);
  if (!value) throw new Error('usePendingMessages() needs <PendingMessagesContext.Provider>.');
  return value;
}
