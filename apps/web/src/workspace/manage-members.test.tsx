import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Member, Role } from '../lib/trpc.ts';
import { ACME, ADA, BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

const joinedAt = '2026-01-05T09:00:00.000Z';
const OWEN: Member = { userId: '0197a000-0000-7000-8000-00000000000c', username: 'owen', displayName: 'Owen', role: 'owner', joinedAt };
const ABE: Member = { userId: '0197a000-0000-7000-8000-00000000000d', username: 'abe', displayName: 'Abe', role: 'admin', joinedAt };
const bob = (role: Role = 'member'): Member => ({ userId: BOB.id, username: 'bob', displayName: 'Bob', role, joinedAt });

let parley: MockParley;
let confirm: ReturnType<typeof vi.fn<(question?: string) => boolean>>;
const realConfirm = window.confirm;

/** Ada, with this role, in Acme with Owen (its owner), Bob (a member) and whoever else. */
function start(role: Role, others: Member[] = []) {
  const ada: Member = { userId: ADA.id, username: 'ada', displayName: 'Ada', role, joinedAt };
  const members = role === 'owner' ? [ada, bob(), ...others] : [OWEN, ada, bob(), ...others];
  parley = new MockParley({ partitions: [{ partition: { ...ACME, role }, rooms: [GENERAL, RANDOM], members }] });
  parley.listen();
}

beforeEach(() => {
  confirm = vi.fn<(question?: string) => boolean>(() => true);
  window.confirm = confirm;
});
afterEach(async () => {
  cleanup();
  window.confirm = realConfirm;
  await parley.close();
});

/** Opens #general with the live stream running and the members listed. */
async function openGeneral() {
  const app = await renderLiveGeneral({ parley });
  await within(sidebar()).findByText('Bob');
  return app;
}

const sidebar = () => screen.getByRole('complementary', { name: 'Workspace' });

function row(name: string): HTMLElement {
  const list = sidebar().querySelector('.member-list') as HTMLElement;
  const li = within(list)
    .queryAllByRole('listitem')
    .find((item) => item.querySelector('.member-name')?.textContent === name);
  if (!li) throw new Error(`No member ${name}`);
  return li;
}

const memberNames = () => [...sidebar().querySelectorAll('.member-list .member-name')].map((n) => n.textContent);

function roleSelect(name: string): HTMLSelectElement {
  return screen.getByRole<HTMLSelectElement>('combobox', { name: `Role of ${name}` });
}

const options = (select: HTMLSelectElement) => [...select.options].map((o) => o.value);

/** The names of the role menus and Remove buttons shown, in list order. */
function controls(): string[] {
  return [...screen.queryAllByRole('combobox', { name: /^Role of / }), ...screen.queryAllByRole('button', { name: /^Remove .* from the workspace$/ })].map(
    (c) => c.getAttribute('aria-label') ?? '',
  );
}

const manage = () => fireEvent.click(screen.getByRole('button', { name: 'Manage members' }));

test('an owner makes a member a viewer: the menu offers every role and the row then says viewer', async () => {
  start('owner');
  await openGeneral();
  expect(controls()).toEqual([]);
  manage();
  expect(controls()).toEqual(['Role of Bob', 'Remove Bob from the workspace']);
  expect(options(roleSelect('Bob'))).toEqual(['admin', 'member', 'viewer']);
  expect(roleSelect('Bob').value).toBe('member');

  fireEvent.change(roleSelect('Bob'), { target: { value: 'viewer' } });
  await waitFor(() => expect(parley.callsTo('partition.setRole')).toEqual([{ partitionId: 'acme', userId: BOB.id, role: 'viewer' }]));
  await waitFor(() => expect(roleSelect('Bob').disabled).toBe(false));
  expect(roleSelect('Bob').value).toBe('viewer');

  manage();
  expect(controls()).toEqual([]);
  expect(within(row('Bob')).getByText('viewer')).toBeTruthy();
});

test('an admin is not offered “admin”, and sees no controls on other admins, the owner or themselves', async () => {
  start('admin', [ABE]);
  await openGeneral();
  manage();
  expect(controls()).toEqual(['Role of Bob', 'Remove Bob from the workspace']);
  expect(options(roleSelect('Bob'))).toEqual(['member', 'viewer']);
  expect(row('Abe').textContent).toContain('admin');
  expect(row('Owen').textContent).toContain('owner');
});

test('a plain member sees no way to manage members', async () => {
  start('member');
  await openGeneral();
  expect(memberNames()).toEqual(['Owen', 'Ada', 'Bob']);
  expect(screen.queryByRole('button', { name: 'Manage members' })).toBeNull();
  expect(controls()).toEqual([]);
});

test('removing a member asks first; once confirmed they are gone from the list', async () => {
  start('owner');
  await openGeneral();
  manage();
  confirm.mockReturnValueOnce(false);
  fireEvent.click(screen.getByRole('button', { name: 'Remove Bob from the workspace' }));
  expect(confirm).toHaveBeenCalledWith(expect.stringContaining('Remove Bob from the workspace?'));
  expect(parley.callsTo('partition.removeMember')).toEqual([]);
  expect(memberNames()).toEqual(['Ada', 'Bob']);

  fireEvent.click(screen.getByRole('button', { name: 'Remove Bob from the workspace' }));
  await waitFor(() => expect(memberNames()).toEqual(['Ada']));
  expect(screen.getByText(/Members · 1/)).toBeTruthy();
  expect(parley.callsTo('partition.removeMember')).toEqual([{ partitionId: 'acme', userId: BOB.id }]);
  // Nobody left to manage: the toggle goes too.
  expect(screen.queryByRole('button', { name: 'Manage members' })).toBeNull();
});

test('a refusal from the server is shown as an alert on the row, and the list catches up', async () => {
  start('admin');
  await openGeneral();
  // Meanwhile the owner made Bob an admin; the news has not reached Ada's stream yet.
  parley.holdEvents();
  parley.changeRole(BOB.id, 'admin', { by: OWEN.userId });
  manage();
  fireEvent.change(roleSelect('Bob'), { target: { value: 'viewer' } });

  const alert = await within(sidebar()).findByRole('alert');
  expect(alert.textContent).toBe('Only the owner can make or unmake admins.');
  expect(row('Bob').contains(alert)).toBe(true);
  await waitFor(() => expect(controls()).toEqual([]));
  expect(row('Bob').textContent).toContain('admin');
});

test('“Leave workspace” asks first, then takes me to the picker, where the workspace is gone', async () => {
  start('member');
  await openGeneral();
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'Leave workspace' }));
  expect(confirm).toHaveBeenCalledWith(expect.stringContaining('Leave Acme?'));

  await screen.findByRole('heading', { name: 'Your workspaces' });
  expect(screen.getByRole('alert').textContent).toBe('You left Acme.');
  await screen.findByText('You are not in any workspace yet. Create one, or join one with an invite code.');
  expect(window.location.hash).toBe('#/');
  expect(parley.callsTo('partition.leave')).toEqual([{ partitionId: 'acme' }]);
});

