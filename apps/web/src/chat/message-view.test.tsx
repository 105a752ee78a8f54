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
  vi.unstubAllGlobals();
  await parley.close();
});

function write(text: string) {
  const input = screen.getByLabelText('Message #general');
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: 'Enter' });
}

function history(): HTMLElement {
  return screen.getByRole('region', { name: 'Message history of #general' });
}

/** An IntersectionObserver the test drives: `show()` says the sentinel came into view. */
function stubIntersectionObserver() {
  const observers = new Set<{ callback: IntersectionObserverCallback; targets: Element[] }>();
  class FakeObserver {
    readonly entry: { callback: IntersectionObserverCallback; targets: Element[] };
    constructor(callback: IntersectionObserverCallback) {
      this.entry = { callback, targets: [] };
      observers.add(this.entry);
    }
    observe(target: Element) {
      this.entry.targets.push(target);
    }
    disconnect() {
      observers.delete(this.entry);
    }
    unobserve() {}
    takeRecords() {
      return [];
    }
  }
  vi.stubGlobal('IntersectionObserver', FakeObserver);
  return {
    show() {
      for (const { callback, targets } of [...observers]) {
        callback(
          targets.map((target) => ({ target, isIntersecting: true }) as unknown as IntersectionObserverEntry),
          {} as IntersectionObserver,
        );
      }
    },
  };
}

test('messages show their formatting; HTML and javascript: stay text; links open in a new tab', async () => {
  parley.post('**Hello** _there_, see https://example.com/a. <b>not bold</b> [x](javascript:alert(1))');
  renderApp({ parley });
  const strong = await screen.findByText('Hello');
  expect(strong.tagName).toBe('STRONG');
  const body = strong.closest('.message-body')!;
  expect(body.querySelector('em')?.textContent).toBe('there');
  expect(body.querySelector('b')).toBeNull();
  const links = within(body as HTMLElement).getAllByRole('link');
  expect(links.map((a) => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')])).toEqual([
    ['https://example.com/a', '_blank', 'noopener noreferrer'],
  ]);
  expect(body.textContent).toBe('Hello there, see https://example.com/a. <b>not bold</b> [x](javascript:alert(1))');
  expect(body.querySelector('p')?.getAttribute('dir')).toBe('auto');
  expect(screen.getByLabelText('Message #general').getAttribute('dir')).toBe('auto');
});

test('the history is a labelled region that takes the keyboard focus', async () => {
  await renderLiveGeneral({ parley });
  const region = history();
  expect(region.tabIndex).toBe(0);
  region.focus();
  expect(document.activeElement).toBe(region);
});

test('reaching the top of the history loads older messages by itself; the button stays as a fallback', async () => {
  const io = stubIntersectionObserver();
  for (let i = 1; i <= 60; i++) parley.post(`message ${i}`);
  renderApp({ parley });
  await screen.findByText('message 60');
  expect(screen.queryByText('message 10')).toBeNull();
  expect(screen.getByRole('button', { name: 'Load older messages' })).toBeTruthy();

  io.show();
  await screen.findByText('message 10');
  expect(parley.callsTo('message.list')).toHaveLength(2);
  expect(screen.getByText('This is the beginning of #general.')).toBeTruthy();
  // Nothing more to load: seeing the top again asks for nothing.
  io.show();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(parley.callsTo('message.list')).toHaveLength(2);
});

test('without IntersectionObserver, scrolling near the top loads older messages', async () => {
  vi.stubGlobal('IntersectionObserver', undefined);
  for (let i = 1; i <= 60; i++) parley.post(`message ${i}`);
  renderApp({ parley });
  await screen.findByText('message 60');
  const region = history();
  region.scrollTop = 0;
  fireEvent.scroll(region);
  await screen.findByText('message 10');
  expect(parley.callsTo('message.list')).toHaveLength(2);
});

test('the menu button counts messages in other rooms until one is opened', async () => {
  await renderLiveGeneral({ parley });
  expect(screen.getByRole('button', { name: 'Open sidebar' })).toBeTruthy();

  parley.post('psst', { room: RANDOM, author: BOB });
  parley.post('over here', { room: RANDOM, author: BOB });
  parley.post('in general');
  await screen.findByText('in general');
  const menu = await screen.findByRole('button', { name: 'Open sidebar, 2 unread messages in other rooms' });
  expect(menu.textContent).toBe('2');

  window.location.hash = roomHash(RANDOM);
  await screen.findByText('over here');
  await waitFor(() => expect(screen.getByRole('button', { name: 'Open sidebar' }).textContent).toBe(''));
});

test('a rate-limited message says so at the message, not “waiting for the connection”', async () => {
  await renderLiveGeneral({ parley });
  parley.refuseSends({ code: 'TOO_MANY_REQUESTS', message: 'You are sending messages too fast (at most 10 in 10 seconds).' });
  write('slow down');
  const row = (await screen.findByText('slow down')).closest('li')!;
  await waitFor(() => expect(row.textContent).toMatch(/You are sending too fast; trying again in \d+ s/));
  expect(row.textContent).not.toContain('Waiting for the connection');
  parley.refuseSends(null);
  await waitFor(() => expect(within(row).getByRole('img').getAttribute('aria-label')).toBe('Sent'), { timeout: 5000 });
});

test('a 500 from the server says the server had a problem, at the message and in the banner, and it retries', async () => {
  await renderLiveGeneral({ parley });
  parley.refuseSends({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  write('are you ok?');
  const row = (await screen.findByText('are you ok?')).closest('li')!;
  await waitFor(() => expect(row.textContent).toContain('The server had a problem; retrying…'));
  expect(row.textContent).not.toContain('Waiting for the connection');
  await waitFor(() => expect(within(screen.getByRole('main')).getByRole('status').textContent).toContain('The server had a problem; retrying…'));

  parley.refuseSends(null);
  await waitFor(() => expect(within(row).getByRole('img').getAttribute('aria-label')).toBe('Sent'), { timeout: 8000 });
  expect(parley.messages().map((m) => m.body)).toEqual(['are you ok?']);
}, 15_000);
