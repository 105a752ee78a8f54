import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { AdminAuditEntry, AdminNode, AdminPartition } from '../lib/trpc.ts';
import { ADA, MockParley } from '../test/msw-server.ts';
import { renderApp } from '../test/render-app.tsx';
import { ADMIN_REFRESH_MS } from './admin-page.tsx';

const T0 = '2026-01-05T09:00:00.000Z';

const node = (id: string, fields: Partial<AdminNode> = {}): AdminNode => ({
  id,
  status: 'active',
  healthy: true,
  startedAt: T0,
  heartbeatAt: T0,
  heartbeatAgeSeconds: 3,
  stoppedAt: null,
  connections: 0,
  pid: 100,
  version: '0.1.0',
  url: `http://${id}:3000`,
  leases: [],
  ...fields,
});

const ACME_ADMIN: AdminPartition = {
  id: 'acme',
  name: 'Acme',
  createdAt: T0,
  createdBy: { id: ADA.id, username: 'ada' },
  owner: { id: ADA.id, username: 'ada' },
  members: 2,
  lastEventId: 41,
  templateVersion: 1,
  latestTemplateVersion: 2,
  leases: [
    { job: 'presence-sweep', holder: 'web-2', expiresAt: T0, valid: true },
    { job: 'retention', holder: 'web-3', expiresAt: T0, valid: false },
  ],
};

const entry = (id: number, action: string, subject: string): AdminAuditEntry => ({ id, at: T0, actor: 'web-1', action, subject, details: { generation: id } });

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley({ me: { ...ADA, isAdmin: true } });
  parley.admin.nodes = [
    node('web-1', { connections: 12, leases: [{ job: 'session-sweep', scope: 'global', expiresAt: T0 }] }),
    node('web-2', { status: 'draining', healthy: false, heartbeatAgeSeconds: 1 }),
    node('web-3', { healthy: false, heartbeatAgeSeconds: 95 }),
  ];
  parley.admin.partitions = [ACME_ADMIN];
  // 60 entries: the first page shows 50, "Older" the other 10.
  parley.admin.audit = Array.from({ length: 60 }, (_, i) => entry(i + 1, i === 0 ? 'node.registered' : 'lease.acquired', `job/${i + 1}`));
  parley.listen();
});
afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  await parley.close();
});

const table = (name: string) => screen.findByRole('table', { name });
const row = (t: HTMLElement, header: string) =>
  within(t)
    .getByRole('rowheader', { name: new RegExp(`^${header}`) })
    .closest('tr')!;

test('an administrator opens the admin view from the workspace picker and sees nodes, workspaces and the audit log', async () => {
  renderApp({ parley, hash: '#/' });
  expect(await screen.findByText(/You administer this Parley server \(through its setup link/)).toBeTruthy();
  fireEvent.click(screen.getAllByRole('link', { name: 'Admin' })[0]!);
  await waitFor(() => expect(window.location.hash).toBe('#/admin'));

  const nodes = await table('Nodes');
  const one = row(nodes, 'web-1');
  expect(within(one).getByText('Healthy')).toBeTruthy();
  expect(within(one).getByText('12')).toBeTruthy();
  expect(within(one).getByText('session-sweep/global')).toBeTruthy();
  expect(within(one).getByText('3 s ago')).toBeTruthy();
  expect(within(row(nodes, 'web-2')).getByText('Draining')).toBeTruthy();
  const three = row(nodes, 'web-3');
  expect(within(three).getByText('No heartbeat')).toBeTruthy();
  expect(within(three).getByText('1 min ago')).toBeTruthy();

  const workspaces = await table('Workspaces');
  const acme = row(workspaces, 'Acme');
  expect(within(acme).getByText('@ada')).toBeTruthy();
  expect(within(acme).getByText('41')).toBeTruthy();
  expect(within(acme).getByText('v1 of 2')).toBeTruthy();
  expect(within(acme).getByText('web-2')).toBeTruthy();
  expect(within(acme).getByText('no node')).toBeTruthy();

  const audit = await table('Audit log');
  const rows = () => within(audit).getAllByRole('row').slice(1);
  expect(rows()).toHaveLength(50);
  expect(within(rows()[0]!).getByText('job/60')).toBeTruthy();
  fireEvent.click(screen.getByRole('button', { name: 'Older' }));
  await waitFor(() => expect(rows()).toHaveLength(60));
  expect(within(rows().at(-1)!).getByText('node.registered')).toBeTruthy();
  expect(parley.callsTo('admin.audit')).toContainEqual({ before: 11, limit: 50 });
  // The last page has been read: no more "Older".
  expect(screen.queryByRole('button', { name: 'Older' })).toBeNull();
});

test('the view refreshes by itself every few seconds', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  renderApp({ parley, hash: '#/admin' });
  const nodes = await table('Nodes');
  expect(within(row(nodes, 'web-1')).getByText('Healthy')).toBeTruthy();

  parley.admin.nodes = [node('web-1', { status: 'draining', healthy: false })];
  parley.admin.audit = [...parley.admin.audit, entry(61, 'node.draining', 'web-1')];
  await vi.advanceTimersByTimeAsync(ADMIN_REFRESH_MS + 100);
  await waitFor(() => expect(within(row(screen.getByRole('table', { name: 'Nodes' }), 'web-1')).getByText('Draining')).toBeTruthy());
  expect(within(screen.getByRole('table', { name: 'Audit log' })).getByText('node.draining')).toBeTruthy();
});

test('someone who is not an administrator has no admin link, and #/admin says why without asking the server', async () => {
  parley.me = { ...ADA, isAdmin: false };
  renderApp({ parley, hash: '#/' });
  await screen.findByRole('heading', { name: 'Your workspaces' });
  expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  window.location.hash = '#/admin';
  expect(await screen.findByText('Only Parley administrators can open the admin view.')).toBeTruthy();
  expect(parley.calls.filter((c) => c.path.startsWith('admin.'))).toEqual([]);
});
