import { useParleyClient, useReadState } from '@parley/client/react';

/** "Mark all read": every room and direct message of the workspace, at once here, through the outbox. */
export function MarkAllRead({ partitionId }: { partitionId: string }) {
  const client = useParleyClient();
  const { rooms } = useReadState(partitionId);
  const any = Object.values(rooms).some((r) => r.unread > 0);
  if (!any) return null;
  return (
    <button type="button" className="link-button mark-all-read" onClick={() => client.read.markAllRead(partitionId)}>
      Mark all read
    </button>
  );
}
