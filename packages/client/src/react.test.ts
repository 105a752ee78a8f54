// @vitest-environment happy-dom
import { NoteDrafts } from './note-drafts.ts';
import { memoryStorage } from './storage.ts';
import { UploadStore } from './upload-store.ts';
import { NotesStore } from './notes-store.ts';
import { ProfilesStore } from './profiles-store.ts';
import { ReadStore } from './read-store.ts';
import { NotifyStore } from './notify-store.ts';
import { FakeNotesServer } from './test-notes-server.ts';
import { createTRPCClient } from '@trpc/client';
import type { AppRouter } from '@parley/api';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement as h, useState } from 'react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Connection, type NetworkStatus, type Transport } from './connection.ts';
import type { ParleyClient } from './create-client.ts';
import { OutboxError } from './outbox.ts';
import { PresenceStore } from './presence-store.ts';
import {
  ParleyProvider,
  useBlocks,
  useConnection,
  useMessageActions,
  useNoteEditor,
  useNotes,
  useOutbox,
  usePins,
  usePresence,
  useRoomMessages,
  useSend,
  useTyping,
} from './react.ts';
import { createTestClient, FakePresenceServer, FakeServer, ME, SOMEONE_ELSE } from './test-server.ts';
import type { SubscriptionTransport } from './subscription-transport.ts';

// A .ts file with createElement rather than a .tsx file: the `unit` project collects
// `packages/**/*.test.ts` only.

const P = 'acme';
const R = 'general';

