import { useId, useState, type FormEvent } from 'react';
import { WORKSPACE_NAME_MAX_CHARS } from '@parley/client';
import { FieldError } from '../lib/field-error.tsx';
import { describedBy, formErrors } from '../lib/form-errors.ts';
import { formatRoute, type Route } from '../lib/route.ts';
import { trpc, type Me, type Partition } from '../lib/trpc.ts';
import { InviteCode } from './invite-code.tsx';

export interface WorkspacePickerProps {
  me: Me;
  partitions: Partition[] | undefined;
  partitionsError: string | null;
  /** Why the picker shows instead of the workspace asked for. */
  notice?: string | null;
  navigate: (route: Route) => void;
  onSignOut: () => void;
}

export function WorkspacePicker({ me, partitions, partitionsError, notice = null, navigate, onSignOut }: WorkspacePickerProps) {
  return (
    <div className="picker-page">
      <header className="picker-header">
        <span className="brand">Parley</span>
        <span className="muted">
          Signed in as <strong>{me.displayName}</strong>
        </span>
        {me.isAdmin && (
          <a className="button subtle admin-link" href={formatRoute({ view: 'admin' })}>
            Admin
          </a>
        )}
        <button type="button" className="button subtle" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main className="picker-main">
        {notice && (
          <p className="banner error" role="alert">
            {notice}
          </p>
        )}
        {me.isAdmin && (
          <p className="banner admin-notice">
            You administer this Parley server (through its setup link, ADMIN_USERNAMES, or as the first account of a server that listens only on this machine).{' '}
            <a href={formatRoute({ view: 'admin' })}>Open the admin view</a> for its nodes, workspaces and audit log.
          </p>
        )}
        <section className="card" aria-labelledby="mine-heading">
          <h1 id="mine-heading">Your workspaces</h1>
          {partitionsError ? (
            <p className="error-text" role="alert">
              {partitionsError}
            </p>
          ) : partitions === undefined ? (
            <p className="muted">Loading…</p>
          ) : partitions.length === 0 ? (
            <p className="muted">You are not in any workspace yet. Create one, or join one with an invite code.</p>
          ) : (
            <ul className="workspace-list">
              {partitions.map((p) => (
                <li key={p.id}>
                  <a className="workspace-item" href={formatRoute({ view: 'room', partitionId: p.id, roomId: null })}>
                    <span className="workspace-name" title={p.name}>
                      {p.name}
                    </span>
                    <span className="muted">
                      {p.id} · {p.role}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
        <div className="picker-forms">
          <CreateWorkspace navigate={navigate} />
          <JoinWorkspace navigate={navigate} />
        </div>
      </main>
    </div>
  );
}

function CreateWorkspace({ navigate }: { navigate: (route: Route) => void }) {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const nameId = useId();
  const idId = useId();
  const idHint = useId();
  const nameError = useId();
  const idError = useId();
  const utils = trpc.useUtils();
  const create = trpc.partition.create.useMutation({
    onSuccess: () => utils.partition.list.invalidate(),
  });
  const errors = formErrors(create.error, ['name', 'id']);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name, ...(id.trim() ? { id: id.trim() } : {}) });
  };

  if (create.data) {
    const { partition, inviteCode } = create.data;
    return (
      <section className="card" aria-labelledby="created-heading">
        <h2 id="created-heading" className="long-name">
          “{partition.name}” is ready
        </h2>
        <p>Invite people with this code:</p>
        <InviteCode code={inviteCode} />
        <div className="form-actions">
          <button type="button" className="button primary" onClick={() => navigate({ view: 'room', partitionId: partition.id, roomId: null })}>
            Open {partition.name}
          </button>
          <button
            type="button"
            className="button subtle"
            onClick={() => {
              create.reset();
              setName('');
              setId('');
            }}
          >
            Create another
          </button>
        </div>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a workspace</h2>
      <form onSubmit={onSubmit} className="stack">
        <div className="field">
          <label htmlFor={nameId}>Name</label>
          <input
            id={nameId}
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={WORKSPACE_NAME_MAX_CHARS}
            required
            autoComplete="off"
            {...describedBy(nameError, errors.fields.name)}
          />
          <FieldError id={nameError} message={errors.fields.name} />
        </div>
        <div className="field">
          <label htmlFor={idId}>
            Workspace id <span className="muted">(optional)</span>
          </label>
          <input
            id={idId}
            value={id}
            onChange={(e) => setId(e.target.value)}
            maxLength={32}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...describedBy(idError, errors.fields.id, idHint)}
          />
          <FieldError id={idError} message={errors.fields.id} />
          <p id={idHint} className="hint">
            3–32 lowercase letters, digits and _. Made from the name when left empty.
          </p>
        </div>
        {errors.general && (
          <p className="error-text" role="alert">
            {errors.general}
          </p>
        )}
        <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? 'Creating…' : 'Create workspace'}
        </button>
      </form>
    </section>
  );
}

function JoinWorkspace({ navigate }: { navigate: (route: Route) => void }) {
  const [code, setCode] = useState('');
  const codeId = useId();
  const codeError = useId();
  const utils = trpc.useUtils();
  const join = trpc.partition.join.useMutation({
    onSuccess: async ({ partition }) => {
      await utils.partition.list.invalidate();
      navigate({ view: 'room', partitionId: partition.id, roomId: null });
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    join.mutate({ inviteCode: code });
  };
  const errors = formErrors(join.error, ['inviteCode']);
  return (
    <section className="card" aria-labelledby="join-heading">
      <h2 id="join-heading">Join with an invite code</h2>
      <form onSubmit={onSubmit} className="stack">
        <div className="field">
          <label htmlFor={codeId}>Invite code</label>
          <input
            id={codeId}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder="ABCD-EFGH-…"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            required
            {...describedBy(codeError, errors.fields.inviteCode)}
          />
          <FieldError id={codeError} message={errors.fields.inviteCode} />
        </div>
        {errors.general && (
          <p className="error-text" role="alert">
            {errors.general}
          </p>
        )}
        <button type="submit" className="button primary" disabled={join.isPending || !code.trim()}>
          {join.isPending ? 'Joining…' : 'Join workspace'}
        </button>
      </form>
    </section>
  );
}
