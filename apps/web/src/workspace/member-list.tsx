import { useEffect, useState } from 'react';
import { usePresence } from '@parley/client/react';
import type { Member } from '../lib/trpc.ts';
import { PresenceDot } from './presence-dot.tsx';
import { describePresence, formatLastSeen } from './presence-text.ts';

/** "last seen 5 min ago" moves on by itself: re-render this often. */
const LAST_SEEN_REFRESH_MS = 30_000;

/** Re-renders every `intervalMs` (for text that depends on the time). */
function useTick(intervalMs: number): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
}

/** The workspace's members with who is online, reconnecting (within the grace period) or offline since when. */
export function MemberList({ partitionId, members }: { partitionId: string; members: Member[] | undefined }) {
  const presence = usePresence(partitionId);
  useTick(LAST_SEEN_REFRESH_MS);
  const now = Date.now();
  const known = presence.status === 'live' && presence.available;
  const online = known && members ? members.filter((m) => presence.members[m.userId]?.status === 'online').length : null;
  return (
    <details className="sidebar-section members" open>
      <summary>
        Members{members ? ` · ${members.length}` : ''}
        {online !== null && <span className="online-count"> · {online} online</span>}
      </summary>
      {presence.status === 'live' && !presence.available && <p className="hint">Who is online is not known right now.</p>}
      {/* Dimmed while the connection is lost: what it shows may be behind until the next snapshot. */}
      <ul className={presence.stale ? 'member-list stale' : 'member-list'}>
        {members?.map((m) => {
          const p = presence.members[m.userId];
          return (
            <li key={m.userId}>
              {known && <PresenceDot status={p?.status ?? 'offline'} label={describePresence(p, now)} />}
              <span className="member-name">{m.displayName}</span>
              {known && p?.status === 'offline' && p.lastSeenAt !== null && (
                <span className="last-seen">last seen {formatLastSeen(p.lastSeenAt, now)}</span>
              )}
              {m.role !== 'member' && <span className="role">{m.role}</span>}
            </li>
          );
        })}
      </ul>
    </details>
  );
}
