import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { ACME, ADA, BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderApp, renderLiveGeneral } from '../test/render-app.tsx';

let parley: MockParley;
const realConfirm = window.confirm;
beforeEach(() => {
  parley = new MockParley();
  parley.listen();
});
afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  window.confirm = realConfirm;
  await parley.close();
});

const EDIT = /^Edit \(\d:\d\d left\)$/;

function composer(): HTMLTextAreaElement {
  return screen.getByLabelText<HTMLTextAreaElement>('Message #general');
}

function write(text: string) {
  fireEvent.change(composer(), { target: { value: text } });
  fireEvent.keyDown(composer(), { key: 'Enter' });
}

function rows(): HTMLElement[] {
  return within(screen.getByRole('list', { name: 'Messages in #general' })).queryAllByRole('listitem');
}

/** The one row showing this text (its body, or its collapsed placeholder). */
function theRow(text: string): HTMLElement {
  const found = rows().filter((row) => within(row).queryByText(text) !== null);
  if (found.length !== 1) throw new Error(`Expected one row with “${text}”, found ${found.length}.`);
  return found[0]!;
}

async function sentRow(text: string): Promise<HTMLElement> {
  await waitFor(() => expect(within(theRow(text)).getByRole('img').getAttribute('aria-label')).toBe('Sent'));
  return theRow(text);
}

/** Focuses the row (the keyboard's way; hovering shows the same toolbar) and returns its toolbar. */
function toolbarOf(row: HTMLElement): HTMLElement {
  act(() => row.focus());
  return within(row).getByRole('toolbar', { name: 'Message actions' });
}

function bodyOf(row: HTMLElement): string {
  return row.querySelector('.message-body')?.textContent ?? '';
}

function chip(row: HTMLElement, emoji: string): HTMLElement | null {
  return within(row).queryByRole('button', { name: new RegExp(`^${emoji} \\d+:`) });
}

test('I edit my message within the window: “(edited)” with the edit time; an edit by Bob shows live the same way', async () => {
  await renderLiveGeneral({ parley });
  write('helo all');
  const row = await sentRow('helo all');

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: EDIT }));
  const field = within(row).getByLabelText<HTMLTextAreaElement>('Edit message');
  expect(document.activeElement).toBe(field);
  fireEvent.change(field, { target: { value: 'hello all' } });
  fireEvent.keyDown(field, { key: 'Enter' });

  await waitFor(() => expect(bodyOf(theRow('hello all'))).toBe('hello all (edited)'));
  await waitFor(() => expect(parley.messages()[0]).toMatchObject({ body: 'hello all', editedAt: expect.any(String) }));
  expect(parley.callsTo('message.edit')).toEqual([expect.objectContaining({ body: 'hello all', opId: expect.any(String) })]);
  const mark = within(theRow('hello all')).getByText('(edited)');
  expect(mark.getAttribute('title')).toMatch(/^Edited /);

  const bobs = parley.post('teh plan');
  await screen.findByText('teh plan');
  parley.actions.editAs(bobs.type === 'message.created' ? bobs.data.id : '', 'the plan');
  await waitFor(() => expect(bodyOf(theRow('the plan'))).toBe('the plan (edited)'));
  // Not mine: no Edit offered.
  expect(within(toolbarOf(theRow('the plan'))).queryByRole('button', { name: EDIT })).toBeNull();
});

test('Edit shows the time left, and is gone 5 minutes after sending; Up-arrow then edits nothing', async () => {
  await renderLiveGeneral({ parley });
  write('on time');
  const row = await sentRow('on time');
  expect(within(toolbarOf(row)).getByRole('button', { name: /^Edit \((4:5\d|5:00) left\)$/ })).toBeTruthy();

  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + 4 * 60_000);
  await waitFor(() => expect(within(row).getByRole('button', { name: /^Edit \(0:5\d|1:00 left\)$/ })).toBeTruthy());

  vi.setSystemTime(Date.now() + 61_000);
  await waitFor(() => expect(within(row).queryByRole('button', { name: EDIT })).toBeNull());
  expect(within(row).getByRole('button', { name: 'Reply' })).toBeTruthy();

  composer().focus();
  fireEvent.keyDown(composer(), { key: 'ArrowUp' });
  expect(screen.queryByLabelText('Edit message')).toBeNull();
});

