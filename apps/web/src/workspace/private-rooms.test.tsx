import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Member, Role, Room } from '../lib/trpc.ts';
import { ACME, ADA, BOB, GENERAL, MockParley, RANDOM, roomHash } from '../test/msw-server.ts';
import { renderApp, renderLiveGeneral } from '../test/render-app.tsx';

const joinedAt = '2026-01-05T09:00:00.000Z';
const GRACE: Member = { userId: '0197a000-0000-7000-8000-000000000101', username: 'grace', displayName: 'Grace', role: 'member', joinedAt };
/** Private, made by Bob: Ada and Bob are its admins; Grace is not in it. */
const SECRET: Room = { ...GENERAL, id: '0197a000-0000-7000-8000-0000000000e3', name: 'secret', kind: 'private', createdBy: BOB.id, myRole: 'admin' };
/** Private, made by Bob, with only him in it. */
const HIDDEN: Room = { ...SECRET, id: '0197a000-0000-7000-8000-0000000000e4', name: 'hidden', joined: false, memberCount: 1, myRole: null };

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start(role: Role = 'member', rooms: Room[] = [GENERAL, RANDOM, SECRET, HIDDEN]) {
  const members: Member[] = [
    { userId: ADA.id, username: 'ada', displayName: 'Ada', role, joinedAt },
    { userId: BOB.id, username: 'bob', displayName: 'Bob', role: role === 'owner' ? 'member' : 'owner', joinedAt },
    GRACE,
  ];
  parley = new MockParley({ partitions: [{ partition: { ...ACME, role }, rooms, members }] });
  parley.listen();
}

const sidebar = () => screen.getByRole('complementary', { name: 'Workspace' });
const roomLinks = () =>
  within(within(sidebar()).getByRole('navigation', { name: 'Rooms' }))
    .queryAllByRole('link')
    .map((a) => a.textContent);

async function openRoom(room: Room) {
  renderApp({ parley, hash: roomHash(room) });
  await screen.findByRole('region', { name: `#${room.name}` });
  await parley.whenSubscribed();
}

test('a private room made in the sidebar shows a lock, its topic, and only its members have it', async () => {
  start('member', [GENERAL, RANDOM]);
  await renderLiveGeneral({ parley });
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'New room' }));
  fireEvent.change(within(sidebar()).getByLabelText('New room name'), { target: { value: 'plans' } });
  fireEvent.click(within(sidebar()).getByLabelText('Private'));
  fireEvent.change(within(sidebar()).getByLabelText('Topic (optional)'), { target: { value: 'Q3 roadmap' } });
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'Create private room' }));

  await screen.findByRole('region', { name: '#plans' });
  expect(screen.getByText('Q3 roadmap')).toBeTruthy();
  const link = await within(sidebar()).findByRole('link', { name: /plans/ });
  expect(within(link).getByRole('img', { name: 'private' })).toBeTruthy();
  expect(parley.callsTo('room.create')).toEqual([{ partitionId: 'acme', name: 'plans', visibility: 'private', topic: 'Q3 roadmap' }]);
  expect(parley.roomsOf(GRACE.userId).map((r) => r.name)).not.toContain('plans');
  expect(parley.roomMembers(parley.roomsOf(ADA.id).find((r) => r.name === 'plans')!)).toEqual([{ userId: ADA.id, role: 'admin' }]);
});

test('Browse rooms: a workspace admin sees private rooms marked, with “Add me” rather than Join; a member does not see them', async () => {
  start('admin');
  renderApp({ parley, hash: '#/w/acme/browse' });
  const hidden = (await screen.findByRole('button', { name: 'Add me to #hidden' })).closest('li')!;
  expect(within(hidden).getByRole('img', { name: 'private' })).toBeTruthy();
  expect(screen.queryByRole('button', { name: 'Join #hidden' })).toBeNull();
  fireEvent.click(screen.getByRole('button', { name: 'Add me to #hidden' }));
  await screen.findByRole('region', { name: '#hidden' });
  expect(parley.roomMembers(HIDDEN).map((m) => m.userId)).toEqual([BOB.id, ADA.id]);
  expect(parley.callsTo('room.addMember')).toMatchObject([{ roomId: HIDDEN.id, userId: ADA.id }]);

  cleanup();
  await parley.close();
  start('member');
  renderApp({ parley, hash: '#/w/acme/browse' });
  const browse = await screen.findByRole('region', { name: 'Browse rooms' });
  await waitFor(() =>
    expect([...browse.querySelectorAll('.browse-item .room-name')].map((n) => n.textContent?.trim())).toEqual(['# general', '# random', 'secret']),
  );
});

