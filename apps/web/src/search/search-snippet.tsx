import type { ReactNode } from 'react';
import type { SearchSnippet } from '@parley/client';

/**
 * A hit's snippet with its matches in `<mark>`: text nodes and `<mark>` elements only, never
 * HTML made from the message (the ranges are offsets into plain text).
 */
export function SnippetText({ snippet }: { snippet: SearchSnippet }) {
  const { text } = snippet;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of snippet.highlights) {
    // Ranges come in order; anything out of order or out of bounds is shown unmarked.
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
