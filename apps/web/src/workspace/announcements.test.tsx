import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Role } from '../lib/trpc.ts';
import { ACME, ADA, GENERAL, MockParley, RANDOM, roomHash } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start(role: Role = 'member') {
  parley = new MockParley({ partitions: [{ partition: { ...ACME, role }, rooms: [GENERAL, RANDOM] }] });
  parley.listen();
}

const banner = () => screen.queryByRole('region', { name: 'Announcements' });
const shown = () => [...(banner()?.querySelectorAll('.announcement-body') ?? [])].map((n) => n.textContent);
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('an announcement appears live at the top of every room, newest first, and Dismiss takes it away for good', async () => {
  start();
  await renderLiveGeneral({ parley });
  expect(banner()).toBeNull();
  expect(screen.queryByRole('button', { name: 'Post announcement' })).toBeNull();

  parley.postAnnouncementAs('Office closed on Friday.');
  parley.postAnnouncementAs('Release at 3pm.');
  await waitFor(() => expect(shown()).toEqual(['Release at 3pm.', 'Office closed on Friday.']));
  expect(banner()!.textContent).toContain('Bob');

  window.location.hash = roomHash(RANDOM);
  await screen.findByRole('region', { name: '#random' });
  expect(shown()).toEqual(['Release at 3pm.', 'Office closed on Friday.']);

  const [older] = within(banner()!).getAllByRole('button', { name: 'Dismiss announcement from Bob' }).slice(1);
  fireEvent.click(older!);
  await waitFor(() => expect(shown()).toEqual(['Release at 3pm.']));
  // Through the client's outbox: one call, with the op's id.
  await waitFor(() => expect(parley.callsTo('announcement.dismiss')).toHaveLength(1));
  const [dismiss] = parley.callsTo('announcement.dismiss') as { opId: string }[];
  expect(dismiss?.opId).toMatch(UUID_V7);
  // The server has it dismissed for me: a fresh page does not bring it back.
  cleanup();
  await renderLiveGeneral({ parley });
  await waitFor(() => expect(shown()).toEqual(['Release at 3pm.']));
});

test('a workspace admin posts an announcement from the sidebar; it reaches the banner', async () => {
  start('admin');
  await renderLiveGeneral({ parley });
  fireEvent.click(screen.getByRole('button', { name: 'Post announcement' }));
  const form = screen.getByRole('form', { name: 'Post announcement' });
  fireEvent.change(within(form).getByLabelText('Announcement to everyone in the workspace'), { target: { value: 'Welcome, everyone!' } });
  fireEvent.click(within(form).getByRole('button', { name: 'Post' }));
  await waitFor(() => expect(shown()).toEqual(['Welcome, everyone!']));
  expect(screen.queryByRole('form', { name: 'Post announcement' })).toBeNull();
  const [post] = parley.callsTo('announcement.create') as { body: string; opId: string }[];
  expect(post).toMatchObject({ partitionId: 'acme', body: 'Welcome, everyone!' });
  expect(post?.opId).toMatch(UUID_V7);
  expect(banner()!.textContent).toContain(ADA.displayName);
});

test('an announcement over 4000 characters cannot be posted, and says so', async () => {
  start('owner');
  await renderLiveGeneral({ parley });
  fireEvent.click(screen.getByRole('button', { name: 'Post announcement' }));
  const form = screen.getByRole('form', { name: 'Post announcement' });
  fireEvent.change(within(form).getByLabelText('Announcement to everyone in the workspace'), { target: { value: 'x'.repeat(4001) } });
  expect(within(form).getByText('4001 / 4000 — too long to post.')).toBeTruthy();
  expect(within(form).getByRole<HTMLButtonElement>('button', { name: 'Post' }).disabled).toBe(true);
});
