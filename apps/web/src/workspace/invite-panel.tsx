import { errorMessage } from '../lib/errors.ts';
import { trpc } from '../lib/trpc.ts';
import { InviteCode } from './invite-code.tsx';

/** For owners and admins: a fresh invite code (the previous one stops working). */
export function InvitePanel({ partitionId }: { partitionId: string }) {
  const rotate = trpc.partition.rotateInvite.useMutation();
  return (
    <details className="sidebar-section invite-panel">
      <summary>Invite people</summary>
      <p className="hint">Invite codes are shown only once. Make a new one to invite people; the previous code stops working.</p>
      <button type="button" className="button" onClick={() => rotate.mutate({ partitionId })} disabled={rotate.isPending}>
        {rotate.isPending ? 'Making a code…' : rotate.data ? 'Make another code' : 'Make an invite code'}
      </button>
      {rotate.error && (
        <p className="error-text" role="alert">
          {errorMessage(rotate.error)}
        </p>
      )}
      {rotate.data && <InviteCode code={rotate.data.inviteCode} />}
    </details>
  );
}
