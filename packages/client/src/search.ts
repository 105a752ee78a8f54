import type { TRPCClient } from '@trpc/client';
import type { AppRouter, SearchPage } from '@parley/api';
import { REFUSAL, SEARCH_QUERY_MAX_CHARS } from '@parley/rules';

/** What a search may be narrowed to (each optional; all of them together). */
export interface SearchFilters {
  /** Only this room (one the user is in). */
  roomId?: string | undefined;
  /** Only what this person wrote. */
  authorId?: string | undefined;
  /** Sent at or after this instant (ISO-8601). */
  after?: string | undefined;
  /** Sent before this instant (ISO-8601). */
  before?: string | undefined;
}

/** One call of `search.messages`. */
export interface SearchInput extends SearchFilters {
  partitionId: string;
  query: string;
  /** `nextCursor` of the page before. */
  cursor?: number | undefined;
  /** Hits per page (1–50, default 20). */
  limit?: number | undefined;
}

/** Runs one search (the server's `search.messages`). @example `const page = await search({ partitionId: 'acme', query: 'deploy' })` */
export type SearchFunction = (input: SearchInput) => Promise<SearchPage>;

/**
 * `search.messages` over the typed tRPC client, the filters left out when empty.
 * @example
 * ```ts
 * const search = trpcSearch(client.trpc);
 * const { hits, nextCursor } = await search({ partitionId: 'acme', query: '"release notes" -draft', roomId });
 * ```
 */
export function trpcSearch(trpc: TRPCClient<AppRouter>): SearchFunction {
  return (input) => {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== '')) as unknown as SearchInput;
    return trpc.search.messages.query(defined);
  };
}

/**
 * What is wrong with a query before it is sent, in the server's words (null: nothing). The
 * server checks again, and also refuses a query with no word at all (`!!!`) or only excluded ones.
 * @example
 * ```ts
 * checkSearchQuery('  '); // 'Type something to search for.'
 * ```
 */
export function checkSearchQuery(query: string): string | null {
  const trimmed = query.trim();
  if (trimmed.length === 0) return REFUSAL.searchEmpty;
  if (trimmed.length > SEARCH_QUERY_MAX_CHARS) return REFUSAL.searchTooLong;
  return null;
}