test('delete for everyone asks first, then leaves a tombstone for everyone; Bob’s deletion shows live', async () => {
  await renderLiveGeneral({ parley });
  write('oops, wrong room');
  const row = await sentRow('oops, wrong room');

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'Delete for everyone' }));
  const dialog = screen.getByRole('alertdialog', { name: 'Delete this message for everyone?' });
  fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
  expect(screen.queryByRole('alertdialog')).toBeNull();
  expect(bodyOf(row)).toContain('oops, wrong room');

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'Delete for everyone' }));
  fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
  await screen.findByText('This message was deleted');
  expect(screen.queryByText('oops, wrong room')).toBeNull();
  await waitFor(() => expect(parley.messages()[0]).toMatchObject({ body: '', deletedAt: expect.any(String) }));
  // A tombstone offers only “Delete for me”.
  const tombstone = theRow('This message was deleted');
  expect(
    within(toolbarOf(tombstone))
      .getAllByRole('button')
      .map((b) => b.textContent),
  ).toEqual(['Delete for me']);

  const bobs = parley.post('a secret');
  await screen.findByText('a secret');
  parley.actions.deleteAs(bobs.type === 'message.created' ? bobs.data.id : '');
  await waitFor(() => expect(screen.getAllByText('This message was deleted')).toHaveLength(2));
  expect(screen.queryByText('a secret')).toBeNull();
});

test('a member is not offered deleting Bob’s message for everyone; a workspace admin is, and the server agrees', async () => {
  await renderLiveGeneral({ parley });
  parley.post('spam spam');
  const row = await waitFor(() => theRow('spam spam'));
  expect(within(toolbarOf(row)).queryByRole('button', { name: 'Delete for everyone' })).toBeNull();
  cleanup();
  await parley.close();

  parley = new MockParley({ partitions: [{ partition: { ...ACME, role: 'admin' }, rooms: [GENERAL, RANDOM] }] });
  parley.listen();
  parley.post('spam spam');
  renderApp({ parley });
  const adminRow = await waitFor(() => theRow('spam spam'));
  fireEvent.click(within(toolbarOf(adminRow)).getByRole('button', { name: 'Delete for everyone' }));
  fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
  await waitFor(() => expect(parley.messages()[0]?.deletedAt).not.toBeNull());
  await screen.findByText('This message was deleted');
});

test('delete for me hides the message for me only: the server keeps it for everyone else', async () => {
  parley.post('not for you');
  parley.post('still here');
  renderApp({ parley });
  const row = await waitFor(() => theRow('not for you'));
  await parley.whenSubscribed();

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'Delete for me' }));
  await waitFor(() => expect(screen.queryByText('not for you')).toBeNull());
  expect(screen.getByText('still here')).toBeTruthy();
  await waitFor(() => expect(parley.callsTo('message.delete')).toEqual([expect.objectContaining({ scope: 'me' })]));
  expect(parley.messages().map((m) => [m.body, m.deletedAt])).toEqual([
    ['not for you', null],
    ['still here', null],
  ]);

  // Another visit (a fresh client) does not bring it back.
  cleanup();
  renderApp({ parley });
  await screen.findByText('still here');
  expect(screen.queryByText('not for you')).toBeNull();
});

