import { afterEach, expect, test } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Role } from '../lib/trpc.ts';
import { ACME, ADA, BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderApp } from '../test/render-app.tsx';

let parley: MockParley;
afterEach(async () => {
  cleanup();
  await parley.close();
});

function start(role: Role = 'member') {
  parley = new MockParley({ partitions: [{ partition: { ...ACME, role }, rooms: [GENERAL, RANDOM] }] });
  parley.listen();
}

const NOTES = '#/w/acme/notes';
const noteHash = (id: string) => `${NOTES}/${id}`;
const note = () => screen.getByRole('article');
const body = () => note().querySelector('.note-body');
const editButton = () => within(note()).getByRole('button', { name: /^Edit/ });
const textArea = () => screen.getByRole('textbox', { name: /^Text/ });

/** Opens the note as Ada and waits until its text shows. */
async function openNote(id: string, text: string) {
  const app = renderApp({ parley, hash: noteHash(id) });
  await waitFor(() => expect(body()?.textContent).toContain(text));
  await parley.whenSubscribed();
  return app;
}

/** Ada presses Edit and has the lock. */
async function edit() {
  fireEvent.click(editButton());
  await screen.findByText(/You are editing · lock expires in [45]:\d\d/);
}

test('the sidebar leads to the notes; the list shows each with who changed it, and a note reads its text', async () => {
  start();
  parley.notes.seed(ACME.id, { title: 'Roadmap', body: 'Q1: *notes*' });
  parley.notes.seed(ACME.id, { title: 'Menu', body: 'Soup' });
  renderApp({ parley });
  fireEvent.click(await screen.findByRole('link', { name: 'Notes' }));
  const list = await screen.findByRole('navigation', { name: 'All notes' });
  await waitFor(() =>
    expect(
      within(list)
        .getAllByRole('link')
        .map((a) => a.querySelector('.note-link-title')?.textContent),
    ).toEqual(['Menu', 'Roadmap']),
  );
  expect(within(list).getAllByRole('link')[1]!.textContent).toContain('Bob');

  fireEvent.click(within(list).getByRole('link', { name: /^Roadmap/ }));
  await waitFor(() => expect(body()?.querySelector('em')?.textContent).toBe('notes'));
  expect(within(note()).getByRole('heading', { level: 2 }).textContent).toBe('Roadmap');
  expect(note().textContent).toContain('Version 1 · saved by Bob');
});

test('no script runs and no javascript: link is made from a note: its text is shown as text', async () => {
  start();
  const evil = parley.notes.seed(ACME.id, {
    title: '<img src=x onerror=alert(1)>',
    body: '<script>window.__pwned = 1</script>\n\n[click](javascript:alert(1)) [site](https://example.com)',
  });
  await openNote(evil.id, '<script>');
  expect(note().querySelectorAll('script, img')).toHaveLength(0);
  const links = [...note().querySelectorAll('a')].map((a) => a.getAttribute('href'));
  expect(links).toEqual(['https://example.com']);
  expect(within(note()).getByRole('heading', { level: 2 }).textContent).toBe('<img src=x onerror=alert(1)>');
  expect((window as { __pwned?: number }).__pwned).toBeUndefined();
});

test('while Bob holds the lock Ada sees "Bob is editing" with the time left, Edit names him, and his save shows live', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'draft one' });
  await openNote(n.id, 'draft one');
  expect(editButton().textContent).toBe('Edit');

  parley.notes.lockAs(n.id, BOB);
  await screen.findByText(/Bob is editing · lock expires in [45]:\d\d/);
  expect(editButton().textContent).toBe('Edit · Bob is editing');
  expect((editButton() as HTMLButtonElement).disabled).toBe(true);

  parley.notes.saveAs(n.id, BOB, { body: 'draft **two**' });
  await waitFor(() => expect(body()?.querySelector('strong')?.textContent).toBe('two'));
  expect(note().textContent).toContain('Version 2 · saved by Bob');

  parley.notes.unlockAs(n.id);
  await waitFor(() => expect(screen.queryByText(/Bob is editing · lock expires/)).toBeNull());
  expect((editButton() as HTMLButtonElement).disabled).toBe(false);
});