/** A socket under the test's control. */
class FakeTransport implements Transport {
  readonly opened: Promise<void>;
  open!: () => void;
  readonly #close: ((reason: string) => void)[] = [];
  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
  onClose(listener: (reason: string) => void) {
    this.#close.push(listener);
  }
  onActivity() {}
  onReconnectRequest() {}
  ping() {}
  close() {}
  serverCloses(reason: string) {
    for (const listener of this.#close) listener(reason);
  }
}

class FakeNetwork implements NetworkStatus {
  online = true;
  readonly #listeners = new Set<(online: boolean) => void>();
  isOnline = () => this.online;
  subscribe(listener: (online: boolean) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  set(online: boolean) {
    this.online = online;
    for (const listener of this.#listeners) listener(online);
  }
}

let server: FakeServer;
let presenceServer: FakePresenceServer;
let notesServer: FakeNotesServer;
let network: FakeNetwork;
let transports: FakeTransport[];
let client: ParleyClient;

/** Shaped like `createParleyClient`'s result, on the fake server and fake sockets: no network at all. */
function makeClient(): ParleyClient {
  const connection = new Connection<SubscriptionTransport>({
    openTransport: () => {
      const transport = new FakeTransport();
      transports.push(transport);
      // The hooks never reach tRPC's socket client: subscriptions go through the fake server.
      return transport as FakeTransport & Pick<SubscriptionTransport, 'kind' | 'subscribe'>;
    },
    network,
    random: () => 0,
    now: () => Date.now(),
  });
  const { outbox, store, actions, blocks, close } = createTestClient({ server, canSend: () => connection.getSnapshot().online });
  const presence = new PresenceStore({ api: presenceServer, connection });
  const noteDrafts = new NoteDrafts(memoryStorage());
  const notes = new NotesStore({
    api: notesServer.api({ id: 'u', name: 'U' }),
    events: { watch: () => () => {}, onEvent: () => () => {} },
    drafts: noteDrafts,
  });
  return {
    trpc: createTRPCClient<AppRouter>({ links: [] }),
    links: [],
    connection,
    messages: store,
    outbox,
    uploads: new UploadStore({
      baseUrl: 'http://parley.test',
      transport: () => Promise.reject(new Error('These tests have no uploads.')),
      storage: memoryStorage(),
    }),
    actions,
    blocks,
    presence,
    notes,
    noteDrafts,
    search: () => Promise.reject(new Error('These tests have no search.')),
    notify: new NotifyStore({ api: { list: () => Promise.resolve([]) }, outbox, events: { onEvent: () => () => {} } }),
    read: new ReadStore({
      api: {
        summary: () => Promise.resolve([]),
        receipts: (_p, roomId) => Promise.resolve({ roomId, status: 'shown', readers: [] }),
        receiptsSetting: () => Promise.resolve({ enabled: true }),
        setReceipts: (enabled) => Promise.resolve({ enabled }),
      },
      outbox,
      events: { onEvent: () => () => {} },
      me: () => 'u',
    }),
    profiles: new ProfilesStore({
      api: {
        list: () => Promise.resolve([]),
        mine: () => Promise.reject(new Error('These tests have no profiles.')),
        update: () => Promise.reject(new Error('These tests have no profiles.')),
        uploadAvatar: () => Promise.reject(new Error('These tests have no profiles.')),
        avatarUrl: (id) => `http://parley.test/avatar/${id}`,
      },
      events: { watch: () => () => {}, onEvent: () => () => {} },
    }),
    async close() {
      close();
      presence.close();
      connection.close();
    },
    async forget() {
      await this.close();
    },
  };
}

function renderWith(...children: ReturnType<typeof h>[]) {
  return render(h(ParleyProvider, { client }, ...children));
}

function Room() {
  const view = useRoomMessages(P, R);
  return h(
    'section',
    null,
    h('p', { 'data-testid': 'room-status' }, view.status),
    view.hasOlder ? h('button', { onClick: () => void view.loadOlder() }, 'Older') : null,
    h(
      'ul',
      null,
      view.messages.map((m) => h('li', { key: m.key }, `${m.body} · ${m.status}${m.error ? ` · ${m.error}` : ''}`)),
    ),
  );
}

function Composer() {
  const send = useSend(P, R, ME);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  return h(
    'form',
    {
      onSubmit: (e: { preventDefault(): void }) => {
        e.preventDefault();
        try {
          send(text);
          setText('');
          setError(null);
        } catch (err) {
          if (!(err instanceof OutboxError)) throw err;
          setError(err.message);
        }
      },
    },
    h('input', { 'aria-label': 'Message', value: text, onChange: (e: { target: { value: string } }) => setText(e.target.value) }),
    h('button', { type: 'submit' }, 'Send'),
    error ? h('p', { role: 'alert' }, error) : null,
  );
}

function OutboxPanel() {
  const outbox = useOutbox(P);
  return h(
    'aside',
    null,
    h('p', { 'data-testid': 'outbox' }, `${outbox.queued} waiting since ${outbox.oldestQueuedAt ?? '-'}, ${outbox.failed} failed`),
    outbox.entries.map((e) => h('button', { key: e.clientId, onClick: () => outbox.cancel(e.clientId) }, `Cancel ${e.kind === 'send' ? e.body : e.op.type}`)),
  );
}

function Banner() {
  const connection = useConnection();
  return h(
    'div',
    null,
    h(
      'p',
      { 'data-testid': 'connection' },
      `${connection.state} ${connection.attempt}/${connection.maxAttempts}${connection.nextRetryAt ? ` retry at ${connection.nextRetryAt}` : ''}`,
    ),
    h('button', { onClick: connection.retry }, 'Retry now'),
  );
}

const items = () => screen.queryAllByRole('listitem').map((li) => li.textContent);
const type = (text: string) => {
  fireEvent.change(screen.getByLabelText('Message'), { target: { value: text } });
  fireEvent.click(screen.getByText('Send'));
};

beforeEach(() => {
  server = new FakeServer();
  presenceServer = new FakePresenceServer();
  notesServer = new FakeNotesServer('acme', 60_000);
  network = new FakeNetwork();
  transports = [];
  client = makeClient();
});
afterEach(async () => {
  cleanup();
  await client.close();
  vi.useRealTimers();
});

describe('useRoomMessages', () => {
  test('shows loading, then the room in server order, then what others post', async () => {
    server.post(P, R, 'first');
    server.post(P, R, 'second');
    const release = server.hold('list');
    renderWith(h(Room));
    await waitFor(() => expect(screen.getByTestId('room-status').textContent).toBe('loading'));

    await act(async () => release());
    await waitFor(() => expect(items()).toEqual(['first · SENT', 'second · SENT']));
    expect(screen.getByTestId('room-status').textContent).toBe('ready');

    await act(async () => {
      server.post(P, R, 'third');
    });
    await waitFor(() => expect(items()).toEqual(['first · SENT', 'second · SENT', 'third · SENT']));
  });

  test('Older loads the previous page above the ones shown', async () => {
    server.pageSize = 2;
    for (const body of ['a', 'b', 'c']) server.post(P, R, body);
    renderWith(h(Room));
    await waitFor(() => expect(items()).toEqual(['b · SENT', 'c · SENT']));

    fireEvent.click(screen.getByText('Older'));
    await waitFor(() => expect(items()).toEqual(['a · SENT', 'b · SENT', 'c · SENT']));
    expect(screen.queryByText('Older')).toBeNull();
  });
});

describe('useSend', () => {
  test('a sent message shows at once as SENDING, then SENT, once', async () => {
    server.holdReplies = true;
    server.holdEvents = true;
    renderWith(h(Room), h(Composer));
    await waitFor(() => expect(screen.getByTestId('room-status').textContent).toBe('ready'));

    type('hello');
    expect(items()).toEqual(['hello · SENDING']);
    await waitFor(() => expect(server.heldReplies).toBe(1));
    expect(items()).toEqual(['hello · SENDING']);
    await act(async () => {
      server.deliverNextReply();
    });
    await waitFor(() => expect(items()).toEqual(['hello · SENT']));
    await act(async () => {
      server.deliverEvents();
    });
    expect(items()).toEqual(['hello · SENT']);
    expect(server.messages(P, R)).toEqual([expect.objectContaining({ body: 'hello', authorId: ME.id })]);
  });

  test('an empty message is refused with a message for the person, and nothing is queued', async () => {
    renderWith(h(Room), h(Composer), h(OutboxPanel));
    type('   ');
    expect(screen.getByRole('alert').textContent).toBe('A message cannot be empty.');
    expect(items()).toEqual([]);
    expect(screen.getByTestId('outbox').textContent).toBe('0 waiting since -, 0 failed');
  });

  test('a refused message shows FAILED with the reason', async () => {
    server.failNext('send', Object.assign(new Error('You are not a member of this room.'), { data: { code: 'FORBIDDEN' } }));
    renderWith(h(Room), h(Composer), h(OutboxPanel));
    type('let me in');
    await waitFor(() => expect(items()).toEqual(['let me in · FAILED · You are not a member of this room.']));
    expect(screen.getByTestId('outbox').textContent).toBe('0 waiting since -, 1 failed');
  });
});

describe('useOutbox', () => {
  test('counts what waits offline and since when, and cancelling takes it back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    network.set(false);
    renderWith(h(Room), h(Composer), h(OutboxPanel));
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    type('one');
    vi.setSystemTime(new Date('2026-03-01T10:05:00.000Z'));
    type('two');
    expect(screen.getByTestId('outbox').textContent).toBe('2 waiting since 2026-03-01T10:00:00.000Z, 0 failed');
    expect(items()).toEqual(['one · SENDING', 'two · SENDING']);

    fireEvent.click(screen.getByText('Cancel one'));
    expect(screen.getByTestId('outbox').textContent).toBe('1 waiting since 2026-03-01T10:05:00.000Z, 0 failed');
    expect(items()).toEqual(['two · SENDING']);

    network.set(true);
    await act(async () => {
      await client.outbox.flush();
    });
    await waitFor(() => expect(screen.getByTestId('outbox').textContent).toBe('0 waiting since -, 0 failed'));
    expect(items()).toEqual(['two · SENT']);
    expect(server.messages(P).map((m) => m.body)).toEqual(['two']);
  });
});

describe('useConnection', () => {
  test('follows the socket: connecting, connected, reconnecting with the next retry time, Retry now', async () => {
    renderWith(h(Banner));
    expect(screen.getByTestId('connection').textContent).toBe('DISCONNECTED 0/10');

    act(() => client.connection.start());
    expect(screen.getByTestId('connection').textContent).toBe('CONNECTING 0/10');
    await act(async () => transports[0]!.open());
    expect(screen.getByTestId('connection').textContent).toBe('CONNECTED 0/10');

    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00.000Z'));
    act(() => transports[0]!.serverCloses('server restarting'));
    expect(screen.getByTestId('connection').textContent).toBe(`RECONNECTING 1/10 retry at ${Date.parse('2026-03-01T10:00:01.000Z')}`);

    fireEvent.click(screen.getByText('Retry now'));
    expect(screen.getByTestId('connection').textContent).toBe('RECONNECTING 0/10');
    expect(transports).toHaveLength(2);
    await act(async () => transports[1]!.open());
    expect(screen.getByTestId('connection').textContent).toBe('CONNECTED 0/10');
  });
});

function Members() {
  const { status, members } = usePresence(P);
  return h(
    'ul',
    { 'aria-label': `Members (${status})` },
    ['u-ada', 'u-bob'].map((id) => h('li', { key: id }, `${id} ${members[id]?.status ?? 'offline'}`)),
  );
}

function TypingLine() {
  const typing = useTyping(P, R);
  return h(
    'div',
    null,
    h('p', { 'data-testid': 'typing' }, typing.users.map((u) => u.userId).join(', ') || 'nobody'),
    h('input', { 'aria-label': 'Draft', onChange: () => typing.signal() }),
    h('button', { onClick: () => typing.stop() }, 'Sent'),
  );
}

describe('usePresence', () => {
  test('watches while mounted: the snapshot, changes, and offline when the grace period ends', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const view = renderWith(h(Members));
    expect(screen.getByRole('list', { name: 'Members (loading)' })).toBeTruthy();
    expect(presenceServer.watchers(P)).toBe(1);

    act(() => presenceServer.snapshot(P, [{ userId: 'u-ada', status: 'online', lastSeenAt: null, offlineAt: null }]));
    expect(items()).toEqual(['u-ada online', 'u-bob offline']);
    act(() => presenceServer.presence(P, { userId: 'u-ada', status: 'reconnecting', lastSeenAt: presenceServer.iso(), offlineAt: presenceServer.iso(60_000) }));
    expect(items()).toEqual(['u-ada reconnecting', 'u-bob offline']);
    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(items()).toEqual(['u-ada offline', 'u-bob offline']);

    view.unmount();
    expect(presenceServer.watchers(P)).toBe(0);
  });
});

describe('useTyping', () => {
  test("shows who else is typing in this room only, and signals this user's keystrokes throttled", async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    renderWith(h(TypingLine));
    act(() => presenceServer.snapshot(P, []));
    act(() => {
      presenceServer.typingOf(P, 'u-bob', R);
      presenceServer.typingOf(P, 'u-ada', 'elsewhere');
    });
    expect(screen.getByTestId('typing').textContent).toBe('u-bob');
    act(() => {
      vi.advanceTimersByTime(5_000);
    });
    expect(screen.getByTestId('typing').textContent).toBe('nobody');

    const draft = screen.getByLabelText('Draft');
    for (const value of ['h', 'he', 'hel']) fireEvent.change(draft, { target: { value } });
    expect(presenceServer.typingCalls).toEqual([{ partitionId: P, roomId: R }]);
    fireEvent.click(screen.getByText('Sent'));
    fireEvent.change(draft, { target: { value: 'n' } });
    expect(presenceServer.typingCalls).toHaveLength(2);
  });
});