test('reactions: Bob’s shows with its count; mine toggles on the chip, highlighted; the picker takes any one emoji', async () => {
  await renderLiveGeneral({ parley });
  const posted = parley.post('ship it?');
  const id = posted.type === 'message.created' ? posted.data.id : '';
  await screen.findByText('ship it?');
  parley.actions.reactAs(id, '👍');
  const row = theRow('ship it?');
  await waitFor(() => expect(chip(row, '👍')?.getAttribute('aria-label')).toBe('👍 1: Bob'));
  expect(chip(row, '👍')?.getAttribute('aria-pressed')).toBe('false');
  expect(chip(row, '👍')?.getAttribute('title')).toBe('Bob');

  fireEvent.click(chip(row, '👍')!);
  await waitFor(() => expect(chip(row, '👍')?.getAttribute('aria-label')).toBe('👍 2: Bob and Ada (you reacted)'));
  expect(chip(row, '👍')?.getAttribute('aria-pressed')).toBe('true');
  await waitFor(() => expect(parley.actions.message(id).reactions).toEqual([{ emoji: '👍', userIds: [BOB.id, ADA.id] }]));

  fireEvent.click(chip(row, '👍')!);
  await waitFor(() => expect(chip(row, '👍')?.getAttribute('aria-label')).toBe('👍 1: Bob'));
  await waitFor(() => expect(parley.actions.message(id).reactions).toEqual([{ emoji: '👍', userIds: [BOB.id] }]));

  const toolbar = toolbarOf(row);
  fireEvent.click(within(toolbar).getByRole('button', { name: 'React' }));
  fireEvent.click(within(row).getByRole('button', { name: 'React with 🎉' }));
  await waitFor(() => expect(chip(row, '🎉')?.getAttribute('aria-pressed')).toBe('true'));

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'React' }));
  const field = within(row).getByLabelText('Any emoji');
  fireEvent.change(field, { target: { value: 'ok' } });
  fireEvent.click(within(row).getByRole('button', { name: 'Add' }));
  expect(within(row).getByRole('alert').textContent).toBe('Type one emoji, such as 👍.');
  fireEvent.change(field, { target: { value: '🦄' } });
  fireEvent.click(within(row).getByRole('button', { name: 'Add' }));
  await waitFor(() => expect(chip(row, '🦄')?.getAttribute('aria-label')).toBe('🦄 1: Ada (you reacted)'));
  await waitFor(() => expect(parley.actions.message(id).reactions.map((r) => r.emoji)).toEqual(['👍', '🎉', '🦄']));
});

test('a reply quotes the original; its quote jumps there, loading older history first, and follows a deletion', async () => {
  parley.post('the original question');
  for (let i = 1; i <= 60; i++) parley.post(`message ${i}`);
  renderApp({ parley });
  await screen.findByText('message 60');
  await parley.whenSubscribed();
  fireEvent.click(screen.getByRole('button', { name: 'Load older messages' }));
  const original = await waitFor(() => theRow('the original question'));

  fireEvent.click(within(toolbarOf(original)).getByRole('button', { name: 'Reply' }));
  expect(screen.getByText(/^Replying to/).textContent).toBe('Replying to Bob: the original question');
  expect(document.activeElement).toBe(composer());
  // Escape stops replying; Reply again to go on.
  fireEvent.keyDown(composer(), { key: 'Escape' });
  expect(screen.queryByText(/^Replying to/)).toBeNull();
  fireEvent.click(within(toolbarOf(original)).getByRole('button', { name: 'Reply' }));
  write('I can answer that');
  const reply = await sentRow('I can answer that');
  expect(screen.queryByText(/^Replying to/)).toBeNull();
  const originalId = parley.messages()[0]!.id;
  expect(parley.messages().at(-1)?.replyTo).toMatchObject({ id: originalId, authorName: 'Bob', snippet: 'the original question', deleted: false });
  expect(within(reply).getByRole('button', { name: /Bob: the original question/ })).toBeTruthy();

  // A new visit loads only the latest page: the original is far back.
  cleanup();
  renderApp({ parley });
  const again = await waitFor(() => theRow('I can answer that'));
  expect(screen.queryByText('the original question')).toBeNull();
  const listsBefore = parley.callsTo('message.list').length;
  fireEvent.click(within(again).getByRole('button', { name: /Bob: the original question/ }));
  const found = await waitFor(() => theRow('the original question'));
  expect(parley.callsTo('message.list').length).toBeGreaterThan(listsBefore);
  await waitFor(() => expect(found.className).toContain('highlighted'));
  expect(document.activeElement).toBe(found);

  await parley.whenSubscribed();
  parley.actions.deleteAs(originalId);
  await waitFor(() => expect(within(theRow('I can answer that')).getByRole('button', { name: /Original message deleted/ })).toBeTruthy());
});

