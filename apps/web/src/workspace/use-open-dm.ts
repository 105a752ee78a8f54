import { uuidv7 } from 'uuidv7';
import { trpc } from '../lib/trpc.ts';

/**
 * Opens (or creates) the direct message with `userIds` and calls `onOpened` with its room id.
 * The room list learns of it at once, before the events that say so arrive.
 */
export function useOpenDm(partitionId: string, onOpened: (roomId: string) => void) {
  const utils = trpc.useUtils();
  return trpc.dm.open.useMutation({
    onSuccess: (room) => {
      utils.room.list.setData({ partitionId }, (old) => (old && !old.some((r) => r.id === room.id) ? [...old, room] : old));
      void utils.room.list.invalidate({ partitionId });
      onOpened(room.id);
    },
  });
}

/** The input of one `dm.open`: each attempt is one change (a fresh opId). */
export const openDmInput = (partitionId: string, userIds: string[]) => ({ partitionId, userIds, opId: uuidv7() });
