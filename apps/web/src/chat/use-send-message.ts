import { useCallback, useMemo } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { trpc } from '../lib/trpc.ts';
import { addMessage } from './merge-messages.ts';
import { newPendingMessage, type PendingMessage } from './pending-messages.ts';
import { usePendingMessages } from './use-pending-messages.ts';

/**
 * Sends optimistically: the message shows at once as pending, the confirmed copy replaces it
 * (whichever arrives first, the reply or the live event), a failure stays with a retry that
 * reuses the clientId, so the server posts it at most once however often it is retried.
 */
export function useSendMessage(partitionId: string) {
  const { dispatch } = usePendingMessages();
  const utils = trpc.useUtils();

  const attempt = useCallback(
    async (message: PendingMessage) => {
      try {
        const sent = await utils.client.message.send.mutate({
          partitionId,
          roomId: message.roomId,
          clientId: message.clientId,
          body: message.body,
        });
        utils.message.list.setData({ partitionId, roomId: message.roomId }, (old) => addMessage(old, sent));
        dispatch({ type: 'settled', clientId: message.clientId });
      } catch (error) {
        dispatch({ type: 'failed', clientId: message.clientId, error: errorMessage(error) });
      }
    },
    [dispatch, partitionId, utils],
  );

  return useMemo(
    () => ({
      send(roomId: string, body: string) {
        const message = newPendingMessage(roomId, body);
        dispatch({ type: 'added', message });
        void attempt(message);
      },
      retry(message: PendingMessage) {
        dispatch({ type: 'retrying', clientId: message.clientId });
        void attempt(message);
      },
      discard(clientId: string) {
        dispatch({ type: 'settled', clientId });
      },
    }),
    [attempt, dispatch],
  );
}
