import { afterEach, expect, test, vi } from 'vitest';
import { endPushOnSignOut } from './push-signout.ts';

function fakeBrowser(subscription: { endpoint: string; unsubscribe: () => Promise<boolean> } | null) {
  const registration = { pushManager: { getSubscription: async () => subscription } };
  vi.stubGlobal('navigator', { ...navigator, serviceWorker: { getRegistration: async () => registration } });
}

function fakeClient(mutate: (input: { endpoint: string }) => Promise<unknown>) {
  return { trpc: { push: { unsubscribe: { mutate } } } } as unknown as Parameters<typeof endPushOnSignOut>[0];
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

test('signing out tells the server to forget this browser’s subscription, then drops it in the browser', async () => {
  const order: string[] = [];
  fakeBrowser({ endpoint: 'https://push.example/abc', unsubscribe: async () => (order.push('browser'), true) });
  const mutate = vi.fn(async (input: { endpoint: string }) => order.push(`server ${input.endpoint}`));
  await endPushOnSignOut(fakeClient(mutate));
  expect(order).toEqual(['server https://push.example/abc', 'browser']);
});

test('offline, the browser still drops it (the push service’s 410 tells the server later); sign-out is held up 3 s at most', async () => {
  vi.useFakeTimers();
  const unsubscribe = vi.fn(async () => true);
  fakeBrowser({ endpoint: 'https://push.example/abc', unsubscribe });
  const done = endPushOnSignOut(fakeClient(() => new Promise(() => {})));
  await vi.advanceTimersByTimeAsync(2999);
  expect(unsubscribe).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(1);
  await done;
  expect(unsubscribe).toHaveBeenCalledOnce();
});

test('no subscription, or no service worker at all: nothing is asked of the server', async () => {
  const mutate = vi.fn(async () => undefined);
  fakeBrowser(null);
  await endPushOnSignOut(fakeClient(mutate));
  vi.stubGlobal('navigator', {});
  await endPushOnSignOut(fakeClient(mutate));
  expect(mutate).not.toHaveBeenCalled();
});
