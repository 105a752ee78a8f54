/** A search's text at most, after trimming. @example `query.trim().length <= SEARCH_QUERY_MAX_CHARS` */
export const SEARCH_QUERY_MAX_CHARS = 200;

/** Hits per page of `search.messages` at most, and by default. @example `limit <= SEARCH_PAGE_MAX` */
export const SEARCH_PAGE_MAX = 50;
export const SEARCH_PAGE_DEFAULT = 20;

/** How long a hit's snippet is at most (characters, ellipses included). @example `hit.snippet.text.length <= SEARCH_SNIPPET_CHARS` */
export const SEARCH_SNIPPET_CHARS = 200;

/**
 * A hit's snippet: plain text and the ranges to highlight in it, as `[start, end)` offsets in
 * UTF-16 code units, in order, never overlapping. Render the text as text and wrap the ranges in
 * an element (`<mark>`): there is no markup in `text`, and none may be made from it.
 * @example
 * ```ts
 * const { text, highlights } = hit.snippet; // 'we deploy on Friday', [[3, 9]]
 * text.slice(...highlights[0]!); // 'deploy'
 * ```
 */
export interface SearchSnippet {
  text: string;
  highlights: [start: number, end: number][];
}

/** Letters, marks and digits: what a word is made of for PostgreSQL's default text search parser. */
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}]`;
/** Context kept before the first match when the body is longer than a snippet. */
const LEAD_CHARS = 40;
const ELLIPSIS = '…';

/**
 * The snippet of `body` a search hit shows: whitespace folded to single spaces, cut to at most
 * `maxChars` around the first match (`…` where it was cut), with every whole-word,
 * case-insensitive occurrence of one of `terms` highlighted. `terms` are the search's positive
 * words as the server's text search made them (lower case; `e-mail`, `ada@example.com` and
 * `v1.2` stay one term). A body without a match (none of its words were typed, say the other
 * half of a hyphenated word) gives its start, without highlights.
 * @example
 * ```ts
 * searchSnippet('We deploy on Friday. Deploying is fun', ['deploy']);
 * // { text: 'We deploy on Friday. Deploying is fun', highlights: [[3, 9]] }
 * ```
 */
export function searchSnippet(body: string, terms: readonly string[], maxChars = SEARCH_SNIPPET_CHARS): SearchSnippet {
  const flat = body.replace(/\s+/g, ' ').trim();
  const matches = findTerms(flat, terms);
  if (flat.length <= maxChars) return { text: flat, highlights: matches };
  const first = matches[0];
  let start = first ? Math.max(0, first[0] - LEAD_CHARS) : 0;
  if (start > 0) {
    // Begin at a word: after the first space past the cut (unless that skips the match).
    const space = flat.indexOf(' ', start);
    start = space !== -1 && first && space < first[0] ? space + 1 : lowSurrogateSafe(flat, start);
  }
  const prefix = start > 0 ? ELLIPSIS : '';
  let end = Math.min(flat.length, start + maxChars - prefix.length);
  if (end < flat.length) {
    end -= ELLIPSIS.length;
    const space = flat.lastIndexOf(' ', end);
    end = space > start && (!first || space >= first[1]) ? space : lowSurrogateSafe(flat, end);
  }
  const suffix = end < flat.length ? ELLIPSIS : '';
  const text = `${prefix}${flat.slice(start, end).trimEnd()}${suffix}`;
  const shift = prefix.length - start;
  const limit = start + (text.length - prefix.length - suffix.length);
  const highlights = matches.filter(([s, e]) => s >= start && e <= limit).map(([s, e]): [number, number] => [s + shift, e + shift]);
  return { text, highlights };
}

/** Whole-word, case-insensitive occurrences of the terms in `text`, in order, not overlapping. */
function findTerms(text: string, terms: readonly string[]): [number, number][] {
  const words = [...new Set(terms.map((t) => t.trim()).filter((t) => t.length > 0))].sort((a, b) => b.length - a.length).slice(0, 32);
  if (words.length === 0) return [];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<!${WORD_CHAR})(?:${escaped.join('|')})(?!${WORD_CHAR})`, 'giu');
  const out: [number, number][] = [];
  for (const m of text.matchAll(pattern)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** Never cut between the two halves of a surrogate pair (an emoji, say). */
function lowSurrogateSafe(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}

/**
 * The words a search looks for, roughly as the server's `websearch_to_tsquery('simple', …)`
 * reads them: lower case, quotes dropped, the words after a `-` (excluded) left out, `or` between
 * words an operator. The server uses PostgreSQL's own reading; test fakes and clients use this one
 * (to highlight locally, or to tell that a search has no word at all).
 * @example
 * ```ts
 * searchTerms('"Deploy Friday" -staging or prod'); // ['deploy', 'friday', 'prod']
 * ```
 */
export function searchTerms(query: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  const tokens = query.match(/"|-?[\p{L}\p{M}\p{N}]+(?:[-.@][\p{L}\p{M}\p{N}]+)*/gu) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '"') {
      inQuote = !inQuote;
      continue;
    }
    if (!inQuote && token.startsWith('-')) continue;
    const word = token.replace(/^-/, '').toLowerCase();
    if (!inQuote && word === 'or' && i > 0 && i < tokens.length - 1) continue;
    out.push(word);
  }
  return out;
}