describe('conversations', () => {
  function Conversation() {
    const view = useRoomMessages(P, R);
    const actions = useMessageActions(P);
    const pins = usePins(P, R);
    const blocks = useBlocks();
    const send = useSend(P, R, ME);
    return h(
      'section',
      null,
      h('p', { 'data-testid': 'pins' }, pins.messages.map((m) => m.body).join(',')),
      h('p', { 'data-testid': 'blocked' }, [...blocks.ids].join(',')),
      view.messages.map((m) =>
        h(
          'article',
          { key: m.key, 'data-testid': 'msg' },
          `${m.authorBlocked ? '[blocked]' : m.body}${m.replyTo ? ` ↩ ${m.replyTo.snippet}` : ''} ${m.reactions.map((r) => `${r.emoji}${r.count}${r.mine ? '*' : ''}`).join('')}${m.opError ? ` ! ${m.opError}` : ''}`,
          h('button', { onClick: () => actions.toggleReaction(m, '👍') }, `react ${m.body}`),
          h('button', { onClick: () => m.id && actions.pin(m.id) }, `pin ${m.body}`),
          h('button', { onClick: () => m.id && actions.edit(m.id, 'edited by me') }, `edit ${m.body}`),
          h('button', { onClick: () => m.id && send('re', { replyTo: m.id }) }, `reply ${m.body}`),
          h('button', { onClick: () => m.authorId && blocks.block(m.authorId) }, `block ${m.body}`),
          m.opErrorId ? h('button', { onClick: () => actions.dismissError(m.opErrorId!) }, 'dismiss') : null,
        ),
      ),
    );
  }
  const articles = () => screen.queryAllByTestId('msg').map((a) => a.firstChild?.textContent);

  test('reacting, pinning, replying, a refused edit and blocking show at once and stay', async () => {
    server.post(P, R, 'hello', SOMEONE_ELSE);
    renderWith(h(Conversation));
    await waitFor(() => expect(articles()).toEqual(['hello ']));

    fireEvent.click(screen.getByText('react hello'));
    expect(articles()).toEqual(['hello 👍1*']);
    fireEvent.click(screen.getByText('pin hello'));
    await waitFor(() => expect(screen.getByTestId('pins').textContent).toBe('hello'));
    fireEvent.click(screen.getByText('reply hello'));
    await waitFor(() => expect(articles()).toEqual(['hello 👍1*', 're ↩ hello ']));
    await waitFor(() => expect(server.messages(P, R)[0]).toMatchObject({ pinnedBy: ME.id, reactions: [{ emoji: '👍', userIds: [ME.id] }] }));

    // Not theirs to edit: the server refuses, the message shows why until dismissed.
    fireEvent.click(screen.getByText('edit hello'));
    await waitFor(() => expect(articles()[0]).toBe('hello 👍1* ! You can only edit your own messages.'));
    fireEvent.click(screen.getByText('dismiss'));
    expect(articles()[0]).toBe('hello 👍1*');

    fireEvent.click(screen.getByText('react hello'));
    await waitFor(() => expect(articles()[0]).toBe('hello '));
    fireEvent.click(screen.getByText('block hello'));
    expect(screen.getByTestId('blocked').textContent).toBe(SOMEONE_ELSE.id);
    expect(articles()[0]).toBe('[blocked] ');
    await waitFor(() => expect(server.blockedBy(ME.id)).toEqual([SOMEONE_ELSE.id]));
  });
});

