import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { EventSource } from 'eventsource';
import { WS_RETRY_INTERVAL_MS } from '@parley/client';
import { GENERAL, MockParley } from '../test/msw-server.ts';
import { renderApp, renderLiveGeneral, type RenderAppOptions } from '../test/render-app.tsx';

let parley: MockParley;
beforeEach(() => {
  parley = new MockParley();
  parley.listen();
});
afterEach(async () => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  await parley.close();
});

/** Opens #general and waits until the sidebar says "Live" and the stream is running. */
async function openLive(options: Omit<RenderAppOptions, 'parley'> = {}) {
  const app = await renderLiveGeneral({ parley, ...options });
  await waitFor(() => expect(indicator()).toBe('Live'));
  return app;
}

/** The banner above the chat (null while there is nothing to say). */
function banner(): HTMLElement | null {
  return within(screen.getByRole('main')).queryByRole('status');
}

function bannerText(): string {
  return banner()?.textContent ?? '';
}

/** The sidebar's pill: "Live", "Live (HTTP fallback)", "Offline", "Reconnecting…", "Disconnected". */
function indicator(): string {
  return within(screen.getByRole('complementary', { name: 'Workspace' })).getByTitle('Live updates').textContent ?? '';
}

function write(text: string) {
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: 'Enter' });
}

/** "Reconnecting in N s (attempt k of m)" → [N, k]. */
function countdown(): [seconds: number, attempt: number] {
  const match = /Connection lost\. Reconnecting in (\d+) s \(attempt (\d+) of 10\)\./.exec(bannerText());
  if (!match) throw new Error(`No countdown in the banner: “${bannerText()}”`);
  return [Number(match[1]), Number(match[2])];
}

test('nothing shows while live; “You are offline…” while the network is away; gone when it is back', async () => {
  const app = await openLive();
  expect(banner()).toBeNull();

  app.goOffline();
  await waitFor(() => expect(bannerText()).toBe('You are offline. What you write is kept on this device and sent when you are back online.'));
  expect(indicator()).toBe('Offline');
  expect(within(banner()!).queryByRole('button')).toBeNull();

  app.goOnline();
  await waitFor(() => expect(banner()).toBeNull());
  await waitFor(() => expect(indicator()).toBe('Live'));
  await parley.whenSubscribed();
});

test('a lost socket shows “Reconnecting in N s (attempt k of 10)”, counting down, and “Retry now” reconnects', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  await openLive();
  parley.refuseSockets(true);
  parley.closeSockets();

  await waitFor(() => expect(countdown()[1]).toBe(1));
  // The first retry waits 1 s plus up to 1 s of jitter.
  expect([1, 2]).toContain(countdown()[0]);
  expect(indicator()).toBe('Reconnecting…');

  // The retry is refused too: the next one waits 2 s (+ jitter).
  await vi.advanceTimersByTimeAsync(2_000);
  await waitFor(() => expect(countdown()[1]).toBe(2));
  const [before] = countdown();
  expect([2, 3]).toContain(before);
  await vi.advanceTimersByTimeAsync(1_000);
  await waitFor(() => expect(countdown()[0]).toBeLessThan(before));

  // Third attempt (4–5 s away): "Retry now" must not wait for it.
  await vi.advanceTimersByTimeAsync(2_000);
  await waitFor(() => expect(countdown()[1]).toBe(3));
  parley.refuseSockets(false);
  fireEvent.click(within(banner()!).getByRole('button', { name: 'Retry now' }));
  await waitFor(() => expect(banner()).toBeNull(), { timeout: 1_000 });
  expect(indicator()).toBe('Live');
  await parley.whenSubscribed();
});

test('after the last attempt: “Could not reconnect…”, no more tries, and “Retry now” reconnects and catches up', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  await openLive({ connection: { maxAttempts: 1 } });
  parley.refuseSockets(true);
  parley.closeSockets();
  await waitFor(() => expect(bannerText()).toMatch(/Reconnecting in \d s \(attempt 1 of 1\)/));

  await vi.advanceTimersByTimeAsync(2_000);
  await waitFor(() => expect(bannerText()).toMatch(/^Could not reconnect after 1 attempt\. The connection closed \(code 1006\)\.Retry now$/));
  expect(indicator()).toBe('Disconnected');
  const attempts = parley.connectionAttempts;
  await vi.advanceTimersByTimeAsync(60_000);
  expect(parley.connectionAttempts).toBe(attempts);

  // Meanwhile someone wrote; the stream resumes from where it stopped.
  parley.post('while you were away');
  parley.refuseSockets(false);
  fireEvent.click(within(banner()!).getByRole('button', { name: 'Retry now' }));
  await waitFor(() => expect(banner()).toBeNull());
  expect(indicator()).toBe('Live');
  expect(await screen.findByText('while you were away')).toBeTruthy();
  expect(parley.callsTo('message.list')).toHaveLength(1);
});

