import { MESSAGE_MAX_CHARS } from '@parley/client';

/** The server's limit (`@parley/rules`, through the client). */
export { MESSAGE_MAX_CHARS };
/** The remaining-characters counter appears this close to the limit. */
export const COUNTER_SHOWN_WITHIN = 500;

export interface DraftCheck {
  /** What would be sent: the server trims too, and counts what is left. */
  body: string;
  canSend: boolean;
  /** Negative when over the limit. */
  remaining: number;
  showCounter: boolean;
  /** Why it cannot be sent, for the hint under the composer. */
  problem: 'empty' | 'too-long' | null;
}

/** The composer's rules, the same as the server's: 1–4000 characters after trimming. */
export function checkDraft(text: string): DraftCheck {
  const body = text.trim();
  const remaining = MESSAGE_MAX_CHARS - body.length;
  const problem = body.length === 0 ? 'empty' : remaining < 0 ? 'too-long' : null;
  return { body, canSend: problem === null, remaining, showCounter: remaining <= COUNTER_SHOWN_WITHIN, problem };
}
