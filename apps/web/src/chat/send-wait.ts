import type { ConnectionState } from '@parley/client';

/** Why a message of mine is still waiting in the outbox, as far as the client can tell. */
export type SendWait = { kind: 'connection' } | { kind: 'rate-limited'; seconds: number } | { kind: 'behind' } | { kind: 'server' } | { kind: 'starting' };

/**
 * A queued message that is first in line while the connection is up is sent at once; still
 * queued after this long, its last attempt failed on the server's side (a 500, a timeout) and
 * the outbox is waiting to try again.
 */
export const SERVER_PROBLEM_AFTER_MS = 500;

export interface SendWaitInput {
  online: boolean;
  state: ConnectionState;
  /** The outbox's "not before" after a rate limit (ISO-8601), if any. */
  retryAt: string | null;
  /** An earlier message is queued or on its way: the outbox sends one at a time, in order. */
  behind: boolean;
  /** How long this message has been queued (since it last changed state). */
  queuedForMs: number;
  now: number;
}

export function sendWait(input: SendWaitInput): SendWait {
  if (!input.online || input.state !== 'CONNECTED') return { kind: 'connection' };
  const rateLimitedMs = input.retryAt ? Date.parse(input.retryAt) - input.now : 0;
  if (rateLimitedMs > 0) return { kind: 'rate-limited', seconds: Math.ceil(rateLimitedMs / 1000) };
  if (input.behind) return { kind: 'behind' };
  return input.queuedForMs >= SERVER_PROBLEM_AFTER_MS ? { kind: 'server' } : { kind: 'starting' };
}

export function describeSendWait(wait: SendWait): string {
  switch (wait.kind) {
    case 'connection':
      return 'Waiting for the connection';
    case 'rate-limited':
      return `You are sending too fast; trying again in ${wait.seconds} s`;
    case 'behind':
      return 'Waiting for the messages before it';
    case 'server':
      return 'The server had a problem; retrying…';
    case 'starting':
      return 'Waiting to send';
  }
}
