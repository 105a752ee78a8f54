import { addMessage } from '../chat/merge-messages.ts';
import { trpc, type ParleyEvent } from '../lib/trpc.ts';

/**
 * The workspace's live event stream, written into the React Query cache:
 * - `message.created` goes into that room's `message.list` entry (deduplicated by id, ordered
 *   by eventId; a room never opened has no entry and is fetched when opened);
 * - room and membership events refresh the room list, `partition.joined` the member list.
 *
 * When the stream (re)starts, the open lists are refetched (merging, not replacing): whatever
 * happened between the first fetch and the subscription starting is then not missed. After a
 * dropped connection tRPC resumes with the last event id by itself, so nothing is lost either.
 */
export function usePartitionEvents(partitionId: string, myId: string, onEvent?: (event: ParleyEvent) => void) {
  const utils = trpc.useUtils();
  return trpc.event.onEvent.useSubscription(
    { partitionId },
    {
      onStarted() {
        void utils.message.list.invalidate({ partitionId });
        void utils.room.list.invalidate({ partitionId });
      },
      onData(tracked) {
        const event = tracked.data;
        switch (event.type) {
          case 'message.created':
            utils.message.list.setData({ partitionId, roomId: event.data.roomId }, (old) => addMessage(old, event.data));
            break;
          case 'member.joined':
          case 'member.left':
            // Outside a room its events stop coming: what is cached for it may be behind when
            // (re)joining. Marked stale only, as fetching a room just left would be refused.
            if (event.data.userId === myId) {
              void utils.message.list.invalidate({ partitionId, roomId: event.data.roomId }, { refetchType: 'none' });
            }
            void utils.room.list.invalidate({ partitionId });
            break;
          case 'room.created':
            void utils.room.list.invalidate({ partitionId });
            break;
          case 'partition.joined':
            void utils.partition.members.invalidate({ partitionId });
            break;
        }
        onEvent?.(event);
      },
    },
  );
}
