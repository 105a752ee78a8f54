import { useState } from 'react';
import { useConnection, useOutbox } from '@parley/client/react';
import { describeSendWait, sendWait } from '../chat/send-wait.ts';
import { useNow } from '../chat/use-now.ts';

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.round(m / 60)} h`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** When `key` last changed (epoch ms): how long the outbox's first message has waited as it is. */
function useSince(key: string | null): number {
  const [since, setSince] = useState(() => ({ key, at: Date.now() }));
  if (since.key === key) return since.at;
  const next = { key, at: Date.now() };
  setSince(next);
  return next.at;
}

/**
 * What the connection is doing and what is waiting to be sent, in words: offline, reconnecting
 * in N s (attempt k of 10) with "Retry now", failed for good with "Retry now". Silent while
 * everything is live and nothing waits.
 */
export function ConnectionBanner() {
  const conn = useConnection();
  const outbox = useOutbox();
  const counting = conn.nextRetryAt !== null || outbox.queued > 0;
  const now = useNow(1000, counting);
  const rateLimitedMs = outbox.retryAt ? Date.parse(outbox.retryAt) - now : 0;
  const head = outbox.entries.find((e) => e.status !== 'failed');
  const headSince = useSince(head ? `${head.clientId}:${head.status}` : null);
  const headWait =
    head?.status === 'queued'
      ? sendWait({ online: conn.online, state: conn.state, retryAt: outbox.retryAt, behind: false, queuedForMs: now - headSince, now })
      : null;

  // Messages and changes (edits, reactions, deletes, pins…) wait in the same queue; say which.
  const pending = outbox.entries.filter((e) => e.status !== 'failed');
  const sends = pending.filter((e) => e.kind === 'send').length;
  const changes = pending.length - sends;
  const what = [sends > 0 ? plural(sends, 'message', 'messages') : '', changes > 0 ? plural(changes, 'change', 'changes') : ''].filter(Boolean).join(' and ');
  const waiting =
    outbox.queued > 0
      ? `${what} waiting to be sent${outbox.oldestQueuedAt ? `, the oldest for ${formatAge(now - Date.parse(outbox.oldestQueuedAt))}` : ''}.`
      : null;

  let text: string | null = null;
  let tone: 'info' | 'warning' | 'error' = 'warning';
  let retry = false;
  if (!conn.online) {
    text = 'You are offline. What you write is kept on this device and sent when you are back online.';
  } else if (conn.state === 'FAILED') {
    // lastError is a sentence of its own ("The connection closed (code 1006)."): not put in parentheses.
    text = `Could not reconnect after ${plural(conn.maxAttempts, 'attempt', 'attempts')}.${conn.lastError ? ` ${conn.lastError}` : ''}`;
    tone = 'error';
    retry = true;
  } else if (conn.state === 'RECONNECTING') {
    text =
      conn.nextRetryAt !== null
        ? `Connection lost. Reconnecting in ${Math.max(1, Math.ceil((conn.nextRetryAt - now) / 1000))} s (attempt ${conn.attempt} of ${conn.maxAttempts}).`
        : 'Reconnecting…';
    retry = conn.nextRetryAt !== null;
  } else if (conn.state === 'CONNECTED' && rateLimitedMs > 0) {
    text = `You are sending messages too fast. The next one goes in ${Math.ceil(rateLimitedMs / 1000)} s.`;
  } else if (conn.state === 'CONNECTED' && headWait?.kind === 'server') {
    // The connection is fine: the server failed the last attempt, and the outbox tries again.
    text = describeSendWait(headWait);
  } else if (conn.state === 'CONNECTED' && waiting) {
    tone = 'info';
  }
  if (!text && !waiting) return null;

  return (
    <div className={`connection-banner tone-${tone}`} role="status" aria-live="polite">
      {text && <span>{text}</span>}
      {waiting && <span className="outbox-count">{waiting}</span>}
      {retry && (
        <button type="button" className="button small" onClick={conn.retry}>
          Retry now
        </button>
      )}
    </div>
  );
}
