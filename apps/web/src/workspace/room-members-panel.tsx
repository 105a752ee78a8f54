import { useId, useState } from 'react';
import { uuidv7 } from 'uuidv7';
import { errorMessage } from '../lib/errors.ts';
import { canManageRoom, isDefaultRoom, type RoomRole } from '../lib/rooms.ts';
import { trpc, type Member, type Role, type Room, type RoomMember } from '../lib/trpc.ts';
import './conversations.css';

export interface RoomMembersPanelProps {
  partitionId: string;
  room: Room;
  me: { id: string; role: Role };
  /** The workspace's members: whom a room admin may add. */
  workspaceMembers: Member[] | undefined;
  onClose: () => void;
}

/**
 * Who is in a room, with their room roles. Room admins (and workspace owners and admins) add
 * workspace members, remove members (not from #general) and make or unmake room admins; a
 * refusal shows the server's words at the row it is about. Not for direct messages: their
 * people are fixed.
 */
export function RoomMembersPanel({ partitionId, room, me, workspaceMembers, onClose }: RoomMembersPanelProps) {
  const list = trpc.room.members.useQuery({ partitionId, roomId: room.id });
  const manage = useManageRoom(partitionId, room.id);
  const canManage = canManageRoom(room, me.role);
  const canRemove = canManage && !isDefaultRoom(room);
  const [adding, setAdding] = useState('');
  const addId = useId();
  const members = list.data ?? [];
  const inRoom = new Set(members.map((m) => m.userId));
  const addable = (workspaceMembers ?? []).filter((m) => !inRoom.has(m.userId)).sort((a, b) => a.displayName.localeCompare(b.displayName));
  const label = `#${room.name}`;
  const failureInList = manage.failure !== null && inRoom.has(manage.failure.userId);

  return (
    <aside className="room-members-panel" aria-label={`Members of ${label}`}>
      <div className="section-heading">
        <h2>
          Members of {label}
          {list.data ? ` · ${members.length}` : ''}
        </h2>
        <button type="button" className="icon-button" aria-label="Close members" onClick={onClose}>
          ×
        </button>
      </div>
      {list.error && !list.data && (
        <p className="error-text" role="alert">
          {errorMessage(list.error)}
        </p>
      )}
      {list.isPending && <p className="muted">Loading members…</p>}
      <ul className="room-member-list">
        {members.map((m) => (
          <RoomMemberRow
            key={m.userId}
            member={m}
            isMe={m.userId === me.id}
            roomLabel={label}
            canManage={canManage}
            canRemove={canRemove && m.userId !== me.id}
            manage={manage}
          />
        ))}
      </ul>
      {canManage && (
        <form
          className="inline-form room-add-member"
          onSubmit={(event) => {
            event.preventDefault();
            if (adding) manage.add(adding);
            setAdding('');
          }}
        >
          <label htmlFor={addId}>Add someone to {label}</label>
          <div className="inline-form-row">
            <select id={addId} value={adding} onChange={(event) => setAdding(event.target.value)} disabled={addable.length === 0}>
              <option value="">{addable.length ? 'Choose a member…' : 'Everyone is in it'}</option>
              {addable.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.displayName}
                </option>
              ))}
            </select>
            <button type="submit" className="button primary" disabled={!adding || manage.pending}>
              Add
            </button>
          </div>
        </form>
      )}
      {/* About someone not (or no longer) listed: an addition, or a member gone meanwhile. */}
      {manage.failure && !failureInList && (
        <p className="error-text" role="alert">
          {manage.failure.message}
        </p>
      )}
    </aside>
  );
}

type ManageRoom = ReturnType<typeof useManageRoom>;

function RoomMemberRow(props: { member: RoomMember; isMe: boolean; roomLabel: string; canManage: boolean; canRemove: boolean; manage: ManageRoom }) {
  const { member: m, manage } = props;
  const busy = manage.pendingUserId === m.userId;
  const failure = manage.failure?.userId === m.userId ? manage.failure.message : null;
  return (
    <li className="room-member">
      <span className="member-name">
        {m.displayName}
        {props.isMe ? ' (you)' : ''}
      </span>
      {m.role === 'admin' && <span className="role">room admin</span>}
      {props.canManage && (
        <span className="member-controls">
          <button
            type="button"
            className="button subtle small"
            disabled={manage.pending}
            aria-label={m.role === 'admin' ? `Remove ${m.displayName} as room admin` : `Make ${m.displayName} a room admin`}
            onClick={() => manage.setRole(m.userId, m.role === 'admin' ? 'member' : 'admin')}
          >
            {m.role === 'admin' ? 'Unmake admin' : 'Make admin'}
          </button>
          {props.canRemove && (
            <button
              type="button"
              className="button subtle small"
              disabled={manage.pending}
              aria-label={`Remove ${m.displayName} from ${props.roomLabel}`}
              onClick={() => manage.remove(m.userId)}
            >
              {busy && manage.removing ? 'Removing…' : 'Remove'}
            </button>
          )}
        </span>
      )}
      {failure && (
        <p className="error-text member-error" role="alert">
          {failure}
        </p>
      )}
    </li>
  );
}

/**
 * One change at a time for the whole panel. Success or refusal, the room's members and the
 * room list are fetched again (a refusal usually means what was shown was behind).
 */
function useManageRoom(partitionId: string, roomId: string) {
  const utils = trpc.useUtils();
  const refresh = () => Promise.all([utils.room.members.invalidate({ partitionId, roomId }), utils.room.list.invalidate({ partitionId })]);
  const add = trpc.room.addMember.useMutation({ onSettled: refresh });
  const remove = trpc.room.removeMember.useMutation({ onSettled: refresh });
  const setRole = trpc.room.setRole.useMutation({ onSettled: refresh });
  const running = [add, remove, setRole].find((m) => m.isPending);
  const failed = [add, remove, setRole].find((m) => m.error);
  const resetAll = () => [add, remove, setRole].forEach((m) => m.reset());
  const input = (userId: string) => ({ partitionId, roomId, userId, opId: uuidv7() });
  return {
    pending: running !== undefined,
    pendingUserId: running?.variables?.userId ?? null,
    removing: remove.isPending,
    failure: failed?.error && failed.variables ? { userId: failed.variables.userId, message: errorMessage(failed.error) } : null,
    add(userId: string) {
      resetAll();
      add.mutate(input(userId));
    },
    remove(userId: string) {
      resetAll();
      remove.mutate(input(userId));
    },
    setRole(userId: string, role: RoomRole) {
      resetAll();
      setRole.mutate({ ...input(userId), role });
    },
  };
}
