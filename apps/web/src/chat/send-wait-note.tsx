import { useEffect, useState } from 'react';
import { useConnection, useOutbox } from '@parley/client/react';
import { describeSendWait, sendWait } from './send-wait.ts';

/**
 * Why a queued message of mine has not gone yet, in words: the connection, a rate limit (with
 * its countdown), earlier messages going first, or the server failing it. Mounted while the
 * message is queued, so mounting is when it started waiting.
 */
export function SendWaitNote({ clientId }: { clientId: string }) {
  const conn = useConnection();
  const outbox = useOutbox();
  const [since] = useState(() => Date.now());
  const [now, setNow] = useState(since);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);

  const index = outbox.entries.findIndex((e) => e.clientId === clientId);
  const behind = outbox.entries.slice(0, Math.max(0, index)).some((e) => e.status !== 'failed');
  const wait = sendWait({ online: conn.online, state: conn.state, retryAt: outbox.retryAt, behind, queuedForMs: now - since, now });
  return <span>{describeSendWait(wait)} — </span>;
}
