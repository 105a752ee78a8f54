import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { TRPCError } from '@trpc/server';
import { REFUSAL } from '@parley/client';
import type { Room } from '../lib/trpc.ts';
import { ACME, BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderApp } from '../test/render-app.tsx';

/** A private room Bob made without Ada. */
const SECRET: Room = {
  ...GENERAL,
  id: '0197a000-0000-7000-8000-0000000000e3',
  name: 'secret',
  kind: 'private',
  createdBy: BOB.id,
  joined: false,
  memberCount: 1,
  myRole: null,
};

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start() {
  parley = new MockParley({ partitions: [{ partition: ACME, rooms: [GENERAL, RANDOM, SECRET] }] });
  parley.listen();
}

const results = () => screen.queryByRole('list', { name: 'Search results' });
const hits = () => (results() ? within(results()!).getAllByRole('link') : []);
const snippets = () => hits().map((a) => a.querySelector('.search-snippet')?.textContent);
const searchStatus = () => screen.getByRole('region', { name: 'Search' }).querySelector('.search-status')?.textContent;
const searchBox = () => within(screen.getByRole('region', { name: 'Search' })).getByRole('searchbox', { name: 'Search messages' });

/** Types in the search pane's box (results come once typing pauses). */
function type(text: string) {
  fireEvent.change(searchBox(), { target: { value: text } });
}

/** Ada searches from the sidebar's box: Enter opens the search pane. */
async function searchFromSidebar(text: string) {
  const sidebarBox = within(screen.getByRole('complementary', { name: 'Workspace' })).getByRole('searchbox', { name: 'Search messages' });
  fireEvent.change(sidebarBox, { target: { value: text } });
  fireEvent.submit(sidebarBox.closest('form')!);
  await screen.findByRole('region', { name: 'Search' });
}