test('a change made offline (a reaction) is counted as a change, beside the messages', async () => {
  const app = await openLive();
  parley.post('react to me');
  await screen.findByText('react to me');
  app.goOffline();
  const seen = app
    .client()
    .messages.getRoom('acme', GENERAL.id)
    .messages.find((m) => m.body === 'react to me');
  app.client().actions.react('acme', seen!.id!, '👍');
  write('one');
  await waitFor(() => expect(bannerText()).toContain('1 message and 1 change waiting to be sent'));
  app.goOnline();
  await waitFor(() => expect(banner()).toBeNull());
});

test('offline, the banner counts what waits to be sent and for how long; the count goes once they are sent', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  const app = await openLive();
  app.goOffline();
  write('one');
  await waitFor(() => expect(bannerText()).toContain('1 message waiting to be sent, the oldest for 0 s.'));
  await vi.advanceTimersByTimeAsync(30_000);
  write('two');
  write('three');
  await waitFor(() => expect(bannerText()).toContain('3 messages waiting to be sent, the oldest for 30 s.'));
  expect(bannerText()).toContain('You are offline.');
  await vi.advanceTimersByTimeAsync(150_000);
  await waitFor(() => expect(bannerText()).toContain('3 messages waiting to be sent, the oldest for 3 min.'));
  expect(parley.sendRequests).toHaveLength(0);

  app.goOnline();
  await waitFor(() => expect(banner()).toBeNull());
  expect(parley.sendRequests.map((r) => r.body)).toEqual(['one', 'two', 'three']);
  await waitFor(() => expect(screen.getAllByRole('img', { name: 'Sent' })).toHaveLength(3));
});

test('sending too fast: the banner says when the next message goes, and it goes then', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  await openLive();
  parley.refuseSends({ code: 'TOO_MANY_REQUESTS', message: 'You are sending messages too fast (at most 10 in 10 seconds).' });
  write('slow down');
  await waitFor(() => expect(bannerText()).toMatch(/You are sending messages too fast\. The next one goes in \d+ s\./));
  expect(bannerText()).toContain('1 message waiting to be sent');
  parley.refuseSends(null);
  await vi.advanceTimersByTimeAsync(2_000);
  await waitFor(() => expect(banner()).toBeNull());
  expect(parley.messages().map((m) => m.body)).toEqual(['slow down']);
  await screen.findByRole('img', { name: 'Sent' });
});

test('where WebSockets are refused it is “Live (HTTP fallback)” over server-sent events, and plain “Live” once a WebSocket opens again', async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  // happy-dom has no EventSource; a browser has its own.
  vi.stubGlobal('EventSource', EventSource);
  parley.refuseSockets(true);
  renderApp({ parley });
  await screen.findByText('No messages in #general yet. Say hello!');
  // Two refused attempts (1–2 s, then 2–3 s of backoff), then a third that also asks over HTTP.
  await vi.advanceTimersByTimeAsync(5_000);
  await waitFor(() => expect(indicator()).toBe('Live (HTTP fallback)'));
  await parley.whenSubscribed();
  expect(parley.eventStreams).toBeGreaterThanOrEqual(1);
  expect(banner()).toBeNull();

  parley.post('over http');
  expect(await screen.findByText('over http')).toBeTruthy();

  parley.refuseSockets(false);
  const attempts = parley.connectionAttempts;
  await vi.advanceTimersByTimeAsync(WS_RETRY_INTERVAL_MS);
  await waitFor(() => expect(indicator()).toBe('Live'));
  expect(parley.connectionAttempts).toBe(attempts + 1);
  await parley.whenSubscribed();
  // The event streams are closed: the events come once, over the socket.
  await waitFor(() => expect(parley.subscriptionCount()).toBe(1));
  parley.post('over the socket');
  expect(await screen.findByText('over the socket')).toBeTruthy();
  expect(screen.getAllByText('over http')).toHaveLength(1);
});
