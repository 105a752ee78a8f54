import { useState, type ReactNode } from 'react';
import { errorMessage } from '../lib/errors.ts';
import { formatFullTime, formatMessageTime } from '../lib/format-time.ts';
import { trpc, type AdminAuditEntry, type AdminNode, type AdminPartition, type Me } from '../lib/trpc.ts';
import { formatAge, formatDetails } from './format-age.ts';
import './admin.css';

/** The cluster changes by the second (heartbeats every 5 s): refresh about as often. */
export const ADMIN_REFRESH_MS = 5_000;
const AUDIT_PAGE = 50;

export interface AdminPageProps {
  me: Me;
  onSignOut: () => void;
}

/** `#/admin`, for Parley administrators: nodes, workspaces and the audit log, refreshed every few seconds. */
export function AdminPage({ me, onSignOut }: AdminPageProps) {
  const live = { refetchInterval: ADMIN_REFRESH_MS, refetchIntervalInBackground: false } as const;
  const nodes = trpc.admin.nodes.useQuery(undefined, live);
  const partitions = trpc.admin.partitions.useQuery(undefined, live);
  return (
    <div className="picker-page admin-page">
      <header className="picker-header">
        <span className="brand">Parley</span>
        <span className="admin-title">Administration</span>
        <a className="button subtle" href="#/">
          Workspaces
        </a>
        <button type="button" className="button subtle" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main className="admin-main">
        <p className="muted admin-intro">
          Signed in as <strong>{me.displayName}</strong>, a Parley administrator. Refreshed every {ADMIN_REFRESH_MS / 1000} seconds.
        </p>
        <Section id="admin-nodes" title="Nodes" query={nodes}>
          {(data) => <NodesTable nodes={data} />}
        </Section>
        <Section id="admin-partitions" title="Workspaces" query={partitions}>
          {(data) => <PartitionsTable partitions={data} />}
        </Section>
        <AuditLog />
      </main>
    </div>
  );
}

function Section<T>(props: {
  id: string;
  title: string;
  query: { data: T | undefined; error: unknown; isPending: boolean };
  children: (data: T) => ReactNode;
}) {
  const { data, error } = props.query;
  return (
    <section className="card admin-section" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {error && !data ? (
        <p className="error-text" role="alert">
          {errorMessage(error)}
        </p>
      ) : data === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        props.children(data)
      )}
    </section>
  );
}

function nodeState(node: AdminNode): { label: string; tone: 'ok' | 'warn' | 'bad' | 'off' } {
  if (node.status === 'active') return node.healthy ? { label: 'Healthy', tone: 'ok' } : { label: 'No heartbeat', tone: 'bad' };
  if (node.status === 'draining') return { label: 'Draining', tone: 'warn' };
  return { label: 'Inactive', tone: 'off' };
}