describe('notes', () => {
  function NoteScreen({ noteId }: { noteId: string }) {
    const list = useNotes(P);
    const editor = useNoteEditor(P, noteId);
    return h(
      'section',
      null,
      h(
        'ul',
        null,
        list.notes.map((n) => h('li', { key: n.id }, `${n.title} · v${n.version}`)),
      ),
      h('p', { 'data-testid': 'editor' }, editor.status),
      h('button', { onClick: () => void editor.acquire() }, 'Edit'),
      h('button', { onClick: () => void editor.save({ title: 'Plan', body: 'v2 text' }) }, 'Save'),
      h('button', { onClick: () => void editor.release() }, 'Done'),
    );
  }

  test("useNotes lists the workspace's notes; useNoteEditor takes the lock, saves a new version and releases it", async () => {
    const note = notesServer.seed('Plan', 'v1 text', { id: 'u-ada', name: 'Ada' });
    renderWith(h(NoteScreen, { noteId: note.id }));
    expect(await screen.findByText('Plan · v1')).toBeTruthy();
    expect(screen.getByTestId('editor').textContent).toBe('idle');
    fireEvent.click(screen.getByText('Edit'));
    await waitFor(() => expect(screen.getByTestId('editor').textContent).toBe('held'));
    fireEvent.click(screen.getByText('Save'));
    await waitFor(() => expect(notesServer.rows.get(note.id)!.note.version).toBe(2));
    fireEvent.click(screen.getByText('Done'));
    await waitFor(() => expect(screen.getByTestId('editor').textContent).toBe('idle'));
    expect(notesServer.calls.filter((c) => c.endsWith(':unlock'))).toHaveLength(1);
  });
});
