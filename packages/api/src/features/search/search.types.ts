import type { RoomKind } from '@parley/db';
import type { SearchSnippet } from '@parley/rules';

export type { SearchSnippet } from '@parley/rules';

/** One message a search found, as the searcher may see it. */
export interface SearchHitDto {
  messageId: string;
  partitionId: string;
  roomId: string;
  /** '' for a direct message: its people name it. */
  roomName: string;
  roomKind: RoomKind;
  authorId: string;
  authorName: string;
  createdAt: string;
  editedAt: string | null;
  /** The message's position in the workspace's event log (also the page cursor). */
  eventId: number;
  /** The text around the first match, with the matches as `[start, end)` ranges: render as text, never HTML. */
  snippet: SearchSnippet;
  /** Set (true) when the searcher blocked the author: clients collapse it. Absent otherwise. */
  authorBlocked?: true;
}

export interface SearchPage {
  /** Newest first. */
  hits: SearchHitDto[];
  /** Pass as `cursor` for the next (older) hits; null when there are no more. */
  nextCursor: number | null;
  /** The words looked for, as the server's text search read the query (what the snippets highlight). */
  terms: string[];
}
