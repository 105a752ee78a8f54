import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BOB, GENERAL, MockParley, RANDOM } from '../test/msw-server.ts';
import { renderLiveGeneral } from '../test/render-app.tsx';

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

/** Opens #general with the live streams running, presence included. */
async function openGeneral() {
  const app = await renderLiveGeneral({ parley });
  await waitFor(() => expect(parley.presenceSubscriptionCount()).toBe(1));
  return app;
}

/** The member's row: "Bob" with its dot's words ("Online", "Offline · last seen 5 min ago"). */
function row(name: string): { dot: string | null; text: string } {
  const list = screen.getByRole('complementary', { name: 'Workspace' }).querySelector('.member-list') as HTMLElement;
  const li = within(list)
    .getAllByRole('listitem', { hidden: true })
    .find((item) => item.querySelector('.member-name')?.textContent === name);
  if (!li) throw new Error(`No member ${name}`);
  return { dot: li.querySelector('.presence-dot')?.getAttribute('aria-label') ?? null, text: li.textContent ?? '' };
}

const typingLine = () => document.querySelector('.typing-indicator')?.textContent?.trim() ?? '';

test('members show online, reconnecting and offline with last seen, as the server says', async () => {
  await openGeneral();
  // The subscriber counts as connected; Bob has never been seen.
  await waitFor(() => expect(row('Ada').dot).toBe('Online'));
  expect(row('Bob').dot).toBe('Offline');
  expect(screen.getByText(/Members · 2/).textContent).toContain('1 online');

  parley.setPresence(BOB.id, 'online');
  await waitFor(() => expect(row('Bob').dot).toBe('Online'));
  expect(screen.getByText(/Members · 2/).textContent).toContain('2 online');

  const now = Date.now();
  parley.setPresence(BOB.id, 'reconnecting', { lastSeenAt: new Date(now).toISOString(), offlineAt: new Date(now + 60_000).toISOString() });
  await waitFor(() => expect(row('Bob').dot).toBe('Reconnecting…'));

  parley.setPresence(BOB.id, 'offline', { lastSeenAt: new Date(now - 5 * 60_000 - 10_000).toISOString() });
  await waitFor(() => expect(row('Bob').dot).toBe('Offline · last seen 5 min ago'));
  expect(row('Bob').text).toContain('last seen 5 min ago');
});

test('a reconnecting member shows offline at the time they were due to, with no announcement', async () => {
  await openGeneral();
  const now = Date.now();
  parley.setPresence(BOB.id, 'reconnecting', { lastSeenAt: new Date(now).toISOString(), offlineAt: new Date(now + 400).toISOString() });
  await waitFor(() => expect(row('Bob').dot).toBe('Reconnecting…'));
  await waitFor(() => expect(row('Bob').dot).toBe('Offline · last seen just now'), { timeout: 3_000 });
});

test('after the connection comes back, a fresh snapshot replaces what was shown', async () => {
  await openGeneral();
  parley.setPresence(BOB.id, 'online');
  await waitFor(() => expect(row('Bob').dot).toBe('Online'));

  const list = () => document.querySelector('.member-list')!;
  expect(list().classList.contains('stale')).toBe(false);
  parley.closeSockets();
  await waitFor(() => expect(parley.presenceSubscriptionCount()).toBe(0));
  // Dimmed while the connection is lost.
  await waitFor(() => expect(list().classList.contains('stale')).toBe(true));
  // While Ada was away, Bob left (she got no announcement: nothing was open).
  parley.setPresence(BOB.id, 'offline', { lastSeenAt: new Date(Date.now() - 2 * 60_000 - 10_000).toISOString() });
  await waitFor(() => expect(parley.presenceSubscriptionCount()).toBe(1), { timeout: 5_000 });
  await waitFor(() => expect(row('Bob').dot).toBe('Offline · last seen 2 min ago'));
  expect(parley.presenceSnapshots).toBe(2);
  expect(list().classList.contains('stale')).toBe(false);
});

test('“Bob is typing…” shows under the messages of his room only, and goes when he stops or it runs out', async () => {
  await openGeneral();
  parley.typing(BOB.id, RANDOM);
  parley.typing(BOB.id, GENERAL);
  await waitFor(() => expect(typingLine()).toBe('Bob is typing…'));
  parley.typing(BOB.id, GENERAL, 0);
  await waitFor(() => expect(typingLine()).toBe(''));

  parley.typing(BOB.id, GENERAL, 300);
  await waitFor(() => expect(typingLine()).toBe('Bob is typing…'));
  await waitFor(() => expect(typingLine()).toBe(''), { timeout: 3_000 });
});

test('the composer signals typing at most every 2 s, and after a send the next keystroke signals at once', async () => {
  await openGeneral();
  const input = screen.getByLabelText('Message #general');
  for (const value of ['h', 'he', 'hel', 'hell', 'hello']) fireEvent.change(input, { target: { value } });
  await waitFor(() => expect(parley.typingRequests).toEqual([{ partitionId: 'acme', roomId: GENERAL.id }]));

  fireEvent.keyDown(input, { key: 'Enter' });
  await waitFor(() => expect(parley.messages().map((m) => m.body)).toEqual(['hello']));
  // Clearing the box is not typing.
  fireEvent.change(input, { target: { value: '' } });
  fireEvent.change(input, { target: { value: 'a' } });
  await waitFor(() => expect(parley.typingRequests).toHaveLength(2));
  expect(parley.calls.filter((c) => c.path === 'presence.typing').map((c) => c.input)).toEqual(parley.typingRequests);
});