test('a quote whose original I deleted for myself says it cannot be found', async () => {
  const posted = parley.post('old news');
  renderApp({ parley });
  await screen.findByText('old news');
  await parley.whenSubscribed();
  fireEvent.click(within(toolbarOf(theRow('old news'))).getByRole('button', { name: 'Reply' }));
  write('what news?');
  await sentRow('what news?');
  fireEvent.click(within(toolbarOf(theRow('old news'))).getByRole('button', { name: 'Delete for me' }));
  await waitFor(() => expect(screen.queryByText('old news')).toBeNull());
  expect(posted.type).toBe('message.created');

  fireEvent.click(within(theRow('what news?')).getByRole('button', { name: /Bob: old news/ }));
  await screen.findByText('Could not find the original message');
});

test('Up-arrow in the empty composer edits my last message in place; Escape cancels; a queued one is edited in the outbox', async () => {
  const app = await renderLiveGeneral({ parley });
  write('first');
  write('secnod');
  await sentRow('secnod');
  composer().focus();
  fireEvent.keyDown(composer(), { key: 'ArrowUp' });
  const field = screen.getByLabelText<HTMLTextAreaElement>('Edit message');
  expect(field.value).toBe('secnod');
  expect(document.activeElement).toBe(field);
  fireEvent.keyDown(field, { key: 'Escape' });
  expect(screen.queryByLabelText('Edit message')).toBeNull();
  expect(document.activeElement).toBe(composer());

  fireEvent.keyDown(composer(), { key: 'ArrowUp' });
  const again = screen.getByLabelText<HTMLTextAreaElement>('Edit message');
  fireEvent.change(again, { target: { value: 'second' } });
  fireEvent.keyDown(again, { key: 'Enter' });
  await waitFor(() => expect(bodyOf(theRow('second'))).toBe('second (edited)'));
  expect(document.activeElement).toBe(composer());
  await waitFor(() => expect(parley.messages().map((m) => m.body)).toEqual(['first', 'second']));

  // Not with text in the box: then the arrow moves the caret.
  fireEvent.change(composer(), { target: { value: 'draft' } });
  fireEvent.keyDown(composer(), { key: 'ArrowUp' });
  expect(screen.queryByLabelText('Edit message')).toBeNull();
  fireEvent.change(composer(), { target: { value: '' } });

  app.goOffline();
  write('still queued');
  await waitFor(() => expect(within(theRow('still queued')).getByRole('img').getAttribute('aria-label')).toBe('Waiting to send'));
  fireEvent.keyDown(composer(), { key: 'ArrowUp' });
  const queuedField = screen.getByLabelText<HTMLTextAreaElement>('Edit message');
  expect(queuedField.value).toBe('still queued');
  fireEvent.change(queuedField, { target: { value: 'queued, then edited' } });
  fireEvent.keyDown(queuedField, { key: 'Enter' });
  await screen.findByText('queued, then edited');
  app.goOnline();
  await waitFor(() => expect(parley.messages().map((m) => m.body)).toEqual(['first', 'second', 'queued, then edited']));
  expect(parley.callsTo('message.edit')).toHaveLength(1);
});

