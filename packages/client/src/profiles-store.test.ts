import { describe, expect, test } from 'vitest';
import { TRPCClientError, createTRPCClient } from '@trpc/client';
import type { AppRouter, ParleyEvent } from '@parley/api';
import { AvatarUploadError, ProfilesStore, trpcProfilesApi, type Profile, type ProfileChange, type ProfilesApi } from './profiles-store.ts';

const ann: Profile = { userId: 'ann', displayName: 'Ann', status: '', avatarId: null };
const ben: Profile = { userId: 'ben', displayName: 'Ben', status: 'busy', avatarId: 'av1' };

function profileEvent(data: Profile): ParleyEvent {
  return { id: 9, partitionId: 'acme', roomId: null, at: '2026-01-01T00:00:00Z', actorId: data.userId, type: 'profile.updated', data };
}

function setup(api: Partial<ProfilesApi> = {}) {
  const listeners = new Set<(event: ParleyEvent) => void>();
  const watched: string[] = [];
  const store = new ProfilesStore({
    api: {
      list: () => Promise.resolve([ann, ben]),
      mine: () => Promise.resolve(ann),
      update: () => Promise.reject(new Error('no')),
      uploadAvatar: () => Promise.reject(new Error('no')),
      avatarUrl: (id) => `/avatar/${id}`,
      ...api,
    },
    events: {
      watch: (partitionId) => {
        watched.push(partitionId);
        return () => watched.splice(watched.indexOf(partitionId), 1);
      },
      onEvent: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  });
  const emit = (event: ParleyEvent) => listeners.forEach((l) => l(event));
  return { store, emit, watched };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('ProfilesStore', () => {
  test('watching a workspace loads its profiles and keeps its stream open until the last watcher stops', async () => {
    const { store, watched } = setup();
    const stopOne = store.watch('acme');
    const stopTwo = store.watch('acme');
    expect(store.status('acme').status).toBe('loading');
    await settle();
    expect(store.getSnapshot()).toEqual({ ann, ben });
    expect(store.status('acme')).toEqual({ status: 'ready', error: null });
    expect(watched).toEqual(['acme']);
    stopOne();
    expect(watched).toEqual(['acme']);
    stopTwo();
    expect(watched).toEqual([]);
  });

  test('a profile.updated event changes the person at once, and a new snapshot object only then', async () => {
    const { store, emit } = setup();
    store.watch('acme');
    await settle();
    const before = store.getSnapshot();
    let notified = 0;
    store.subscribe(() => notified++);
    emit(profileEvent(ben));
    expect(store.getSnapshot()).toBe(before);
    expect(notified).toBe(0);
    emit(profileEvent({ ...ann, displayName: 'Ann Lee', avatarId: 'av2' }));
    expect(store.get('ann')).toEqual({ ...ann, displayName: 'Ann Lee', avatarId: 'av2' });
    expect(store.getSnapshot()).not.toBe(before);
    expect(notified).toBe(1);
  });

  test('an event that arrives while the list is on its way wins over the older list', async () => {
    let answer!: (list: Profile[]) => void;
    const { store, emit } = setup({ list: () => new Promise((resolve) => (answer = resolve)) });
    store.watch('acme');
    emit(profileEvent({ ...ann, status: 'newer' }));
    answer([ann, ben]);
    await settle();
    expect(store.get('ann')?.status).toBe('newer');
    expect(store.get('ben')).toEqual(ben);
  });

  test('a failed load says why and can be tried again', async () => {
    let fail = true;
    const { store } = setup({ list: () => (fail ? Promise.reject(new Error('No such workspace.')) : Promise.resolve([ben])) });
    store.watch('acme');
    await settle();
    expect(store.status('acme')).toEqual({ status: 'error', error: 'No such workspace.' });
    fail = false;
    await store.load('acme');
    expect(store.status('acme').status).toBe('ready');
    expect(store.get('ben')).toEqual(ben);
  });

  test('update retries a lost answer once with the same opId, and shows the answer at once', async () => {
    const calls: (ProfileChange & { opId: string })[] = [];
    const { store } = setup({
      update: (input) => {
        calls.push(input);
        if (calls.length === 1) return Promise.reject(new TypeError('Failed to fetch'));
        return Promise.resolve({ ...ann, status: input.status ?? '' });
      },
    });
    const profile = await store.update({ status: 'Lunch' });
    expect(profile.status).toBe('Lunch');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.opId).toBe(calls[1]!.opId);
    expect(store.get('ann')?.status).toBe('Lunch');
  });

  test('the same change asked again after the change limit stopped it keeps its opId; another change gets a new one', async () => {
    const opIds: string[] = [];
    const limited = new TRPCClientError('You are making changes too fast.', {
      result: { error: { code: -32029, message: 'You are making changes too fast.', data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 } } },
    });
    const { store } = setup({
      update: (input) => {
        opIds.push(input.opId);
        return opIds.length === 1 ? Promise.reject(limited) : Promise.resolve({ ...ann, displayName: input.displayName ?? 'Ann' });
      },
    });
    await expect(store.update({ displayName: 'Ann Lee' })).rejects.toBe(limited);
    await store.update({ displayName: 'Ann Lee' });
    await store.update({ displayName: 'Ann Lee' });
    expect(opIds[1]).toBe(opIds[0]);
    expect(opIds[2]).not.toBe(opIds[0]);
  });

  test('a refusal is not retried and changes nothing here', async () => {
    let calls = 0;
    const refusal = new TRPCClientError('status: A status has at most 80 characters.', {
      result: {
        error: {
          code: -32600,
          message: 'status: …',
          data: { code: 'BAD_REQUEST', httpStatus: 400, fieldErrors: { status: ['A status has at most 80 characters.'] } },
        },
      },
    });
    const { store } = setup({
      update: () => {
        calls++;
        return Promise.reject(refusal);
      },
    });
    await expect(store.update({ status: 'x'.repeat(81) })).rejects.toBe(refusal);
    expect(calls).toBe(1);
    expect(store.get('ann')).toBeUndefined();
  });
});

