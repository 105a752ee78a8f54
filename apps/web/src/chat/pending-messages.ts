import { uuidv7 } from 'uuidv7';

/** A message typed here and not yet confirmed by the server. */
export interface PendingMessage {
  /** The idempotency key sent with every attempt: a retry can never post the message twice. */
  clientId: string;
  roomId: string;
  body: string;
  status: 'sending' | 'failed';
  error: string | null;
  createdAt: string;
}

export type PendingAction =
  | { type: 'added'; message: PendingMessage }
  | { type: 'retrying'; clientId: string }
  | { type: 'failed'; clientId: string; error: string }
  | { type: 'settled'; clientId: string };

export function newPendingMessage(roomId: string, body: string, now: Date = new Date()): PendingMessage {
  return { clientId: uuidv7(), roomId, body, status: 'sending', error: null, createdAt: now.toISOString() };
}

/** `settled` covers both a confirmed send and a discarded failure. */
export function pendingReducer(state: PendingMessage[], action: PendingAction): PendingMessage[] {
  switch (action.type) {
    case 'added':
      return [...state, action.message];
    case 'retrying':
      return state.map((m) => (m.clientId === action.clientId ? { ...m, status: 'sending', error: null } : m));
    case 'failed':
      return state.map((m) => (m.clientId === action.clientId ? { ...m, status: 'failed', error: action.error } : m));
    case 'settled':
      return state.filter((m) => m.clientId !== action.clientId);
  }
}
