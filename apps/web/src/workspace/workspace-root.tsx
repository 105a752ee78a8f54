import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { useHashRoute } from '../lib/use-hash-route.ts';
import { trpc, type Me } from '../lib/trpc.ts';
import { AdminPage } from '../admin/admin-page.tsx';
import { WorkspaceLayout } from './workspace-layout.tsx';
import { WorkspacePicker } from './workspace-picker.tsx';

export interface WorkspaceRootProps {
  me: Me;
  onSignOut: () => void;
  signingOut: boolean;
}

/** The signed-in app: the picker, or the workspace the URL names. */
export function WorkspaceRoot({ me, onSignOut, signingOut }: WorkspaceRootProps) {
  const [route, navigate] = useHashRoute();
  const partitions = trpc.partition.list.useQuery();
  const partitionsError = partitions.error && !partitions.data ? errorMessage(partitions.error) : null;
  // Why I was taken out of a workspace ("You were removed from Acme."): kept here, above the
  // layout that goes away, for the picker, until I open a workspace again.
  const [ended, setEnded] = useState<{ partitionId: string; notice: string } | null>(null);
  const openWorkspaceId = 'partitionId' in route ? route.partitionId.toLowerCase() : null;
  useEffect(() => {
    if (openWorkspaceId !== null) setEnded(null);
  }, [openWorkspaceId]);
  const membershipEnded = useCallback(
    (partitionId: string, notice: string) => {
      setEnded({ partitionId, notice });
      // Replace: Back would lead into a workspace I am no longer in.
      navigate({ view: 'picker' }, { replace: true });
    },
    [navigate],
  );

  if (route.view === 'admin') {
    if (me.isAdmin) return <AdminPage me={me} onSignOut={onSignOut} />;
    return (
      <WorkspacePicker
        me={me}
        partitions={partitions.data}
        partitionsError={partitionsError}
        notice="Only Parley administrators can open the admin view."
        navigate={navigate}
        onSignOut={onSignOut}
      />
    );
  }
  if (route.view === 'picker') {
    return (
      <WorkspacePicker
        me={me}
        partitions={partitions.data}
        partitionsError={partitionsError}
        notice={ended?.notice ?? null}
        navigate={navigate}
        onSignOut={onSignOut}
      />
    );
  }
  if (!partitions.data) {
    return partitionsError ? (
      <WorkspacePicker me={me} partitions={undefined} partitionsError={partitionsError} navigate={navigate} onSignOut={onSignOut} />
    ) : (
      <div className="splash" role="status">
        Loading…
      </div>
    );
  }
  const partition = partitions.data.find((p) => p.id === route.partitionId.toLowerCase());
  if (!partition) {
    return (
      <WorkspacePicker
        me={me}
        partitions={partitions.data}
        partitionsError={null}
        notice={
          // The list may drop the workspace before the picker's route is in: say why, not "no workspace".
          ended?.partitionId === route.partitionId.toLowerCase() ? ended.notice : `No workspace “${route.partitionId}”, or you are not a member of it.`
        }
        navigate={navigate}
        onSignOut={onSignOut}
      />
    );
  }
  return (
    <WorkspaceLayout
      key={partition.id}
      me={me}
      partition={partition}
      partitions={partitions.data}
      route={route}
      navigate={navigate}
      onSignOut={onSignOut}
      signingOut={signingOut}
      onMembershipEnded={membershipEnded}
    />
  );
}
