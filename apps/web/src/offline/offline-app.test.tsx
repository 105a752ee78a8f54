import 'fake-indexeddb/auto';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { persistQueryClientSave } from '@tanstack/react-query-persist-client';
import { getQueryKey } from '@trpc/react-query';
import { App } from '../app.tsx';
import { trpc, type Me } from '../lib/trpc.ts';
import { createQueryPersistence } from './query-persistence.ts';

const ADA: Me = {
  id: '0197a000-0000-7000-8000-00000000000a',
  username: 'ada',
  displayName: 'Ada',
  isAdmin: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  sessionExpiresAt: '2026-01-02T00:00:00.000Z',
  limits: { mediaMaxBytes: 25 * 1024 * 1024, avatarMaxBytes: 5 * 1024 * 1024 },
};

/** What an online visit an hour ago left in IndexedDB (the app's own store). */
async function savedVisit(buildId: string) {
  const queryClient = new QueryClient();
  const updatedAt = Date.now() - 60 * 60_000;
  queryClient.setQueryData(getQueryKey(trpc.auth.me, undefined, 'query'), ADA, { updatedAt });
  const partitions = [{ id: 'acme', name: 'Acme', role: 'owner', createdAt: '2026-01-01T00:00:00.000Z' }];
  queryClient.setQueryData(getQueryKey(trpc.partition.list, undefined, 'query'), partitions, { updatedAt });
  await persistQueryClientSave({ queryClient, ...createQueryPersistence({ buildId, restore: false, throttleMs: 0 }).persistOptions });
}

const fetchFails = vi.fn((_url: string | URL | Request) => Promise.reject(new TypeError('Failed to fetch')));
const authMeAttempts = () => fetchFails.mock.calls.filter(([url]) => (url instanceof Request ? url.url : String(url)).includes('auth.me')).length;

beforeEach(() => {
  window.location.hash = '#/';
  vi.stubGlobal('fetch', fetchFails);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  fetchFails.mockClear();
});

test('with the server unreachable, the last signed-in person sees their workspaces, not sign-in or an error', async () => {
  await savedVisit('build-1');
  render(<App buildId="build-1" />);

  expect(await screen.findByRole('heading', { name: 'Your workspaces' })).toBeTruthy();
  expect(screen.getByText('Acme')).toBeTruthy();
  expect(screen.getByText('Ada')).toBeTruthy();

  // auth.me was asked, and it and its retries (1 s, then 2 s later) all failed: still there.
  await waitFor(() => expect(authMeAttempts()).toBe(3), { timeout: 6_000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(screen.getByText('Acme')).toBeTruthy();
  expect(screen.queryByRole('alert')).toBeNull();
  expect(screen.queryByRole('heading', { name: 'Sign in' })).toBeNull();
});

test('a cache from another build is not shown: the app waits for the server instead', async () => {
  await savedVisit('build-1');
  render(<App buildId="build-2" />);

  await waitFor(() => expect(authMeAttempts()).toBe(1));
  expect(screen.getByRole('status').textContent).toBe('Loading Parley…');
  expect(screen.queryByText('Acme')).toBeNull();
});
