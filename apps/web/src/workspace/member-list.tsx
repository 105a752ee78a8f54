import { useEffect, useState } from 'react';
import { usePresence } from '@parley/client/react';
import { errorMessage } from '../lib/errors.ts';
import { assignableRoles, canManageMember, canWrite, trpc, type AssignableRole, type Member, type Role } from '../lib/trpc.ts';
import { PersonAvatar, PersonName, PersonStatus } from '../profile/person.tsx';
import { BlockButton } from './block-button.tsx';
import { PresenceDot } from './presence-dot.tsx';
import { describePresence, formatLastSeen } from './presence-text.ts';
import { openDmInput, useOpenDm } from './use-open-dm.ts';

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

export interface MemberListProps {
  partitionId: string;
  members: Member[] | undefined;
  /** Who is looking, and their role here: owners and admins may manage some of the members. */
  me: { id: string; role: Role };
  /** Opens a room (the direct message "Message" opened or created). */
  onOpenRoom: (roomId: string) => void;
}

/**
 * The workspace's members with who is online, reconnecting (within the grace period) or
 * offline since when, and "Message" (the direct message with them, opened or created). For
 * owners and admins, "Manage" shows a role menu and "Remove" on each member they may manage;
 * hidden otherwise, so the list stays a list.
 */
export function MemberList({ partitionId, members, me, onOpenRoom }: MemberListProps) {
  const presence = usePresence(partitionId);
  const manage = useManageMembers(partitionId);
  const openDm = useOpenDm(partitionId, onOpenRoom);
  const dmFailure = openDm.error ? { userId: openDm.variables?.userIds[0], message: errorMessage(openDm.error) } : null;
  const [managing, setManaging] = useState(false);
  const manageable = (m: Member) => canManageMember(me, m);
  const canManageSome = members?.some(manageable) ?? false;
  const showControls = managing && canManageSome;
  const failedRowShown = manage.failure !== null && members?.some((m) => m.userId === manage.failure?.userId);
  useTick(LAST_SEEN_REFRESH_MS);
  const now = Date.now();
  const known = presence.status === 'live' && presence.available;
  const online = known && members ? members.filter((m) => presence.members[m.userId]?.status === 'online').length : null;
  return (
    <details className={canManageSome ? 'sidebar-section members manageable' : 'sidebar-section members'} open>
      <summary>
        Members{members ? ` · ${members.length}` : ''}
        {online !== null && <span className="online-count"> · {online} online</span>}
      </summary>
      {/* Beside the summary, not in it: a button inside <summary> would also fold the list. */}
      {canManageSome && (
        <button
          type="button"
          className="manage-toggle"
          aria-label="Manage members"
          aria-pressed={showControls}
          onClick={() => {
            setManaging((on) => !on);
            manage.reset();
          }}
        >
          Manage
        </button>
      )}
      {presence.status === 'live' && !presence.available && <p className="hint">Who is online is not known right now.</p>}
      {/* Dimmed while the connection is lost: what it shows may be behind until the next snapshot. */}
      <ul className={presence.stale ? 'member-list stale' : 'member-list'}>
        {members?.map((m) => {
          const p = presence.members[m.userId];
          const controlled = showControls && manageable(m);
          const failed = manage.failure?.userId === m.userId;
          return (
            <li key={m.userId} className={controlled || failed ? 'managed' : undefined}>
              {known && <PresenceDot status={p?.status ?? 'offline'} label={describePresence(p, now)} />}
              <PersonAvatar userId={m.userId} name={m.displayName} size="small" />
              <span className="member-who">
                <PersonName className="member-name" userId={m.userId} fallback={m.displayName} />
                <PersonStatus userId={m.userId} />
              </span>
              {known && p?.status === 'offline' && p.lastSeenAt !== null && <span className="last-seen">last seen {formatLastSeen(p.lastSeenAt, now)}</span>}
              {controlled ? <MemberControls member={m} myRole={me.role} manage={manage} /> : m.role !== 'member' && <span className="role">{m.role}</span>}
              {m.userId !== me.id && (
                // Shown on hover and keyboard focus (always on touch screens), after the name.
                <span className="member-actions">
                  {/* Viewers cannot open direct messages (the server asks for a member). */}
                  {canWrite(me.role) && (
                    <button
                      type="button"
                      className="member-message"
                      aria-label={`Message ${m.displayName}`}
                      title={`Message ${m.displayName}`}
                      disabled={openDm.isPending}
                      onClick={() => {
                        manage.reset();
                        openDm.mutate(openDmInput(partitionId, [m.userId]));
                      }}
                    >
                      Message
                    </button>
                  )}
                  <BlockButton userId={m.userId} name={m.displayName} />
                </span>
              )}
              {failed && manage.failure && <FailureText message={manage.failure.message} />}
              {dmFailure?.userId === m.userId && <FailureText message={dmFailure.message} />}
            </li>
          );
        })}
      </ul>
      {/* The member it was about has gone from the list meanwhile (removed or left). */}
      {manage.failure && !failedRowShown && <FailureText message={manage.failure.message} />}
    </details>
  );
}

type ManageMembers = ReturnType<typeof useManageMembers>;

/**
 * One role change or removal at a time, for the whole list: the controls are disabled while
 * one runs. Success or refusal, the list is fetched again (a refusal usually means it was
 * behind, e.g. someone made that member an admin meanwhile).
 */
function useManageMembers(partitionId: string) {
  const utils = trpc.useUtils();
  const refresh = () => utils.partition.members.invalidate({ partitionId });
  const setRole = trpc.partition.setRole.useMutation({ onSettled: refresh });
  const remove = trpc.partition.removeMember.useMutation({ onSettled: refresh });
  const pendingUserId = setRole.isPending ? setRole.variables.userId : remove.isPending ? remove.variables.userId : null;
  const failed = setRole.error
    ? { error: setRole.error, userId: setRole.variables?.userId }
    : remove.error
      ? { error: remove.error, userId: remove.variables?.userId }
      : null;
  return {
    pending: pendingUserId !== null,
    pendingUserId,
    /** The role being given right now, shown at once rather than the old one. */
    pendingRole: setRole.isPending ? setRole.variables.role : null,
    removing: remove.isPending,
    failure: failed ? { userId: failed.userId ?? null, message: errorMessage(failed.error) } : null,
    setRole(userId: string, role: AssignableRole) {
      remove.reset();
      setRole.mutate({ partitionId, userId, role });
    },
    remove(userId: string) {
      setRole.reset();
      remove.mutate({ partitionId, userId });
    },
    reset() {
      setRole.reset();
      remove.reset();
    },
  };
}

function MemberControls({ member, myRole, manage }: { member: Member; myRole: Role; manage: ManageMembers }) {
  const busy = manage.pendingUserId === member.userId;
  const role = (busy && manage.pendingRole) || member.role;
  const name = member.displayName;
  return (
    <span className="member-controls">
      <select
        className="member-role"
        aria-label={`Role of ${name}`}
        value={role}
        disabled={manage.pending}
        onChange={(event) => manage.setRole(member.userId, event.target.value as AssignableRole)}
      >
        {assignableRoles(myRole).map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="member-remove"
        aria-label={`Remove ${name} from the workspace`}
        disabled={manage.pending}
        onClick={() => {
          if (window.confirm(`Remove ${name} from the workspace? They leave all its rooms; their messages stay.`)) manage.remove(member.userId);
        }}
      >
        {busy && manage.removing ? 'Removing…' : 'Remove'}
      </button>
    </span>
  );
}

function FailureText({ message }: { message: string }) {
  return (
    <p className="error-text member-error" role="alert">
      {message}
    </p>
  );
}
