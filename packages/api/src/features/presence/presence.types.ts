import type { PresenceStatus } from '@parley/cluster';

export type { PresenceStatus };

/** One member's presence, as the wire carries it (ISO-8601 times, on the server's clock). */
export interface MemberPresenceDto {
  userId: string;
  status: PresenceStatus;
  /** When their last connection ended; null while online, and when never seen. */
  lastSeenAt: string | null;
  /** While reconnecting: when they become offline unless they come back (show it then, whatever else arrives). */
  offlineAt: string | null;
}

/** Someone typing in a room until `until`; `until <= at` means they stopped. */
export interface TypingDto {
  userId: string;
  roomId: string;
  until: string;
}

export interface PresenceListDto {
  /** The server's now: a client corrects its clock by it before comparing `offlineAt` and `until`. */
  at: string;
  /** How long a disconnect stays `reconnecting`. */
  graceMs: number;
  /** False while presence cannot be read (Redis down): every status is then unknown (shown offline). */
  available: boolean;
  /** Every member of the partition. */
  members: MemberPresenceDto[];
  /** Who is typing, in rooms the caller is in (not the caller). */
  typing: TypingDto[];
}

/**
 * What `presence.onSignal` yields (untracked: nothing to resume; every (re)subscription starts
 * with a snapshot): a `snapshot`, then changes of one member's presence and typing signals.
 */
export type PresenceSignalDto =
  ({ type: 'snapshot' } & PresenceListDto) | ({ type: 'presence'; at: string } & MemberPresenceDto) | ({ type: 'typing'; at: string } & TypingDto);
