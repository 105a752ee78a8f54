import type { MemberPresence } from '@parley/client';

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "just now", "5 min ago", "today at 14:05", "yesterday at 09:12", "Mar 3". */
export function formatLastSeen(at: number, now: number = Date.now()): string {
  const ago = now - at;
  if (ago < 60_000) return 'just now';
  if (ago < 60 * 60_000) return `${Math.floor(ago / 60_000)} min ago`;
  const date = new Date(at);
  const today = new Date(now);
  if (sameDay(date, today)) return `today at ${timeOnly.format(date)}`;
  const yesterday = new Date(now);
  yesterday.setDate(today.getDate() - 1);
  if (sameDay(date, yesterday)) return `yesterday at ${timeOnly.format(date)}`;
  return dayOnly.format(date);
}

export const PRESENCE_LABEL = { online: 'Online', reconnecting: 'Reconnecting', offline: 'Offline' } as const;

/** What a member's dot says in words: "Online", "Reconnecting…", "Offline · last seen 5 min ago". */
export function describePresence(member: MemberPresence | undefined, now: number = Date.now()): string {
  if (!member || member.status === 'offline') {
    return member?.lastSeenAt != null ? `Offline · last seen ${formatLastSeen(member.lastSeenAt, now)}` : 'Offline';
  }
  return member.status === 'online' ? 'Online' : 'Reconnecting…';
}

/** "Ada is typing…", "Ada and Bob are typing…", "Ada, Bob and 2 others are typing…"; null when nobody is. */
export function describeTyping(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  const others = names.length - 2;
  return `${names[0]}, ${names[1]} and ${others} ${others === 1 ? 'other' : 'others'} are typing…`;
}
