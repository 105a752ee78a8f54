import { uuidv7 } from 'uuidv7';
import { useMutation } from '@tanstack/react-query';
import { trpc, type Room } from '../lib/trpc.ts';

/**
 * Into a room: `room.join` for a public room; a private one (which a workspace owner or admin
 * sees without being in it) only by adding myself (`room.addMember`), as a room admin would.
 */
export function useJoinRoom(partitionId: string, meId: string, onJoined?: (roomId: string) => void) {
  const utils = trpc.useUtils();
  return useMutation({
    mutationFn: async (room: Pick<Room, 'id' | 'kind'>): Promise<void> => {
      if (room.kind === 'private') await utils.client.room.addMember.mutate({ partitionId, roomId: room.id, userId: meId, opId: uuidv7() });
      else await utils.client.room.join.mutate({ partitionId, roomId: room.id });
    },
    onSuccess: async (_result, room) => {
      await utils.room.list.invalidate({ partitionId });
      onJoined?.(room.id);
    },
  });
}