function NodesTable({ nodes }: { nodes: AdminNode[] }) {
  if (nodes.length === 0) return <p className="muted">No node has registered yet.</p>;
  return (
    <table className="admin-table" aria-label="Nodes">
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">Status</th>
          <th scope="col">Connections</th>
          <th scope="col">Leases</th>
          <th scope="col">Heartbeat</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((node) => {
          const state = nodeState(node);
          return (
            <tr key={node.id}>
              <th scope="row" data-label="Node">
                <span className="admin-id">{node.id}</span>
                {node.version && <span className="muted admin-sub"> v{node.version}</span>}
              </th>
              <td data-label="Status">
                <span className={`status-badge ${state.tone}`}>{state.label}</span>
              </td>
              <td data-label="Connections">{node.connections}</td>
              <td data-label="Leases">
                {node.leases.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="admin-leases">
                    {node.leases.map((l) => (
                      <li key={`${l.job}/${l.scope}`}>
                        {l.job}/{l.scope}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Heartbeat">
                <time dateTime={node.heartbeatAt} title={formatFullTime(node.heartbeatAt)}>
                  {formatAge(node.heartbeatAgeSeconds)}
                </time>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function PartitionsTable({ partitions }: { partitions: AdminPartition[] }) {
  if (partitions.length === 0) return <p className="muted">No workspace yet.</p>;
  return (
    <table className="admin-table" aria-label="Workspaces">
      <thead>
        <tr>
          <th scope="col">Workspace</th>
          <th scope="col">Owner</th>
          <th scope="col">Members</th>
          <th scope="col">Last event</th>
          <th scope="col">Template</th>
          <th scope="col">Jobs run by</th>
        </tr>
      </thead>
      <tbody>
        {partitions.map((p) => (
          <tr key={p.id}>
            <th scope="row" data-label="Workspace">
              {p.name} <span className="muted admin-sub admin-id">{p.id}</span>
            </th>
            <td data-label="Owner">{p.owner ? `@${p.owner.username}` : <span className="muted">none</span>}</td>
            <td data-label="Members">{p.members}</td>
            <td data-label="Last event">{p.lastEventId}</td>
            <td data-label="Template">
              {p.templateVersion === p.latestTemplateVersion ? (
                `v${p.templateVersion}`
              ) : (
                <span className="status-badge warn">
                  v{p.templateVersion} of {p.latestTemplateVersion}
                </span>
              )}
            </td>
            <td data-label="Jobs run by">
              {p.leases.length === 0 ? (
                <span className="muted">not assigned yet</span>
              ) : (
                <ul className="admin-leases">
                  {p.leases.map((l) => (
                    <li key={l.job}>
                      {l.job}: {l.valid && l.holder ? <span className="admin-id">{l.holder}</span> : <span className="status-badge bad">no node</span>}
                    </li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The newest page refreshes with the rest of the view; "Older" appends pages before the oldest
 * entry shown (ids only grow, so merging by id never repeats or reorders an entry).
 */
function AuditLog() {
  const utils = trpc.useUtils();
  const newest = trpc.admin.audit.useQuery({ limit: AUDIT_PAGE }, { refetchInterval: ADMIN_REFRESH_MS });
  const [older, setOlder] = useState<{ entries: AdminAuditEntry[]; nextCursor: number | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);

  const cursor = older ? older.nextCursor : (newest.data?.nextCursor ?? null);
  const byId = new Map<number, AdminAuditEntry>();
  for (const e of [...(newest.data?.entries ?? []), ...(older?.entries ?? [])]) byId.set(e.id, e);
  const entries = [...byId.values()].sort((a, b) => b.id - a.id);

  const loadOlder = async () => {
    if (cursor === null) return;
    setLoading(true);
    setOlderError(null);
    try {
      const page = await utils.admin.audit.fetch({ before: cursor, limit: AUDIT_PAGE });
      setOlder((o) => ({ entries: [...(o?.entries ?? []), ...page.entries], nextCursor: page.nextCursor }));
    } catch (error) {
      setOlderError(errorMessage(error));
    } finally {
      setLoading(false);
    }
  };

  return (
    <Section id="admin-audit" title="Audit log" query={newest}>
      {() => (
        <>
          {entries.length === 0 ? (
            <p className="muted">Nothing has happened yet.</p>
          ) : (
            <table className="admin-table" aria-label="Audit log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Subject</th>
                  <th scope="col">By</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td data-label="When" className="admin-nowrap">
                      <time dateTime={e.at} title={formatFullTime(e.at)}>
                        {formatMessageTime(e.at)}
                      </time>
                    </td>
                    <th scope="row" data-label="Action">
                      {e.action}
                    </th>
                    <td data-label="Subject" className="admin-id">
                      {e.subject}
                    </td>
                    <td data-label="By" className="admin-id admin-nowrap">
                      {e.actor}
                    </td>
                    <td data-label="Details" className="admin-details">
                      {formatDetails(e.details)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {olderError && (
            <p className="error-text" role="alert">
              {olderError}
            </p>
          )}
          {cursor !== null && (
            <button type="button" className="button" disabled={loading} onClick={() => void loadOlder()}>
              {loading ? 'Loading…' : 'Older'}
            </button>
          )}
        </>
      )}
    </Section>
  );
}