test('Edit takes the lock, Save makes a version (renamed too) and gives the lock back; Cancel changes nothing', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'old text' });
  await openNote(n.id, 'old text');
  await edit();
  expect(parley.notes.note(n.id)?.lock?.holder.userId).toBe(ADA.id);

  fireEvent.change(screen.getByRole('textbox', { name: 'Title' }), { target: { value: 'Plan B' } });
  fireEvent.change(textArea(), { target: { value: 'new text' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(body()?.textContent).toBe('new text'));
  expect(within(note()).getByRole('heading', { level: 2 }).textContent).toBe('Plan B');
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
  expect(parley.notes.versions(n.id).map((v) => [v.version, v.title, v.body])).toEqual([
    [2, 'Plan B', 'new text'],
    [1, 'Plan', 'old text'],
  ]);

  await edit();
  fireEvent.change(textArea(), { target: { value: 'thrown away' } });
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
  expect(body()?.textContent).toBe('new text');
  expect(parley.notes.versions(n.id)).toHaveLength(2);
});

test('an empty title is refused at the field and nothing is saved', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'text' });
  await openNote(n.id, 'text');
  await edit();
  fireEvent.change(screen.getByRole('textbox', { name: 'Title' }), { target: { value: '   ' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await screen.findByText('A note needs a title.');
  expect(parley.callsTo('note.save')).toHaveLength(0);
});

test('New note creates it and opens it in the editor under my lock', async () => {
  start();
  renderApp({ parley, hash: NOTES });
  await screen.findByText('No notes yet. Start one with New note.');
  fireEvent.click(screen.getByRole('button', { name: 'New note' }));
  fireEvent.click(screen.getByRole('button', { name: 'Create' }));
  await screen.findByText('Give the note a title.');
  fireEvent.change(screen.getByRole('textbox', { name: 'Title' }), { target: { value: 'Ideas' } });
  fireEvent.click(screen.getByRole('button', { name: 'Create' }));
  await screen.findByText(/You are editing · lock expires in/);
  const [created] = parley.partitions.get(ACME.id)!.notes.values();
  expect(created?.note.title).toBe('Ideas');
  expect(window.location.hash).toBe(noteHash(created!.note.id));
  expect(parley.notes.note(created!.note.id)?.lock?.holder.userId).toBe(ADA.id);
});

test('a viewer reads notes but has no New note and no Edit', async () => {
  start('viewer');
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'read me' });
  await openNote(n.id, 'read me');
  expect(within(note()).queryByRole('button', { name: /^Edit/ })).toBeNull();
  expect(screen.queryByRole('button', { name: 'New note' })).toBeNull();
  expect(within(note()).queryByRole('button', { name: 'Delete' })).toBeNull();
});

test('a lost lock keeps my text on screen with the reason; "Lock again and save" saves it once the note is free', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'base' });
  await openNote(n.id, 'base');
  await edit();
  fireEvent.change(textArea(), { target: { value: 'my precious words' } });
  // An admin ends my lock; Bob takes it.
  parley.notes.unlockAs(n.id, 'forced');
  parley.notes.lockAs(n.id, BOB);
  const alert = await screen.findByText(/Your lock on this note was lost/);
  expect(alert.textContent).toContain('Your text is kept below');
  expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Your text' }).value).toBe('my precious words');
  expect(parley.notes.versions(n.id)).toHaveLength(1);

  parley.notes.unlockAs(n.id);
  fireEvent.click(screen.getByRole('button', { name: 'Lock again and save' }));
  await waitFor(() => expect(body()?.textContent).toBe('my precious words'));
  expect(parley.notes.versions(n.id).map((v) => v.body)).toEqual(['my precious words', 'base']);
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
});

/** A note "Plan" at "base"; Ada goes offline, presses Edit and types `text` into her draft. */
async function offlineDraft(text: string) {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'base' });
  const app = await openNote(n.id, 'base');
  app.goOffline();
  fireEvent.click(editButton());
  await screen.findByText(/Not saved — offline/);
  fireEvent.change(textArea(), { target: { value: text } });
  return { n, app };
}

test('offline, Edit keeps a draft marked "Not saved — offline"; back online it is saved once and the lock given back', async () => {
  const { n, app } = await offlineDraft('typed on the train');
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await screen.findByText(/Not saved — offline/);
  expect(parley.notes.versions(n.id)).toHaveLength(1);

  app.goOnline();
  await waitFor(() => expect(body()?.textContent).toBe('typed on the train'), { timeout: 10_000 });
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
  expect(parley.notes.versions(n.id).map((v) => v.body)).toEqual(['typed on the train', 'base']);
  expect(await app.client().noteDrafts.list(ACME.id)).toEqual([]);
});

/** Ada writes "mine" offline on "base" while Bob saves "theirs"; back online, the choice shows. */
async function conflictAfterOffline() {
  const { n, app } = await offlineDraft('mine');
  parley.notes.saveAs(n.id, BOB, { body: 'theirs' });
  app.goOnline();
  const region = await screen.findByRole('region', { name: 'Choose a version' }, { timeout: 10_000 });
  return { n, region };
}

