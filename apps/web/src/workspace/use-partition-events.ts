import { useCallback, useSyncExternalStore } from 'react';
import { useParleyClient, usePartitionStream } from '@parley/client/react';
import { trpc, type ParleyEvent, type Room } from '../lib/trpc.ts';

export interface PartitionEventsOptions {
  /** Who I am: events about me also refresh my own role, or end my membership. */
  meId: string;
  /** Every event, after the lists it changes were invalidated. Keep it stable (useCallback). */
  onEvent?: ((event: ParleyEvent) => void) | undefined;
  /**
   * I am no longer a member: removed (`removedBy`, who did it) or left, maybe in another tab.
   * Called before the workspace list is refreshed, so the app can move away first. Keep it stable.
   */
  onMembershipEnded?: ((removedBy: string | null) => void) | undefined;
  /**
   * I am no longer in a room (removed, or left, maybe in another tab), as the server's room
   * list now says: `room` is what the list said of it before. Keep it stable.
   */
  onRoomLeft?: ((room: Room, removedBy: string | null) => void) | undefined;
}

/**
 * Keeps the workspace's event stream open (through @parley/client, which resumes it after any
 * disconnect and keeps the messages) and refreshes the lists React Query holds when the
 * events say they changed. Returns the stream's state for the sidebar.
 */
export function usePartitionEvents(partitionId: string, { meId, onEvent, onMembershipEnded, onRoomLeft }: PartitionEventsOptions) {
  const utils = trpc.useUtils();
  const { messages } = useParleyClient();
  const handle = useCallback(
    (event: ParleyEvent) => {
      switch (event.type) {
        case 'member.joined':
        case 'room.role_changed':
          void utils.room.list.invalidate({ partitionId });
          void utils.room.members.invalidate({ partitionId, roomId: event.data.roomId });
          break;
        case 'member.left':
          void utils.room.members.invalidate({ partitionId, roomId: event.data.roomId });
          if (event.data.userId !== meId) {
            void utils.room.list.invalidate({ partitionId });
            break;
          }
          {
            // As for `partition.left`: a replay can carry an old one (removed, then added back
            // while this page was closed); only the server's list says whether I am still in.
            const roomId = event.data.roomId;
            const removedBy = event.data.removedBy ?? null;
            const before = utils.room.list.getData({ partitionId })?.find((r) => r.id === roomId);
            void utils.client.room.list.query({ partitionId }).then(
              (list) => {
                if (before && !list.some((r) => r.id === roomId && r.joined)) onRoomLeft?.(before, removedBy);
                // After the notice is set, so the pane never says the room is gone instead.
                utils.room.list.setData({ partitionId }, list);
              },
              () => void utils.room.list.invalidate({ partitionId }),
            );
          }
          break;
        case 'room.created':
        case 'room.updated':
          void utils.room.list.invalidate({ partitionId });
          break;
        case 'announcement.created':
        case 'announcement.dismissed':
          void utils.announcement.list.invalidate({ partitionId });
          break;
        case 'partition.joined':
          void utils.partition.members.invalidate({ partitionId });
          break;
        case 'partition.role_changed':
          void utils.partition.members.invalidate({ partitionId });
          // My role lives in the workspace list: it decides whether I may write, invite, manage.
          if (event.data.userId === meId) void utils.partition.list.invalidate();
          break;
        case 'partition.left':
          void utils.partition.members.invalidate({ partitionId });
          void utils.room.list.invalidate({ partitionId });
          if (event.data.userId === meId) {
            // A replay can carry an old one (removed, then invited back while this page was
            // closed): only the server's list now says whether I am still in.
            const removedBy = event.data.removedBy;
            void utils.client.partition.list.query().then(
              (list) => {
                if (!list.some((p) => p.id === partitionId)) onMembershipEnded?.(removedBy);
                // After the notice is set, so the page never says "not a member" instead.
                utils.partition.list.setData(undefined, list);
              },
              () => void utils.partition.list.invalidate(),
            );
          }
          break;
        case 'profile.updated':
          // Names in the lists React Query holds; avatars and statuses live in client.profiles.
          void utils.partition.members.invalidate({ partitionId });
          void utils.room.members.invalidate({ partitionId });
          if (event.data.userId === meId) void utils.auth.me.invalidate();
          break;
        case 'message.created':
          break;
      }
      onEvent?.(event);
    },
    [utils, partitionId, meId, onEvent, onMembershipEnded, onRoomLeft],
  );
  usePartitionStream(partitionId, handle);
  const status = useSyncExternalStore(messages.subscribe, () => messages.syncStatus(partitionId).status);
  const error = useSyncExternalStore(messages.subscribe, () => messages.syncStatus(partitionId).error);
  const reset = useCallback(() => messages.restartStream(partitionId), [messages, partitionId]);
  return { status, error, reset };
}
