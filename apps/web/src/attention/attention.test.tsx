import { afterEach, beforeEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { ACME, ADA, GENERAL, MockParley, RANDOM, roomHash } from '../test/msw-server.ts';
import { renderApp, renderLiveGeneral } from '../test/render-app.tsx';
import type { ParleyEvent } from '../lib/trpc.ts';

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley();
  parley.listen();
});
afterEach(async () => {
  cleanup();
  await parley.close();
});

const roomLink = (name: string) => screen.getByRole('link', { name: new RegExp(`^# ${name}`) });
const eventIdOf = (event: ParleyEvent) => (event.type === 'message.created' ? event.data.eventId : 0);

/** Bob writes in a room; `mentionsMe`: the message names Ada. */
function bobSays(body: string, room = RANDOM, mentionsMe = false): ParleyEvent {
  const event = parley.post(mentionsMe ? `<@${ADA.id}> ${body}` : body, { room });
  if (event.type === 'message.created') Object.assign(event.data, { mentions: mentionsMe ? [ADA.id] : [] });
  return event;
}

test('the sidebar shows the server’s unread count and a separate mention badge; opening the room clears them, lands at “New”, and marks it read', async () => {
  const old = bobSays('read long ago');
  parley.read.readAs(ACME.id, RANDOM.id, ADA.id, eventIdOf(old));
  bobSays('first new one');
  const last = bobSays('look at this', RANDOM, true);
  renderApp({ parley });

  await waitFor(() => expect(within(roomLink('random')).getByLabelText('2 unread')).toBeTruthy());
  expect(within(roomLink('random')).getByLabelText('1 mention').textContent).toBe('@1');
  expect(within(roomLink('general')).queryByLabelText(/unread/)).toBeNull();

  window.location.hash = roomHash(RANDOM);
  await screen.findByText('first new one');
  const list = screen.getByRole('list', { name: 'Messages in #random' });
  const children = [...list.children].map((li) => (li.getAttribute('role') === 'separator' ? 'NEW' : li.querySelector('.message-body')?.textContent?.trim()));
  expect(children).toEqual(['read long ago', 'NEW', 'first new one', expect.stringContaining('look at this')]);
  await waitFor(() => expect(parley.read.marks).toEqual([{ roomId: RANDOM.id, eventId: eventIdOf(last) }]));
  expect(within(roomLink('random')).queryByLabelText(/unread/)).toBeNull();
});

test('reading the room on another device clears the count here, live', async () => {
  await renderLiveGeneral({ parley });
  const message = bobSays('psst');
  await waitFor(() => expect(within(roomLink('random')).getByLabelText('1 unread')).toBeTruthy());
  expect(screen.getByRole('button', { name: 'Open sidebar, 1 unread message in other rooms' })).toBeTruthy();

  // Ada's phone read it: the server's `read.updated` reaches this tab.
  parley.read.readAs(ACME.id, RANDOM.id, ADA.id, eventIdOf(message));
  await waitFor(() => expect(within(roomLink('random')).queryByLabelText(/unread/)).toBeNull());
  expect(parley.read.marks).toEqual([]);
});

test('“Mark all read” clears every room and tells the server', async () => {
  bobSays('one');
  bobSays('two', RANDOM, true);
  await renderLiveGeneral({ parley });
  await waitFor(() => expect(within(roomLink('random')).getByLabelText('2 unread')).toBeTruthy());
  fireEvent.click(screen.getByRole('button', { name: 'Mark all read' }));
  await waitFor(() => expect(within(roomLink('random')).queryByLabelText(/unread/)).toBeNull());
  await waitFor(() => expect(parley.read.positions.get(`${ACME.id}/${RANDOM.id}/${ADA.id}`)?.eventId).toBeGreaterThan(0));
  expect(screen.queryByRole('button', { name: 'Mark all read' })).toBeNull();
});

test('in a small room my message says who read it; with receipts off it says nothing', async () => {
  await renderLiveGeneral({ parley });
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: 'lunch?' } });
  fireEvent.keyDown(input, { key: 'Enter' });
  await waitFor(() => expect(parley.messages().map((m) => m.body)).toEqual(['lunch?']));
  const mine = parley.messages()[0]!;

  parley.read.readAs(ACME.id, GENERAL.id, '0197a000-0000-7000-8000-00000000000b', mine.eventId);
  const readBy = await screen.findByRole('button', { name: 'Read by Bob' });
  fireEvent.click(readBy);
  expect(within(screen.getByRole('list', { name: 'Read by' })).getByText(/Bob/)).toBeTruthy();

  fireEvent.click(screen.getByLabelText('Read receipts'));
  await waitFor(() => expect(screen.queryByRole('button', { name: 'Read by Bob' })).toBeNull());
  expect(parley.read.receiptsOff.has(ADA.id)).toBe(true);
});