test('the sidebar’s box opens search: hits of my rooms, newest first, the words marked; markup in a message stays text', async () => {
  start();
  parley.post('we deploy on Friday');
  parley.post('Deploy notes: <img src=x onerror="window.__pwned=1"> read them', { room: RANDOM });
  parley.post('nothing to see');
  parley.post('deploy the secret plan', { room: SECRET });
  renderApp({ parley });
  await parley.whenSubscribed();

  await searchFromSidebar('deploy');
  await waitFor(() => expect(snippets()).toEqual(['Deploy notes: <img src=x onerror="window.__pwned=1"> read them', 'we deploy on Friday']));
  expect(window.location.hash).toBe('#/w/acme/search?q=deploy');
  expect(searchStatus()).toBe('2 messages, newest first');
  const [first, second] = hits() as [HTMLElement, HTMLElement];
  expect([...first.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Deploy']);
  expect([...second.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['deploy']);
  expect(first.querySelector('img')).toBeNull();
  expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  expect(first.textContent).toContain('random');
  expect(first.textContent).toContain('Bob');
  expect(first.getAttribute('href')).toMatch(new RegExp(`^#/w/acme/r/${RANDOM.id}/m/`));
  // The private room Ada is not in: never among the hits.
  expect(snippets()).not.toContain('deploy the secret plan');
});

test('filters narrow the hits by room, person and days, and live in the URL; clearing them brings everything back', async () => {
  start();
  parley.post('release on monday', { room: RANDOM });
  parley.post('release notes are out');
  parley.post('my own release', { author: { id: '0197a000-0000-7000-8000-00000000000a', displayName: 'Ada' } });
  renderApp({ parley, hash: '#/w/acme/search?q=release' });
  await waitFor(() => expect(hits()).toHaveLength(3));

  fireEvent.change(screen.getByLabelText('Room'), { target: { value: RANDOM.id } });
  await waitFor(() => expect(snippets()).toEqual(['release on monday']));
  expect(window.location.hash).toBe(`#/w/acme/search?q=release&room=${RANDOM.id}`);

  fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
  fireEvent.change(screen.getByLabelText('Person'), { target: { value: BOB.id } });
  await waitFor(() => expect(snippets()).toEqual(['release notes are out', 'release on monday']));

  fireEvent.change(screen.getByLabelText('To'), { target: { value: '2001-01-01' } });
  await screen.findByText('No messages match “release” with these filters.');
  fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
  await waitFor(() => expect(hits()).toHaveLength(3));
});

test('states: nothing typed, no match, a search too long (refused here, as the server would), a server error with Try again, More results', async () => {
  start();
  for (let i = 0; i < 25; i++) parley.post(`standup ${i}`);
  renderApp({ parley, hash: '#/w/acme/search' });
  await screen.findByText('Search the messages of the rooms and direct messages you are in.');

  type('zebra');
  await screen.findByText('No messages match “zebra”.');

  const before = parley.callsTo('search.messages').length;
  type('x'.repeat(201));
  expect((await screen.findByRole('alert')).textContent).toBe(REFUSAL.searchTooLong);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(parley.callsTo('search.messages')).toHaveLength(before);

  type('-standup');
  expect((await screen.findByRole('alert')).textContent).toBe(REFUSAL.searchOnlyExcluded);

  type('standup');
  await waitFor(() => expect(hits()).toHaveLength(20));
  expect(searchStatus()).toBe('20 messages so far, newest first');
  fireEvent.click(screen.getByRole('button', { name: 'More results' }));
  await waitFor(() => expect(hits()).toHaveLength(25));
  expect(snippets().at(-1)).toBe('standup 0');
  expect(screen.queryByRole('button', { name: 'More results' })).toBeNull();

  let failing = true;
  parley.use(
    parley.trpc.search.messages.query(() => {
      if (failing)
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on the server. If it keeps happening, report error 3f9c2a1b.' });
      return { hits: [], nextCursor: null, terms: ['standup', '3'] };
    }),
  );
  type('standup 3');
  expect((await screen.findByRole('alert')).textContent).toBe('Something went wrong on the server. If it keeps happening, report error 3f9c2a1b.');
  failing = false;
  fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
  await screen.findByText('No messages match “standup 3”.');
});

test('a hit far back opens its room there: the history around it, the message in view and highlighted; Jump to latest comes back', async () => {
  start();
  for (let i = 0; i < 120; i++) parley.post(i === 5 ? 'the needle is here' : `hay ${i}`);
  renderApp({ parley });
  await parley.whenSubscribed();
  await searchFromSidebar('needle');
  await waitFor(() => expect(hits()).toHaveLength(1));
  fireEvent.click(hits()[0]!);

  const messages = await screen.findByRole('list', { name: 'Messages in #general' });
  const row = await waitFor(() => {
    const found = within(messages)
      .getAllByRole('listitem')
      .find((li) => li.textContent?.includes('the needle is here'));
    expect(found).toBeTruthy();
    return found!;
  });
  await waitFor(() => expect(document.activeElement).toBe(row));
  expect(row.className).toContain('highlighted');
  const texts = within(messages)
    .getAllByRole('listitem')
    .map((li) => li.querySelector('.message-body')?.textContent);
  // The history around it (older and newer), not the latest messages.
  expect(texts).toContain('hay 4');
  expect(texts).toContain('hay 20');
  expect(texts).not.toContain('hay 119');
  expect(screen.getByRole('button', { name: 'Load newer messages' })).toBeTruthy();

  fireEvent.click(screen.getByRole('button', { name: 'Jump to latest ↓' }));
  await waitFor(() =>
    expect(
      within(screen.getByRole('list', { name: 'Messages in #general' }))
        .getAllByRole('listitem')
        .map((li) => li.querySelector('.message-body')?.textContent)
        .at(-1),
    ).toBe('hay 119'),
  );
  expect(window.location.hash).toBe(`#/w/acme/r/${GENERAL.id}`);
});
