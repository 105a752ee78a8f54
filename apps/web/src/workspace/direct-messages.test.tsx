import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Me, Member } from '../lib/trpc.ts';
import { ACME, ADA, BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

const joinedAt = '2026-01-05T09:00:00.000Z';
const person = (n: number, displayName: string): Member => ({
  userId: `0197a000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`,
  username: displayName.toLowerCase(),
  displayName,
  role: 'member',
  joinedAt,
});
const ada: Member = { userId: ADA.id, username: 'ada', displayName: 'Ada', role: 'member', joinedAt };
const bob: Member = { userId: BOB.id, username: 'bob', displayName: 'Bob', role: 'member', joinedAt };
const GRACE = person(1, 'Grace');
/** Eight more people: one too many for a direct message. */
const CROWD = ['Hal', 'Ivy', 'Jo', 'Kai', 'Lea', 'Max', 'Ned', 'Oz'].map((name, i) => person(10 + i, name));

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start(others: Member[] = [GRACE]) {
  parley = new MockParley({ partitions: [{ partition: ACME, rooms: [GENERAL, RANDOM], members: [ada, bob, ...others] }] });
  parley.listen();
}

const sidebar = () => screen.getByRole('complementary', { name: 'Workspace' });
const dmNav = () => within(sidebar()).getByRole('navigation', { name: 'Direct messages' });
const dmLinks = () =>
  within(dmNav())
    .queryAllByRole('link')
    .map((a) => a.textContent);

test('“Message” on a member opens the direct message with them, for both of us, and opening it again finds the same one', async () => {
  start();
  await renderLiveGeneral({ parley });
  expect(dmLinks()).toEqual([]);

  fireEvent.click(await within(sidebar()).findByRole('button', { name: 'Message Bob' }));
  await screen.findByRole('region', { name: 'Bob' });
  await waitFor(() => expect(dmLinks()).toEqual(['Bob']));
  // Named by its people everywhere, never "#".
  expect(screen.getByLabelText('Message Bob', { selector: 'textarea' })).toBeTruthy();
  expect(screen.getByText('No messages in Bob yet. Say hello!')).toBeTruthy();
  const [call] = parley.callsTo('dm.open') as { userIds: string[]; opId: string }[];
  expect(call?.userIds).toEqual([BOB.id]);
  expect(call?.opId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  // No topic, no members to manage, no leaving: a direct message's people are fixed.
  expect(screen.queryByRole('button', { name: 'Members' })).toBeNull();
  expect(screen.queryByRole('button', { name: 'Leave room' })).toBeNull();

  // Bob has it too, and what he writes in it shows here live.
  const his = parley.roomsOf(BOB.id).filter((r) => r.kind === 'dm');
  expect(his.map((r) => r.memberIds)).toEqual([[ADA.id, BOB.id].sort()]);
  parley.post('hi Ada, just us', { room: his[0]!, author: BOB });
  await screen.findByText('hi Ada, just us');

  // Back in #general, “Message Bob” comes back to the same conversation.
  fireEvent.click(within(sidebar()).getByRole('link', { name: '# general' }));
  await screen.findByRole('region', { name: '#general' });
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'Message Bob' }));
  await screen.findByText('hi Ada, just us');
  expect(parley.roomsOf(ADA.id).filter((r) => r.kind === 'dm')).toHaveLength(1);
  expect(dmLinks()).toEqual(['Bob']);

  // Bob signs in here: his sidebar names the conversation after Ada.
  cleanup();
  const bobMe: Me = { ...ADA, id: BOB.id, username: 'bob', displayName: 'Bob' };
  parley.me = bobMe;
  await renderLiveGeneral({ parley });
  await waitFor(() => expect(dmLinks()).toEqual(['Ada']));
});

test('a group conversation someone else starts with me appears live, named by the others', async () => {
  start();
  await renderLiveGeneral({ parley });
  parley.openDmAs([ADA.id, GRACE.userId], { by: BOB.id });
  await waitFor(() => expect(dmLinks()).toEqual(['Bob, Grace']));
  // …and one without me never reaches me.
  parley.openDmAs([GRACE.userId], { by: BOB.id });
  parley.post('still here');
  await screen.findByText('still here');
  expect(dmLinks()).toEqual(['Bob, Grace']);
});

test('“New message” takes at most 7 people and says so when more are chosen', async () => {
  start(CROWD);
  await renderLiveGeneral({ parley });
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'New message' }));
  const dialog = await screen.findByRole('dialog', { name: 'New message' });
  const start7 = within(dialog).getByRole<HTMLButtonElement>('button', { name: 'Start conversation' });
  expect(start7.disabled).toBe(true);

  for (const name of ['Bob', ...CROWD.slice(0, 7).map((m) => m.displayName)]) fireEvent.click(within(dialog).getByLabelText(name));
  expect(within(dialog).getByRole('alert').textContent).toBe('A direct message has at most 8 people, you included: choose at most 7 (8 chosen).');
  expect(start7.disabled).toBe(true);

  fireEvent.click(within(dialog).getByLabelText('Bob'));
  expect(within(dialog).queryByRole('alert')).toBeNull();
  expect(within(dialog).getByText('7 of at most 7 chosen.')).toBeTruthy();
  fireEvent.click(start7);

  const name = 'Hal, Ivy, Jo, Kai, Lea, Max, Ned';
  await screen.findByRole('region', { name });
  await waitFor(() => expect(dmLinks()).toEqual([name]));
  expect(screen.queryByRole('dialog')).toBeNull();
  expect((parley.callsTo('dm.open')[0] as { userIds: string[] }).userIds).toHaveLength(7);
});

test('a conversation the server refuses says so in its words, without telling why', async () => {
  start();
  parley.block(GRACE.userId, ADA.id);
  await renderLiveGeneral({ parley });
  fireEvent.click(within(sidebar()).getByRole('button', { name: 'Message Grace' }));
  const alert = await within(sidebar()).findByRole('alert');
  expect(alert.textContent).toBe('You cannot start a conversation with everyone you chose. Check that they are members of this workspace.');
  expect(dmLinks()).toEqual([]);
});
