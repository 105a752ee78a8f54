// @vitest-environment happy-dom
import { act, cleanup, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { SearchHitDto, SearchPage } from '@parley/api';
import { REFUSAL } from '@parley/rules';
import type { SearchInput } from './search.ts';
import { SEARCH_DEBOUNCE_MS, useSearchWith } from './use-search.ts';

/** A search server under the test's control: every call waits until the test answers it. */
function fakeSearch() {
  const calls: { input: SearchInput; resolve: (page: SearchPage) => void; reject: (error: Error) => void }[] = [];
  const search = (input: SearchInput) => new Promise<SearchPage>((resolve, reject) => calls.push({ input, resolve, reject }));
  return { client: { search }, calls };
}

const hit = (id: string): SearchHitDto => ({
  messageId: id,
  partitionId: 'acme',
  roomId: 'r1',
  roomName: 'general',
  roomKind: 'public',
  authorId: 'u1',
  authorName: 'Ada',
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  eventId: Number(id.slice(1)),
  snippet: { text: `deploy ${id}`, highlights: [[0, 6]] },
});
const page = (ids: string[], nextCursor: number | null = null): SearchPage => ({ hits: ids.map(hit), nextCursor, terms: ['deploy'] });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

async function flush() {
  await act(async () => {
    await Promise.resolve();
  });
}

test('sends the query once typing pauses, trimmed, with the filters; loading, then the hits', async () => {
  const { client, calls } = fakeSearch();
  const { result, rerender } = renderHook(({ q }: { q: string }) => useSearchWith(client, 'acme', q, { roomId: 'r1', authorId: '' }), {
    initialProps: { q: '' },
  });
  expect(result.current.status).toBe('idle');
  for (const q of ['d', 'de', 'dep', ' deploy ']) {
    rerender({ q });
    act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS / 3));
  }
  expect(result.current.status).toBe('loading');
  expect(calls).toHaveLength(0);
  act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS));
  expect(calls.map((c) => c.input)).toEqual([
    { partitionId: 'acme', query: 'deploy', roomId: 'r1', authorId: '', after: undefined, before: undefined, limit: undefined },
  ]);
  calls[0]!.resolve(page(['m3', 'm2']));
  await flush();
  expect(result.current).toMatchObject({ status: 'ready', query: 'deploy', terms: ['deploy'], hasMore: false, error: null });
  expect(result.current.hits.map((h) => h.messageId)).toEqual(['m3', 'm2']);
});

test('an answer to an older query is dropped; a query too long is refused here, in the server’s words, without a request', async () => {
  const { client, calls } = fakeSearch();
  const { result, rerender } = renderHook(({ q }: { q: string }) => useSearchWith(client, 'acme', q), { initialProps: { q: 'first' } });
  act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS));
  rerender({ q: 'second' });
  act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS));
  expect(calls.map((c) => c.input.query)).toEqual(['first', 'second']);
  calls[1]!.resolve(page(['m2']));
  await flush();
  calls[0]!.resolve(page(['m1']));
  await flush();
  expect(result.current.query).toBe('second');
  expect(result.current.hits.map((h) => h.messageId)).toEqual(['m2']);

  rerender({ q: 'x'.repeat(201) });
  await flush();
  expect(result.current).toMatchObject({ status: 'error', error: REFUSAL.searchTooLong, hits: [] });
  act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS * 2));
  expect(calls).toHaveLength(2);
  rerender({ q: '   ' });
  await flush();
  expect(result.current.status).toBe('idle');
});

test('loadMore appends the next page (each hit once) until there is none; a failure says why and retry runs it again', async () => {
  const { client, calls } = fakeSearch();
  const { result } = renderHook(() => useSearchWith(client, 'acme', 'deploy', {}, { debounceMs: 0, limit: 2 }));
  act(() => void vi.advanceTimersByTime(0));
  calls[0]!.resolve(page(['m9', 'm8'], 8));
  await flush();
  expect(result.current.hasMore).toBe(true);
  act(() => result.current.loadMore());
  expect(result.current.loadingMore).toBe(true);
  expect(calls[1]!.input).toMatchObject({ query: 'deploy', cursor: 8, limit: 2 });
  calls[1]!.resolve(page(['m8', 'm5'], null));
  await flush();
  expect(result.current.hits.map((h) => h.messageId)).toEqual(['m9', 'm8', 'm5']);
  expect(result.current).toMatchObject({ hasMore: false, loadingMore: false });

  act(() => result.current.retry());
  act(() => void vi.advanceTimersByTime(0));
  calls[2]!.reject(new Error('Something went wrong on the server.'));
  await flush();
  expect(result.current).toMatchObject({ status: 'error', error: 'Something went wrong on the server.' });
  act(() => result.current.retry());
  act(() => void vi.advanceTimersByTime(0));
  calls[3]!.resolve(page(['m9']));
  await flush();
  expect(result.current).toMatchObject({ status: 'ready', error: null });
});