test('a long press (500 ms, no move) opens the action sheet; a moving finger does not; the sheet acts and closes', async () => {
  await renderLiveGeneral({ parley });
  parley.post('press me');
  const row = await waitFor(() => theRow('press me'));

  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
  fireEvent.touchStart(row, { touches: [{ clientX: 40, clientY: 40 }] });
  fireEvent.touchMove(row, { touches: [{ clientX: 40, clientY: 80 }] });
  act(() => {
    vi.advanceTimersByTime(600);
  });
  fireEvent.touchEnd(row, { touches: [] });
  expect(screen.queryByRole('dialog', { name: 'Message actions' })).toBeNull();

  fireEvent.touchStart(row, { touches: [{ clientX: 40, clientY: 40 }] });
  act(() => {
    vi.advanceTimersByTime(499);
  });
  expect(screen.queryByRole('dialog', { name: 'Message actions' })).toBeNull();
  act(() => {
    vi.advanceTimersByTime(1);
  });
  fireEvent.touchEnd(row, { touches: [] });
  vi.useRealTimers();

  const sheet = screen.getByRole('dialog', { name: 'Message actions' });
  expect(
    within(sheet)
      .getAllByRole('button')
      .map((b) => b.textContent),
  ).toEqual(['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', 'Add', 'Reply', 'Pin', 'Delete for me', 'Cancel']);
  fireEvent.click(within(sheet).getByRole('button', { name: 'React with ❤️' }));
  expect(screen.queryByRole('dialog', { name: 'Message actions' })).toBeNull();
  await waitFor(() => expect(chip(row, '❤️')?.getAttribute('aria-pressed')).toBe('true'));

  fireEvent.touchStart(row, { touches: [{ clientX: 40, clientY: 40 }] });
  await screen.findByRole('dialog', { name: 'Message actions' }, { timeout: 2000 });
  fireEvent.keyDown(screen.getByRole('dialog', { name: 'Message actions' }), { key: 'Escape' });
  expect(screen.queryByRole('dialog', { name: 'Message actions' })).toBeNull();
});

test('a long press on a reaction says who reacted, without opening the message’s sheet', async () => {
  await renderLiveGeneral({ parley });
  const posted = parley.post('vote here');
  await screen.findByText('vote here');
  parley.actions.reactAs(posted.type === 'message.created' ? posted.data.id : '', '🙏');
  const row = theRow('vote here');
  await waitFor(() => expect(chip(row, '🙏')).not.toBeNull());
  const pray = chip(row, '🙏')!;

  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
  fireEvent.touchStart(pray, { touches: [{ clientX: 10, clientY: 10 }] });
  act(() => {
    vi.advanceTimersByTime(500);
  });
  fireEvent.touchEnd(pray, { touches: [] });
  vi.useRealTimers();
  expect(within(row).getByRole('status').textContent).toBe('Bob reacted with 🙏');
  expect(screen.queryByRole('dialog', { name: 'Message actions' })).toBeNull();
});

test('the keyboard: a focused message shows its toolbar, Escape closes it, the arrow keys move between messages', async () => {
  await renderLiveGeneral({ parley });
  parley.post('one');
  parley.post('two');
  const two = await waitFor(() => theRow('two'));
  const one = theRow('one');
  expect(two.tabIndex).toBe(0);
  expect(one.tabIndex).toBe(-1);

  const toolbar = toolbarOf(two);
  const reply = within(toolbar).getByRole('button', { name: 'Reply' });
  act(() => reply.focus());
  fireEvent.keyDown(reply, { key: 'ArrowRight' });
  expect(document.activeElement?.textContent).toBe('Pin');
  fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
  expect(within(two).queryByRole('toolbar')).toBeNull();
  expect(document.activeElement).toBe(two);

  fireEvent.keyDown(two, { key: 'ArrowUp' });
  expect(document.activeElement).toBe(one);
  expect(within(one).getByRole('toolbar')).toBeTruthy();
  expect(one.tabIndex).toBe(0);
});

test('a blocked person’s messages are collapsed, each can be shown; blocking asks first, and unblocking opens them', async () => {
  parley.post('before the block');
  renderApp({ parley });
  await screen.findByText('before the block');
  await parley.whenSubscribed();
  const confirm = vi.fn<(question?: string) => boolean>(() => false);
  window.confirm = confirm;

  fireEvent.click(screen.getByRole('button', { name: 'Block Bob' }));
  expect(confirm).toHaveBeenCalledWith(expect.stringContaining('Block Bob?'));
  expect(screen.getByText('before the block')).toBeTruthy();

  confirm.mockReturnValue(true);
  fireEvent.click(screen.getByRole('button', { name: 'Block Bob' }));
  await screen.findByText('Message from a blocked user');
  expect(screen.queryByText('before the block')).toBeNull();
  await waitFor(() => expect(parley.actions.blockedBy(ADA.id)).toEqual([BOB.id]));

  parley.post('after the block');
  await waitFor(() => expect(screen.getAllByText('Message from a blocked user')).toHaveLength(2));
  expect(screen.queryByText('after the block')).toBeNull();
  expect(screen.queryByText('Bob', { selector: '.author' })).toBeNull();

  fireEvent.click(within(rows()[0]!).getByRole('button', { name: 'Show' }));
  expect(screen.getByText('before the block')).toBeTruthy();
  expect(screen.getAllByText('Message from a blocked user')).toHaveLength(1);

  fireEvent.click(screen.getByRole('button', { name: 'Unblock Bob' }));
  await screen.findByText('after the block');
  expect(screen.queryByText('Message from a blocked user')).toBeNull();
  await waitFor(() => expect(parley.actions.blockedBy(ADA.id)).toEqual([]));
});

