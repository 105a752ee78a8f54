import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BOB, MockParley, RANDOM, roomHash } from '../test/msw-server.ts';
import { renderApp, renderLiveGeneral } from '../test/render-app.tsx';

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley();
  parley.listen();
});
afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  await parley.close();
});

/** Opens #general with the live stream running, as a user finds it. */
async function openGeneral() {
  const app = await renderLiveGeneral({ parley });
  return app;
}

function write(text: string, room = 'general') {
  const input = screen.getByLabelText(`Message #${room}`);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: 'Enter' });
}

function rows(room = 'general'): HTMLElement[] {
  return within(screen.getByRole('list', { name: `Messages in #${room}` })).queryAllByRole('listitem');
}

/** The rows showing this message body (a message shown twice is a bug). */
function rowsWith(body: string, room = 'general'): HTMLElement[] {
  return rows(room).filter((row) => within(row).queryByText(body) !== null);
}

function theRow(body: string, room = 'general'): HTMLElement {
  const found = rowsWith(body, room);
  if (found.length !== 1) throw new Error(`Expected one row with “${body}”, found ${found.length}.`);
  return found[0]!;
}

/** The status icon's label: "Sending", "Sent", "Not sent", "Waiting to send". */
function statusOf(body: string): string | null {
  return within(theRow(body)).queryByRole('img')?.getAttribute('aria-label') ?? null;
}

function bodies(room = 'general'): string[] {
  return rows(room).map((row) => row.querySelector('.message-body')?.textContent ?? '');
}

test('a message typed while online shows “Sending”, then “Sent” once the server has it', async () => {
  await openGeneral();
  const release = parley.holdSends();
  write('  hello everyone  ');

  await waitFor(() => expect(statusOf('hello everyone')).toBe('Sending'));
  expect(screen.getByLabelText('Message #general')).toHaveProperty('value', '');

  release();
  await waitFor(() => expect(statusOf('hello everyone')).toBe('Sent'));
  expect(parley.messages().map((m) => m.body)).toEqual(['hello everyone']);
  expect(parley.sendRequests).toHaveLength(1);
});

test('a message whose event arrives before the reply to its send is shown once, as sent', async () => {
  const app = await openGeneral();
  const releaseReply = parley.holdReplies();
  write('first!');

  // The server stored it and streamed the event; the reply to the send has not come back.
  await waitFor(() => expect(statusOf('first!')).toBe('Sent'));
  expect(parley.messages()).toHaveLength(1);
  expect(app.client().outbox.getSnapshot()).toHaveLength(1);

  releaseReply();
  await waitFor(() => expect(app.client().outbox.getSnapshot()).toHaveLength(0));
  expect(rowsWith('first!')).toHaveLength(1);
  expect(statusOf('first!')).toBe('Sent');
  expect(bodies()).toEqual(['first!']);
});

test('a message typed offline waits with Edit and Cancel, can be edited, and is sent as edited when back online', async () => {
  const app = await openGeneral();
  app.goOffline();
  write('helo wrld');

  await waitFor(() => expect(statusOf('helo wrld')).toBe('Waiting to send'));
  const row = theRow('helo wrld');
  expect(within(row).getByText(/Waiting for the connection/)).toBeTruthy();
  fireEvent.click(within(row).getByRole('button', { name: 'Edit' }));
  const editor = within(row).getByLabelText('Edit message');
  expect(editor).toHaveProperty('value', 'helo wrld');
  fireEvent.change(editor, { target: { value: 'hello world' } });
  fireEvent.click(within(row).getByRole('button', { name: 'Save' }));

  await waitFor(() => expect(statusOf('hello world')).toBe('Waiting to send'));
  expect(rowsWith('helo wrld')).toHaveLength(0);
  expect(parley.sendRequests).toHaveLength(0);

  app.goOnline();
  await waitFor(() => expect(statusOf('hello world')).toBe('Sent'));
  expect(parley.sendRequests.map((r) => r.body)).toEqual(['hello world']);
  expect(parley.messages().map((m) => m.body)).toEqual(['hello world']);
});

test('a message cancelled while offline disappears and is never sent', async () => {
  const app = await openGeneral();
  app.goOffline();
  write('never mind');
  await waitFor(() => expect(statusOf('never mind')).toBe('Waiting to send'));

  fireEvent.click(within(theRow('never mind')).getByRole('button', { name: 'Cancel' }));
  await waitFor(() => expect(rowsWith('never mind')).toHaveLength(0));

  app.goOnline();
  // The outbox sends in order: had the cancelled one been kept, it would go out first.
  write('back again');
  await waitFor(() => expect(statusOf('back again')).toBe('Sent'));
  expect(parley.sendRequests.map((r) => r.body)).toEqual(['back again']);
  expect(bodies()).toEqual(['back again']);
});