test('a draft whose note changed meanwhile shows both texts; "Keep theirs" drops mine and saves nothing', async () => {
  const { n, region } = await conflictAfterOffline();
  expect(within(region).getByLabelText('Their text').textContent).toBe('theirs');
  expect(within(region).getByLabelText('Your text').textContent).toBe('mine');
  expect(parley.notes.versions(n.id)).toHaveLength(2);

  fireEvent.click(within(region).getByRole('button', { name: 'Keep theirs' }));
  await waitFor(() => expect(body()?.textContent).toBe('theirs'));
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
  expect(parley.notes.versions(n.id)).toHaveLength(2);
});

test('"Save mine" in the conflict saves my text as the next version', async () => {
  const { n, region } = await conflictAfterOffline();
  fireEvent.click(within(region).getByRole('button', { name: 'Save mine' }));
  await waitFor(() => expect(body()?.textContent).toBe('mine'));
  expect(parley.notes.versions(n.id).map((v) => v.body)).toEqual(['mine', 'theirs', 'base']);
});

test('History lists the versions; an old one is restored as the next version', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Plan', body: 'first' });
  parley.notes.saveAs(n.id, BOB, { body: 'second' });
  await openNote(n.id, 'second');
  fireEvent.click(within(note()).getByRole('button', { name: 'History' }));
  const history = await screen.findByRole('region', { name: 'History' });
  await waitFor(() => expect(within(history).getAllByRole('listitem')).toHaveLength(2));
  fireEvent.click(within(history).getByRole('button', { name: 'Version 1' }));
  fireEvent.click(within(history).getByRole('button', { name: 'Restore version 1' }));
  await waitFor(() => expect(body()?.textContent).toBe('first'));
  expect(parley.notes.versions(n.id).map((v) => [v.version, v.body])).toEqual([
    [3, 'first'],
    [2, 'second'],
    [1, 'first'],
  ]);
  await waitFor(() => expect(parley.notes.note(n.id)?.lock).toBeNull());
  await waitFor(() =>
    expect(
      within(screen.getByRole('region', { name: 'History' }))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toHaveLength(3),
  );
});

test('the creator deletes a note after confirming; it leaves the list', async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Scratch', body: 'tmp', by: { id: ADA.id, displayName: 'Ada' } });
  parley.notes.seed(ACME.id, { title: 'Keep', body: 'kept' });
  await openNote(n.id, 'tmp');
  fireEvent.click(within(note()).getByRole('button', { name: 'Delete' }));
  const dialog = await screen.findByRole('alertdialog');
  fireEvent.click(within(dialog).getByRole('button', { name: 'Delete note' }));
  await waitFor(() => expect(window.location.hash).toBe(NOTES));
  const list = screen.getByRole('navigation', { name: 'All notes' });
  await waitFor(() =>
    expect(
      within(list)
        .getAllByRole('link')
        .map((a) => a.querySelector('.note-link-title')?.textContent),
    ).toEqual(['Keep']),
  );
  expect(parley.notes.note(n.id)).toBeNull();
});

test("a member does not get Delete on someone else's note, nor Force unlock", async () => {
  start();
  const n = parley.notes.seed(ACME.id, { title: 'Bobs', body: 'his' });
  await openNote(n.id, 'his');
  parley.notes.lockAs(n.id, BOB);
  await screen.findByText(/Bob is editing · lock expires/);
  expect(within(note()).queryByRole('button', { name: 'Delete' })).toBeNull();
  expect(within(note()).queryByRole('button', { name: 'Force unlock' })).toBeNull();
});

test('an admin force-unlocks after confirming: the lock ends for everyone', async () => {
  start('admin');
  const n = parley.notes.seed(ACME.id, { title: 'Stuck', body: 'locked' });
  await openNote(n.id, 'locked');
  parley.notes.lockAs(n.id, BOB);
  await screen.findByText(/Bob is editing · lock expires/);
  fireEvent.click(within(note()).getByRole('button', { name: 'Force unlock' }));
  fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Force unlock' }));
  await waitFor(() => expect(screen.queryByText(/Bob is editing · lock expires/)).toBeNull());
  expect(parley.notes.note(n.id)?.lock).toBeNull();
  expect(parley.partitions.get(ACME.id)!.events.at(-1)).toMatchObject({ type: 'note.unlocked', data: { reason: 'forced', by: ADA.id } });
  expect((editButton() as HTMLButtonElement).disabled).toBe(false);
});