describe('trpcProfilesApi.uploadAvatar', () => {
  const trpc = createTRPCClient<AppRouter>({ links: [] });

  test('posts the bytes to /avatar with the token and its type, and answers the id', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const api = trpcProfilesApi(trpc, {
      url: 'http://parley.test/app',
      token: () => 'tok',
      fetch: (url, init) => {
        seen.push({ url: url instanceof Request ? url.url : url.toString(), init: init! });
        return Promise.resolve(new Response(JSON.stringify({ id: 'av9' }), { status: 201 }));
      },
    });
    const file = new Blob([new Uint8Array([0x89, 0x50])], { type: 'image/png' });
    expect(await api.uploadAvatar(file)).toEqual({ id: 'av9' });
    expect(seen[0]!.url).toBe('http://parley.test/avatar');
    expect(seen[0]!.init.method).toBe('POST');
    expect(seen[0]!.init.body).toBe(file);
    expect(seen[0]!.init.headers).toEqual({ 'content-type': 'image/png', authorization: 'Bearer tok' });
    expect(api.avatarUrl('av9')).toBe('http://parley.test/avatar/av9');
  });

  test("a refusal rejects with the server's words and status", async () => {
    const api = trpcProfilesApi(trpc, {
      url: 'http://parley.test',
      fetch: () =>
        Promise.resolve(
          new Response(JSON.stringify({ error: { message: 'An avatar is a JPEG, PNG, GIF or WebP image.', code: 'BAD_REQUEST' } }), { status: 415 }),
        ),
    });
    const error = await api.uploadAvatar(new Blob(['<svg/>'], { type: 'image/svg+xml' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AvatarUploadError);
    expect(error).toMatchObject({ message: 'An avatar is a JPEG, PNG, GIF or WebP image.', status: 415 });
  });
});
