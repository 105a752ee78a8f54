import type { Role } from '@parley/db';
import type { AnnouncementDto } from '../announcement/announcement.types.ts';
import type { MessageDto } from '../message/message.types.ts';
import type { NoteDto, NoteLockData, NoteSavedData, NoteUnlockedData } from '../note/note.types.ts';
import type { ProfileDto } from '../profile/profile.types.ts';
import type { ReadUpdatedData } from '../read/read.types.ts';
import type { RoomDto, RoomRole } from '../room/room.types.ts';
import type { NotifyChange } from '../notify/notify.types.ts';

/** The envelope every durable event carries. `id` is dense per partition: 1, 2, 3, … */
export interface EventEnvelope {
  id: number;
  partitionId: string;
  roomId: string | null;
  at: string;
  actorId: string | null;
}

/** What a reaction event says: `userId` put (or took back) `emoji` on the message. */
export interface ReactionChange {
  messageId: string;
  roomId: string;
  userId: string;
  emoji: string;
}

export type ParleyEvent = EventEnvelope &
  (
    | { type: 'message.created'; data: MessageDto }
    /** The author changed the text (within 5 minutes of sending it). */
    | { type: 'message.edited'; data: { id: string; roomId: string; body: string; editedAt: string } }
    /** Deleted for everyone: a tombstone from now on (its text, edits and reactions are gone). */
    | { type: 'message.deleted'; data: { id: string; roomId: string; deletedAt: string; deletedBy: string } }
    /** Deleted for one person only ("delete for me"): seen by that person's streams alone. */
    | { type: 'message.hidden'; data: { id: string; roomId: string; userId: string } }
    | { type: 'message.pinned'; data: { id: string; roomId: string; pinnedAt: string; pinnedBy: string } }
    | { type: 'message.unpinned'; data: { id: string; roomId: string } }
    | { type: 'reaction.added'; data: ReactionChange }
    | { type: 'reaction.removed'; data: ReactionChange }
    | { type: 'room.created'; data: RoomDto }
    /** The topic or name changed. */
    | { type: 'room.updated'; data: RoomDto }
    /** `addedBy`: a room admin who added them (absent or null: they joined by themselves). */
    | { type: 'member.joined'; data: { roomId: string; userId: string; displayName: string; role?: RoomRole; addedBy?: string | null } }
    /** `removedBy`: a room or workspace admin who removed them (absent or null: they left). */
    | { type: 'member.left'; data: { roomId: string; userId: string; removedBy?: string | null } }
    | { type: 'room.role_changed'; data: { roomId: string; userId: string; role: RoomRole; previousRole: RoomRole } }
    | { type: 'announcement.created'; data: AnnouncementDto }
    /** One person dismissed an announcement: seen by that person's streams alone. */
    | { type: 'announcement.dismissed'; data: { id: string; userId: string } }
    /** One person changed how a room notifies them: seen by that person's streams alone (their other devices follow). */
    | { type: 'notify.changed'; data: NotifyChange }
    | { type: 'partition.joined'; data: { userId: string; displayName: string; role: string } }
    /** An owner or admin gave a member another role. */
    | { type: 'partition.role_changed'; data: { userId: string; role: Role; previousRole: Role } }
    /**
     * A member left the workspace, or was removed (`removedBy`: who did it). Their rooms'
     * `member.left` events come just before it; their own stream ends after it.
     */
    | { type: 'partition.left'; data: { userId: string; removedBy: string | null } }
    /** Notes (seed 001) are workspace-wide (`roomId` null): every member's stream gets them. */
    | { type: 'note.created'; data: NoteDto }
    /** A new version under the lock (a restore too: `restoredFrom`). */
    | { type: 'note.saved'; data: NoteSavedData }
    /** Someone took the edit lock, until `expiresAt` (database clock). The fencing token is never in an event. */
    | { type: 'note.locked'; data: NoteLockData }
    /** The holder renewed it: the new `expiresAt`. */
    | { type: 'note.renewed'; data: NoteLockData }
    /** The lock ended: `released` by the holder, `expired` or `session-ended` (the sweep, or the next taker), `forced` by an owner or admin. */
    | { type: 'note.unlocked'; data: NoteUnlockedData }
    | { type: 'note.deleted'; data: { id: string; deletedBy: string; deletedAt: string } }
    /**
     * A member read a room up to `eventId` (their position only moves forward). Their own streams
     * always get it; the room's other members only when `receipts` (see read.types.ts).
     */
    | { type: 'read.updated'; data: ReadUpdatedData }
    /** A member changed their display name, status or avatar: every workspace they are in gets it (`roomId` null). */
    | { type: 'profile.updated'; data: ProfileDto }
  );

export type ParleyEventType = ParleyEvent['type'];

/** Events only the person named in `data.userId` may see (their own "delete for me", dismissals). */
export const PERSONAL_EVENT_TYPES: ReadonlySet<ParleyEventType> = new Set(['message.hidden', 'announcement.dismissed', 'notify.changed']);

/** What a service hands to `appendEvents`: the envelope's id, partition and time come from the log. */
export type NewEvent = {
  [T in ParleyEventType]: {
    type: T;
    roomId: string | null;
    actorId: string | null;
    data: Extract<ParleyEvent, { type: T }>['data'];
  };
}[ParleyEventType];
