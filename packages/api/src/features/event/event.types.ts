import type { Role } from '@parley/db';
import type { MessageDto } from '../message/message.types.ts';
import type { RoomDto } from '../room/room.types.ts';

/** The envelope every durable event carries. `id` is dense per partition: 1, 2, 3, … */
export interface EventEnvelope {
  id: number;
  partitionId: string;
  roomId: string | null;
  at: string;
  actorId: string | null;
}

export type ParleyEvent = EventEnvelope &
  (
    | { type: 'message.created'; data: MessageDto }
    | { type: 'room.created'; data: RoomDto }
    | { type: 'member.joined'; data: { roomId: string; userId: string; displayName: string } }
    | { type: 'member.left'; data: { roomId: string; userId: string } }
    | { type: 'partition.joined'; data: { userId: string; displayName: string; role: string } }
    /** An owner or admin gave a member another role. */
    | { type: 'partition.role_changed'; data: { userId: string; role: Role; previousRole: Role } }
    /**
     * A member left the workspace, or was removed (`removedBy`: who did it). Their rooms'
     * `member.left` events come just before it; their own stream ends after it.
     */
    | { type: 'partition.left'; data: { userId: string; removedBy: string | null } }
  );

export type ParleyEventType = ParleyEvent['type'];

/** What a service hands to `appendEvents`: the envelope's id, partition and time come from the log. */
export type NewEvent = {
  [T in ParleyEventType]: {
    type: T;
    roomId: string | null;
    actorId: string | null;
    data: Extract<ParleyEvent, { type: T }>['data'];
  };
}[ParleyEventType];
