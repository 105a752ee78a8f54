import { useCallback, useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { errorMessage } from '../lib/errors.ts';
import { trpc } from '../lib/trpc.ts';
import { mergeLatestPage, mergeOlderPage, type MessagePage } from './merge-messages.ts';

/**
 * One room's messages, in the cache entry of `message.list({ partitionId, roomId })` — the
 * same entry the live stream writes into (use-partition-events.ts). Fetching merges into what
 * is there instead of replacing it, so older pages and live messages survive a refetch.
 */
export function useRoomMessages(partitionId: string, roomId: string) {
  const utils = trpc.useUtils();
  const queryClient = useQueryClient();
  const input = useMemo(() => ({ partitionId, roomId }), [partitionId, roomId]);
  const queryKey = useMemo(() => getQueryKey(trpc.message.list, input, 'query'), [input]);

  const query = useQuery({
    queryKey,
    queryFn: async ({ signal }): Promise<MessagePage> => {
      const fresh = await utils.client.message.list.query(input, { signal });
      return mergeLatestPage(queryClient.getQueryData<MessagePage>(queryKey), fresh);
    },
    // The live stream keeps the entry current; it is refetched when the stream (re)starts.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });

  const [older, setOlder] = useState<{ loading: boolean; error: string | null }>({ loading: false, error: null });
  const nextCursor = query.data?.nextCursor ?? null;

  const loadOlder = useCallback(async () => {
    if (nextCursor === null) return;
    setOlder({ loading: true, error: null });
    try {
      const page = await utils.client.message.list.query({ ...input, before: nextCursor });
      utils.message.list.setData(input, (old) => mergeOlderPage(old, page));
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error: errorMessage(error) });
    }
  }, [input, nextCursor, utils]);

  return {
    query,
    hasOlder: nextCursor !== null,
    loadingOlder: older.loading,
    olderError: older.error,
    loadOlder,
  };
}