test('the owner is offered no “Leave workspace”', async () => {
  start('owner');
  await openGeneral();
  expect(within(sidebar()).queryByRole('button', { name: 'Leave workspace' })).toBeNull();
});

/** Whether the text ever showed, however briefly, from now on. */
function watchFor(text: string): { seen: boolean; stop: () => void } {
  const watch = { seen: false, stop: () => observer.disconnect() };
  const observer = new MutationObserver(() => {
    if (document.body.textContent?.includes(text)) watch.seen = true;
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  return watch;
}

test('removed by someone else, I land on the picker told so, never “not a member”, and my stream ends', async () => {
  start('member');
  await openGeneral();
  const notMember = watchFor('or you are not a member of it');
  parley.endMembership(ADA.id, { removedBy: OWEN.userId });

  await screen.findByRole('heading', { name: 'Your workspaces' });
  expect(screen.getByRole('alert').textContent).toBe('You were removed from Acme.');
  await screen.findByText('You are not in any workspace yet. Create one, or join one with an invite code.');
  expect(screen.getByRole('alert').textContent).toBe('You were removed from Acme.');
  notMember.stop();
  expect(notMember.seen).toBe(false);
  expect(parley.subscriptionCount()).toBe(0);
});

test('an old partition.left about me (replayed after I was invited back) leaves me where I am', async () => {
  start('member');
  await openGeneral();
  const listCalls = parley.callsTo('partition.list').length;
  const posted = parley.post('welcome back');
  await screen.findByText('welcome back');
  // The server still lists me in Acme: the event is history, not news.
  parley.deliver({
    id: posted.id + 1,
    partitionId: ACME.id,
    roomId: null,
    at: posted.at,
    actorId: BOB.id,
    type: 'partition.left',
    data: { userId: ADA.id, removedBy: BOB.id },
  });
  await waitFor(() => expect(parley.callsTo('partition.list').length).toBeGreaterThan(listCalls));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(screen.queryByText('You were removed from Acme.')).toBeNull();
  expect(screen.queryByRole('heading', { name: 'Your workspaces' })).toBeNull();
  expect(screen.getByText('welcome back')).toBeTruthy();
});

test('leaving in another tab takes this one to the picker too: “You left Acme.”', async () => {
  start('member');
  await openGeneral();
  parley.endMembership(ADA.id, { removedBy: null });
  await screen.findByRole('heading', { name: 'Your workspaces' });
  expect(screen.getByRole('alert').textContent).toBe('You left Acme.');
});

test('the notice goes once I open a workspace again', async () => {
  start('member');
  const other = { ...ACME, id: 'globex', name: 'Globex' };
  parley.addPartition({
    partition: other,
    rooms: [{ ...GENERAL, id: '0197a000-0000-7000-8000-0000000000f1', partitionId: 'globex', memberCount: 1 }],
    members: [{ userId: ADA.id, username: 'ada', displayName: 'Ada', role: 'member', joinedAt }],
  });
  await openGeneral();
  parley.endMembership(ADA.id, { removedBy: OWEN.userId });
  await screen.findByText('You were removed from Acme.');

  await screen.findByRole('link', { name: /Globex/ });
  window.location.hash = '#/w/globex';
  await screen.findByText('No messages in #general yet. Say hello!');
  window.location.hash = '#/';
  await screen.findByRole('heading', { name: 'Your workspaces' });
  expect(screen.queryByText('You were removed from Acme.')).toBeNull();
});

test('made a viewer while looking, I can read but no longer write', async () => {
  start('member');
  await openGeneral();
  const input = screen.getByLabelText<HTMLTextAreaElement>('Message #general');
  expect(input.disabled).toBe(false);
  parley.changeRole(ADA.id, 'viewer', { by: OWEN.userId });

  await screen.findByText('Viewers can read but not write in this workspace.');
  expect(screen.getByLabelText<HTMLTextAreaElement>('Message #general').disabled).toBe(true);
  expect(sidebar().querySelector('.workspace-meta .role')?.textContent).toBe('viewer');
  await waitFor(() => expect(row('Ada').textContent).toContain('viewer'));
});