test('a room admin edits the topic inline; once no longer an admin, Save shows the server’s refusal', async () => {
  start();
  await openRoom(SECRET);
  fireEvent.click(screen.getByRole('button', { name: 'Add a topic' }));
  fireEvent.change(screen.getByLabelText('Topic of #secret'), { target: { value: 'Launch plans' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await screen.findByText('Launch plans');
  expect(screen.queryByLabelText('Topic of #secret')).toBeNull();

  fireEvent.click(screen.getByRole('button', { name: 'Edit topic' }));
  parley.setRoomRoleAs(SECRET, ADA.id, 'member');
  fireEvent.change(screen.getByLabelText('Topic of #secret'), { target: { value: 'Launch, maybe' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  expect((await screen.findByRole('alert')).textContent).toBe('Only the room’s admins (and workspace owners and admins) can do that.');
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
  expect(screen.getByText('Launch plans')).toBeTruthy();
  // A plain member of the room: the topic, and no way to edit it.
  expect(screen.queryByRole('button', { name: 'Edit topic' })).toBeNull();
});

test('a plain member of a room is offered no topic editing', async () => {
  start();
  await openRoom(RANDOM);
  expect(screen.queryByRole('button', { name: /topic/ })).toBeNull();
});

test('a room admin adds, promotes and removes members in the panel; a refusal shows at its row', async () => {
  start();
  await openRoom(SECRET);
  fireEvent.click(screen.getByRole('button', { name: 'Members' }));
  const panel = await screen.findByRole('complementary', { name: 'Members of #secret' });
  const row = (name: string) => within(panel).getByText(name).closest('li')!;
  const names = () => [...panel.querySelectorAll('.room-member .member-name')].map((n) => n.textContent);
  await waitFor(() => expect(names()).toEqual(['Ada (you)', 'Bob']));
  expect(row('Bob').textContent).toContain('room admin');

  fireEvent.change(within(panel).getByLabelText('Add someone to #secret'), { target: { value: GRACE.userId } });
  fireEvent.click(within(panel).getByRole('button', { name: 'Add' }));
  await waitFor(() => expect(names()).toEqual(['Ada (you)', 'Bob', 'Grace']));
  await screen.findByText('3 members');

  fireEvent.click(within(panel).getByRole('button', { name: 'Make Grace a room admin' }));
  await waitFor(() => expect(row('Grace').textContent).toContain('room admin'));
  fireEvent.click(within(panel).getByRole('button', { name: 'Remove Grace from #secret' }));
  await waitFor(() => expect(names()).toEqual(['Ada (you)', 'Bob']));
  expect(parley.roomMembers(SECRET).map((m) => m.userId)).toEqual([ADA.id, BOB.id]);

  // Bob is made a plain member; then Ada, the last admin, cannot step down.
  fireEvent.click(within(panel).getByRole('button', { name: 'Remove Bob as room admin' }));
  await waitFor(() => expect(row('Bob').textContent).not.toContain('room admin'));
  fireEvent.click(within(panel).getByRole('button', { name: 'Remove Ada as room admin' }));
  const alert = await within(row('Ada (you)')).findByRole('alert');
  expect(alert.textContent).toBe('A room keeps at least one admin: make someone else an admin first.');
});

test('in #general, a workspace owner manages room roles but removes nobody', async () => {
  start('owner');
  await renderLiveGeneral({ parley });
  fireEvent.click(screen.getByRole('button', { name: 'Members' }));
  const panel = await screen.findByRole('complementary', { name: 'Members of #general' });
  await within(panel).findByRole('button', { name: 'Make Bob a room admin' });
  expect(within(panel).queryByRole('button', { name: /^Remove .* from #general$/ })).toBeNull();
});

test('removed from the private room I am looking at: to #general, “You were removed from #secret.”, and nothing more of it reaches me', async () => {
  start();
  await openRoom(SECRET);
  parley.removeFromRoomAs(SECRET, ADA.id);
  await screen.findByText('You were removed from #secret.');
  await screen.findByRole('region', { name: '#general' });
  expect(window.location.hash).toBe(roomHash(GENERAL));
  await waitFor(() => expect(roomLinks().some((name) => name?.includes('secret'))).toBe(false));

  parley.post('without Ada', { room: SECRET });
  parley.post('in general');
  await screen.findByText('in general');
  expect(screen.getByRole('button', { name: 'Open sidebar' })).toBeTruthy();

  fireEvent.click(within(sidebar()).getByRole('link', { name: '# random' }));
  await screen.findByRole('region', { name: '#random' });
  expect(screen.queryByText('You were removed from #secret.')).toBeNull();
});

test('leaving the open room in another tab says “You left #random.”', async () => {
  start();
  await openRoom(RANDOM);
  parley.removeFromRoomAs(RANDOM, ADA.id, { by: null });
  await screen.findByText('You left #random.');
  await screen.findByRole('region', { name: '#general' });
});
