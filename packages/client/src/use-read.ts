import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { ReadReceiptsDto } from '@parley/api';
import type { ParleyClient } from './create-client.ts';
import type { ReadSnapshot, RoomReadState } from './read-store.ts';

type WithRead = Pick<ParleyClient, 'read'>;

/**
 * A workspace's unread and mention counts, loaded on first use and live after. The same object
 * until a count changes.
 * @example
 * ```tsx
 * const { rooms } = useReadStateWith(client, partitionId);
 * <Badge count={rooms[room.id]?.unread ?? 0} mentions={rooms[room.id]?.mentions ?? 0} />
 * ```
 */
export function useReadStateWith(client: WithRead, partitionId: string): ReadSnapshot {
  const { read } = client;
  useEffect(() => {
    void read.load(partitionId);
  }, [read, partitionId]);
  return useSyncExternalStore(
    read.subscribe,
    () => read.getSnapshot(partitionId),
    () => read.getSnapshot(partitionId),
  );
}

/** One room's counts (undefined before they are loaded, or for a room the user is not in). @example `useRoomReadWith(client, pid, roomId)?.lastRead` */
export function useRoomReadWith(client: WithRead, partitionId: string, roomId: string): RoomReadState | undefined {
  return useReadStateWith(client, partitionId).rooms[roomId];
}

/**
 * Who has read how far in a room (`read.receipts`), loaded when the room opens and live after;
 * undefined until the first answer.
 * @example
 * ```tsx
 * const receipts = useReceiptsWith(client, pid, roomId);
 * const readers = receipts?.readers.filter((r) => r.eventId >= message.eventId) ?? [];
 * ```
 */
export function useReceiptsWith(client: WithRead, partitionId: string, roomId: string): ReadReceiptsDto | undefined {
  const { read } = client;
  useEffect(() => {
    void read.loadReceipts(partitionId, roomId);
  }, [read, partitionId, roomId]);
  return useSyncExternalStore(
    read.subscribe,
    () => read.getReceipts(partitionId, roomId),
    () => read.getReceipts(partitionId, roomId),
  );
}

/**
 * The user's receipts setting (null while loading) and a setter.
 * @example
 * ```tsx
 * const [enabled, setEnabled] = useReceiptsSettingWith(client);
 * <input type="checkbox" checked={enabled ?? true} onChange={(e) => void setEnabled(e.target.checked)} />
 * ```
 */
export function useReceiptsSettingWith(client: WithRead): [boolean | null, (enabled: boolean) => Promise<void>] {
  const { read } = client;
  useEffect(() => {
    if (read.receiptsEnabled === null) read.loadReceiptsSetting().catch(() => {});
  }, [read]);
  const enabled = useSyncExternalStore(
    read.subscribe,
    () => read.receiptsEnabled,
    () => read.receiptsEnabled,
  );
  const set = useCallback((next: boolean) => read.setReceiptsEnabled(next), [read]);
  return [enabled, set];
}
