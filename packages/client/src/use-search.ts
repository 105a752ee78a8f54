import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SearchHitDto } from '@parley/api';
import type { ParleyClient } from './create-client.ts';
import { checkSearchQuery, type SearchFilters } from './search.ts';

/** How long typing must pause before a search is sent (ms). */
export const SEARCH_DEBOUNCE_MS = 300;

export interface SearchView {
  /** The query the hits answer (trimmed, once typing paused); '' while idle. */
  readonly query: string;
  /** `idle`: nothing to search for; `loading`: the first page is on its way. */
  readonly status: 'idle' | 'loading' | 'ready' | 'error';
  /** Newest first; more are appended by `loadMore`. */
  readonly hits: readonly SearchHitDto[];
  /** The words the server looked for (what the snippets highlight). */
  readonly terms: readonly string[];
  /** Why the search (or the last `loadMore`) failed, in the server's words. */
  readonly error: string | null;
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  /** The next page of older hits. */
  loadMore: () => void;
  /** The same search again (after an error). */
  retry: () => void;
}

interface State {
  key: string;
  query: string;
  status: SearchView['status'];
  hits: readonly SearchHitDto[];
  terms: readonly string[];
  error: string | null;
  nextCursor: number | null;
  loadingMore: boolean;
}

const IDLE: State = { key: '', query: '', status: 'idle', hits: [], terms: [], error: null, nextCursor: null, loadingMore: false };

const messageOf = (error: unknown) => (error instanceof Error && error.message ? error.message : 'The search failed. Try again.');

/**
 * Searches a workspace's messages as the user types: `query` is sent once typing pauses
 * (`debounceMs`, default 300 ms), trimmed, with the filters; a query the server would refuse for
 * its length is answered here with the server's words, without a request. Answers to an older
 * query or filter are dropped. `loadMore()` appends the next page.
 * @example
 * ```tsx
 * const search = useSearch(partitionId, text, { roomId });
 * {search.status === 'loading' && <p>Searching…</p>}
 * {search.hits.map((hit) => <Hit key={hit.messageId} hit={hit} />)}
 * {search.hasMore && <button onClick={search.loadMore}>More</button>}
 * ```
 */
export function useSearchWith(
  client: Pick<ParleyClient, 'search'>,
  partitionId: string,
  query: string,
  filters: SearchFilters = {},
  options: { debounceMs?: number; limit?: number } = {},
): SearchView {
  const { debounceMs = SEARCH_DEBOUNCE_MS, limit } = options;
  const trimmed = query.trim();
  const { roomId, authorId, after, before } = filters;
  const key = JSON.stringify([partitionId, trimmed, roomId ?? '', authorId ?? '', after ?? '', before ?? '', limit ?? 0]);
  const [state, setState] = useState<State>(IDLE);
  const [attempt, setAttempt] = useState(0);
  const latest = useRef({ key, state });
  latest.current = { key, state };

  useEffect(() => {
    if (trimmed === '') {
      setState(IDLE);
      return;
    }
    const refusal = checkSearchQuery(trimmed);
    if (refusal) {
      setState({ ...IDLE, key, query: trimmed, status: 'error', error: refusal });
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      setState({ ...IDLE, key, query: trimmed, status: 'loading' });
      client.search({ partitionId, query: trimmed, roomId, authorId, after, before, limit }).then(
        (page) => {
          if (cancelled) return;
          setState({ ...IDLE, key, query: trimmed, status: 'ready', hits: page.hits, terms: page.terms, nextCursor: page.nextCursor });
        },
        (error: unknown) => {
          if (!cancelled) setState({ ...IDLE, key, query: trimmed, status: 'error', error: messageOf(error) });
        },
      );
    }, debounceMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // `key` covers the query and every filter; `attempt` is a retry.
  }, [key, attempt, client, debounceMs]);

  const loadMore = useCallback(() => {
    const { state: current } = latest.current;
    if (current.status !== 'ready' || current.nextCursor === null || current.loadingMore) return;
    const forKey = current.key;
    setState({ ...current, loadingMore: true, error: null });
    client.search({ partitionId, query: current.query, roomId, authorId, after, before, limit, cursor: current.nextCursor }).then(
      (page) =>
        setState((s) => {
          if (s.key !== forKey) return s;
          const known = new Set(s.hits.map((h) => h.messageId));
          return { ...s, loadingMore: false, hits: [...s.hits, ...page.hits.filter((h) => !known.has(h.messageId))], nextCursor: page.nextCursor };
        }),
      (error: unknown) => setState((s) => (s.key === forKey ? { ...s, loadingMore: false, error: messageOf(error) } : s)),
    );
  }, [client, partitionId, roomId, authorId, after, before, limit]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  // Until the debounce fires, the state may still answer an older key: it is shown as loading.
  const current = state.key === key || trimmed === '' ? state : { ...IDLE, key, query: trimmed, status: 'loading' as const };
  return useMemo(
    () => ({
      query: current.query,
      status: current.status,
      hits: current.hits,
      terms: current.terms,
      error: current.error,
      hasMore: current.status === 'ready' && current.nextCursor !== null,
      loadingMore: current.loadingMore,
      loadMore,
      retry,
    }),
    [current.query, current.status, current.hits, current.terms, current.error, current.nextCursor, current.loadingMore, loadMore, retry],
  );
}