test('a message written while the server is down (the network is up) waits, and goes out once the server is back', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  await openGeneral();
  parley.setReachable(false);
  parley.closeSockets();
  write('anyone there?');

  // Tried at once, failed as a network error: it waits, and can still be changed.
  await waitFor(() => expect(parley.lostCalls).toContain('message.send'));
  await waitFor(() => expect(statusOf('anyone there?')).toBe('Waiting to send'));
  expect(within(theRow('anyone there?')).getByRole('button', { name: 'Edit' })).toBeTruthy();
  expect(parley.sendRequests).toHaveLength(0);

  parley.setReachable(true);
  await vi.advanceTimersByTimeAsync(2_000);
  await waitFor(() => expect(statusOf('anyone there?')).toBe('Sent'));
  expect(parley.messages().map((m) => m.body)).toEqual(['anyone there?']);
  expect(rowsWith('anyone there?')).toHaveLength(1);
});

test('a send the server refuses shows its reason; Retry sends it again with the same clientId', async () => {
  await openGeneral();
  parley.refuseSends({ code: 'FORBIDDEN', message: 'You can no longer write in #general.' });
  write('can I still write?');

  await waitFor(() => expect(statusOf('can I still write?')).toBe('Not sent'));
  const alert = within(theRow('can I still write?')).getByRole('alert');
  expect(alert.textContent).toContain('Not sent: You can no longer write in #general.');
  expect(within(alert).getByRole('button', { name: 'Discard' })).toBeTruthy();

  parley.refuseSends(null);
  fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
  await waitFor(() => expect(statusOf('can I still write?')).toBe('Sent'));
  expect(within(theRow('can I still write?')).queryByRole('alert')).toBeNull();

  const [refused, retried] = parley.sendRequests;
  expect(parley.sendRequests).toHaveLength(2);
  expect(retried?.clientId).toBe(refused?.clientId);
  expect(parley.messages().map((m) => m.body)).toEqual(['can I still write?']);
});

test('a send refused as a bad request can be discarded, and is not sent again', async () => {
  await openGeneral();
  parley.refuseSends({ code: 'BAD_REQUEST', message: 'body: A message has at most 4000 characters.' });
  write('too long, says the server');

  await waitFor(() => expect(statusOf('too long, says the server')).toBe('Not sent'));
  const alert = within(theRow('too long, says the server')).getByRole('alert');
  expect(alert.textContent).toContain('Not sent: body: A message has at most 4000 characters.');
  fireEvent.click(within(alert).getByRole('button', { name: 'Discard' }));
  await waitFor(() => expect(rowsWith('too long, says the server')).toHaveLength(0));

  parley.refuseSends(null);
  write('short');
  await waitFor(() => expect(statusOf('short')).toBe('Sent'));
  expect(parley.sendRequests.map((r) => r.body)).toEqual(['too long, says the server', 'short']);
});

test('messages from someone else appear live, in the server’s order, once each even when delivered twice', async () => {
  parley.post('from the history');
  renderApp({ parley });
  await screen.findByText('from the history');
  await parley.whenSubscribed();

  const second = parley.post('second');
  const third = parley.post('third');
  await waitFor(() => expect(bodies()).toEqual(['from the history', 'second', 'third']));
  expect(within(theRow('third')).queryByRole('img')).toBeNull();

  // A replay (a resumed stream, a retried delivery) changes nothing…
  parley.deliver(third);
  parley.deliver(second);
  // …and what comes after it is still shown once, in order.
  parley.post('fourth');
  await waitFor(() => expect(bodies()).toEqual(['from the history', 'second', 'third', 'fourth']));
  expect(screen.getByText('New message from Bob: fourth')).toBeTruthy();
});

test('a message for another room does not show in this one, and counts as unread there', async () => {
  await renderLiveGeneral({ parley });

  parley.post('over in random', { room: RANDOM, author: BOB });
  parley.post('here in general');
  await screen.findByText('here in general');
  expect(bodies()).toEqual(['here in general']);
  expect(screen.getByRole('link', { name: /# random\s*1 unread/ })).toBeTruthy();

  window.location.hash = roomHash(RANDOM);
  await waitFor(() => expect(bodies('random')).toEqual(['over in random']));
});