test('someone blocked before this visit comes collapsed from the server', async () => {
  parley.block(ADA.id, BOB.id);
  parley.post('hidden at first');
  renderApp({ parley });
  await screen.findByText('Message from a blocked user');
  expect(screen.queryByText('hidden at first')).toBeNull();
  expect(screen.getByRole('button', { name: 'Unblock Bob' })).toBeTruthy();
});

test('a change the server refuses shows its reason on the message, with Dismiss; “saving…” while one waits', async () => {
  const app = await renderLiveGeneral({ parley });
  write('said too soon');
  const row = await sentRow('said too soon');

  // The device's clock says there is time left; the server's says the window closed.
  parley.actions.clockOffsetMs = 10 * 60_000;
  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: EDIT }));
  const field = within(row).getByLabelText('Edit message');
  fireEvent.change(field, { target: { value: 'said in time' } });
  fireEvent.keyDown(field, { key: 'Enter' });
  const alert = await within(row).findByText(/^Messages can be edited for 5 minutes after sending; the time to edit this one ended at .* UTC\.$/);
  expect(bodyOf(row)).toBe('said too soon');
  fireEvent.click(within(alert.closest('[role="alert"]') as HTMLElement).getByRole('button', { name: 'Dismiss' }));
  await waitFor(() => expect(within(row).queryByRole('alert')).toBeNull());
  expect(parley.messages()[0]?.body).toBe('said too soon');

  app.goOffline();
  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'React' }));
  fireEvent.click(within(row).getByRole('button', { name: 'React with 👀' }));
  await within(row).findByText('saving…');
  expect(chip(row, '👀')?.getAttribute('aria-pressed')).toBe('true');
  app.goOnline();
  await waitFor(() => expect(within(row).queryByText('saving…')).toBeNull());
  expect(parley.messages()[0]?.reactions).toEqual([{ emoji: '👀', userIds: [ADA.id] }]);

  // Refused at once: shown pinned, then the server's answer.
  parley.actions.refuseOps({ code: 'FORBIDDEN', message: 'Pins are off in this room.' });
  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'Pin' }));
  await within(row).findByText('Pins are off in this room.');
  expect(within(row).queryByText('Pinned')).toBeNull();
  expect(parley.messages()[0]?.pinnedAt).toBeNull();
});

test('pin a message: marked in the history and listed under “Pinned”, from where Jump finds it and Unpin takes it back', async () => {
  parley.post('remember this');
  renderApp({ parley });
  const row = await waitFor(() => theRow('remember this'));
  await parley.whenSubscribed();

  fireEvent.click(within(toolbarOf(row)).getByRole('button', { name: 'Pin' }));
  await waitFor(() => expect(within(row).getByText('Pinned').closest('.pinned-mark')?.getAttribute('title')).toBe('Pinned by Ada'));
  await waitFor(() => expect(parley.messages()[0]).toMatchObject({ pinnedBy: ADA.id }));

  fireEvent.click(screen.getByRole('button', { name: 'Pinned' }));
  const panel = screen.getByRole('complementary', { name: 'Pinned messages in #general' });
  await within(panel).findByText('remember this');
  fireEvent.click(within(panel).getByRole('button', { name: 'Jump' }));
  await waitFor(() => expect(theRow('remember this').className).toContain('highlighted'));

  fireEvent.click(within(panel).getByRole('button', { name: 'Unpin' }));
  await within(panel).findByText('Nothing is pinned in #general yet.');
  await waitFor(() => expect(parley.messages()[0]?.pinnedAt).toBeNull());
});
