import { useMemo, useReducer } from 'react';
import { afterEach, expect, test } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import type { MessageDto } from '@parley/client';
import { FakeServer, renderWithServer } from '../lib/test-trpc.tsx';
import type { Me, Partition, Room } from '../lib/trpc.ts';
import { usePartitionEvents } from '../workspace/use-partition-events.ts';
import { ChatPane } from './chat-pane.tsx';
import { pendingReducer } from './pending-messages.ts';
import { messageDto } from './test-messages.ts';
import { PendingMessagesContext } from './use-pending-messages.ts';

afterEach(cleanup);

const me: Me = {
  id: 'u-me',
  username: 'me',
  displayName: 'Me',
  isAdmin: false,
  createdAt: '2025-01-01T00:00:00Z',
  sessionExpiresAt: '2030-01-01T00:00:00Z',
};
const partition: Partition = { id: 'acme', name: 'Acme', role: 'member', createdAt: '2025-01-01T00:00:00Z' };
const room: Room = {
  id: 'r1',
  partitionId: 'acme',
  name: 'general',
  createdBy: 'u-ada',
  createdAt: '2025-01-01T00:00:00Z',
  joined: true,
  memberCount: 2,
};

/** The chat pane with what the workspace layout gives it: pending messages and the live stream. */
function Harness() {
  const [pending, dispatch] = useReducer(pendingReducer, []);
  const value = useMemo(() => ({ pending, dispatch }), [pending]);
  usePartitionEvents(partition.id, me.id);
  return (
    <PendingMessagesContext.Provider value={value}>
      <ChatPane me={me} partition={partition} room={room} onOpenSidebar={() => {}} />
    </PendingMessagesContext.Provider>
  );
}

const bodies = () => screen.queryAllByRole('listitem').map((li) => li.querySelector('.message-body')?.textContent);

function created(message: MessageDto) {
  return { id: message.eventId, partitionId: 'acme', roomId: message.roomId, type: 'message.created', at: message.createdAt, actorId: message.authorId, data: message };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function type(text: string) {
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: 'Enter' });
}

function mine(eventId: number, input: unknown): MessageDto {
  const { clientId, body } = input as { clientId: string; body: string };
  return messageDto(eventId, { clientId, body, authorId: me.id, authorName: me.displayName });
}

test('live messages join the list once each, in event order', async () => {
  const server = new FakeServer({ 'message.list': () => ({ messages: [messageDto(1), messageDto(3)], nextCursor: null }) });
  renderWithServer(<Harness />, server);
  await waitFor(() => expect(bodies()).toEqual(['message 1', 'message 3']));

  act(() => {
    server.emit(5, created(messageDto(5)));
    server.emit(5, created(messageDto(5)));
    server.emit(4, created(messageDto(4)));
    server.emit(6, created(messageDto(6, { roomId: 'another-room' })));
  });
  await waitFor(() => expect(bodies()).toEqual(['message 1', 'message 3', 'message 4', 'message 5']));
});

test('a sent message shows at once as sending, then once as sent', async () => {
  const reply = deferred<MessageDto>();
  let sentInput: unknown;
  const server = new FakeServer({
    'message.list': () => ({ messages: [messageDto(1)], nextCursor: null }),
    'message.send': (input) => {
      sentInput = input;
      return reply.promise;
    },
  });
  renderWithServer(<Harness />, server);
  await waitFor(() => expect(bodies()).toEqual(['message 1']));

  type('  hello  ');
  expect(bodies()).toEqual(['message 1', 'hello']);
  expect(screen.getByText('sending…')).toBeTruthy();

  // The live event may beat the reply: still only one copy.
  await waitFor(() => expect(sentInput).toBeDefined());
  const confirmed = mine(2, sentInput);
  act(() => server.emit(2, created(confirmed)));
  await waitFor(() => expect(screen.queryByText('sending…')).toBeNull());
  reply.resolve(confirmed);
  await waitFor(() => expect(bodies()).toEqual(['message 1', 'hello']));
});

test('a failed send offers a retry that reuses the same clientId', async () => {
  let attempts = 0;
  const server = new FakeServer({
    'message.list': () => ({ messages: [], nextCursor: null }),
    'message.send': (input) => {
      attempts += 1;
      if (attempts === 1) throw new TypeError('Failed to fetch');
      return mine(9, input);
    },
  });
  renderWithServer(<Harness />, server);
  await screen.findByText(/No messages in #general yet/);

  type('are you there?');
  expect((await screen.findByRole('alert')).textContent).toMatch(/^Failed: Cannot reach Parley/);
  fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
  await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  expect(bodies()).toEqual(['are you there?']);

  const clientIds = server.callsTo('message.send').map((input) => (input as { clientId: string }).clientId);
  expect(clientIds).toHaveLength(2);
  expect(clientIds[1]).toBe(clientIds[0]);
});

test('"Load older messages" pages back with the cursor and puts them in front', async () => {
  const server = new FakeServer({
    'message.list': (input) =>
      (input as { before?: number }).before === 10
        ? { messages: [messageDto(4), messageDto(7)], nextCursor: null }
        : { messages: [messageDto(10), messageDto(11)], nextCursor: 10 },
  });
  renderWithServer(<Harness />, server);
  await waitFor(() => expect(bodies()).toEqual(['message 10', 'message 11']));
  expect(screen.queryByText(/beginning of #general/)).toBeNull();

  fireEvent.click(screen.getByRole('button', { name: 'Load older messages' }));
  await waitFor(() => expect(bodies()).toEqual(['message 4', 'message 7', 'message 10', 'message 11']));
  expect(screen.getByText('This is the beginning of #general.')).toBeTruthy();
  expect(screen.queryByRole('button', { name: 'Load older messages' })).toBeNull();
});

test('a message body is shown as text, never as HTML', async () => {
  const body = '<img src=x onerror="alert(1)"><b>bold?</b>';
  const server = new FakeServer({ 'message.list': () => ({ messages: [messageDto(1, { body })], nextCursor: null }) });
  renderWithServer(<Harness />, server);
  await waitFor(() => expect(bodies()).toEqual([body]));
  expect(document.querySelector('.message-body img, .message-body b')).toBeNull();
});
