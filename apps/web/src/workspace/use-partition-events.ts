import { useCallback, useSyncExternalStore } from 'react';
import { useParleyClient, usePartitionStream } from '@parley/client/react';
import { trpc, type ParleyEvent } from '../lib/trpc.ts';

/**
 * Keeps the workspace's event stream open (through @parley/client, which resumes it after any
 * disconnect and keeps the messages) and refreshes the lists React Query holds when the
 * events say they changed. Returns the stream's state for the sidebar.
 */
export function usePartitionEvents(partitionId: string, onEvent?: (event: ParleyEvent) => void) {
  const utils = trpc.useUtils();
  const { messages } = useParleyClient();
  const handle = useCallback(
    (event: ParleyEvent) => {
      switch (event.type) {
        case 'member.joined':
        case 'member.left':
        case 'room.created':
          void utils.room.list.invalidate({ partitionId });
          break;
        case 'partition.joined':
          void utils.partition.members.invalidate({ partitionId });
          break;
        case 'message.created':
          break;
      }
      onEvent?.(event);
    },
    [utils, partitionId, onEvent],
  );
  usePartitionStream(partitionId, handle);
  const status = useSyncExternalStore(messages.subscribe, () => messages.syncStatus(partitionId).status);
  const error = useSyncExternalStore(messages.subscribe, () => messages.syncStatus(partitionId).error);
  const reset = useCallback(() => messages.restartStream(partitionId), [messages, partitionId]);
  return { status, error, reset };
}
