/** Where the app is, kept in the URL's hash so that a reload or a shared link lands there. */
export type Route =
  | { view: 'picker' }
  /** `messageId`: opened at that message (a search hit), the history around it loaded. */
  | { view: 'room'; partitionId: string; roomId: string | null; messageId?: string | undefined }
  | { view: 'browse'; partitionId: string }
  | { view: 'notes'; partitionId: string; noteId: string | null }
  | ({ view: 'search'; partitionId: string } & SearchParams)
  | { view: 'admin' };

/** A search as the URL keeps it (so Back from a hit comes back to the same results). */
export interface SearchParams {
  query: string;
  roomId?: string | undefined;
  authorId?: string | undefined;
  /** First day, `YYYY-MM-DD` (local), included. */
  from?: string | undefined;
  /** Last day, `YYYY-MM-DD` (local), included. */
  to?: string | undefined;
}

/** The routes inside one workspace (its sidebar and a main pane). */
export type WorkspaceRoute = Extract<Route, { partitionId: string }>;

const SEARCH_KEYS = { q: 'query', room: 'roomId', author: 'authorId', from: 'from', to: 'to' } as const;

/**
 * `#/w/acme`, `#/w/acme/r/<roomId>`, `#/w/acme/r/<roomId>/m/<messageId>`, `#/w/acme/browse`,
 * `#/w/acme/notes`, `#/w/acme/notes/<noteId>`, `#/w/acme/search?q=…&room=…&author=…&from=…&to=…`,
 * `#/admin`; anything else is the picker.
 */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [w, partitionId, kind, id, sub, subId] = parts;
  if (w === 'admin' && parts.length === 1) return { view: 'admin' };
  if (w !== 'w' || !partitionId) return { view: 'picker' };
  if (kind === 'browse') return { view: 'browse', partitionId };
  if (kind === 'notes') return { view: 'notes', partitionId, noteId: id ?? null };
  if (kind === 'search') {
    const params = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
    const route: Route = { view: 'search', partitionId, query: params.get('q') ?? '' };
    for (const [key, field] of Object.entries(SEARCH_KEYS)) {
      const value = params.get(key);
      if (field !== 'query' && value) route[field] = value;
    }
    return route;
  }
  if (kind === 'r' && id) return sub === 'm' && subId ? { view: 'room', partitionId, roomId: id, messageId: subId } : { view: 'room', partitionId, roomId: id };
  return { view: 'room', partitionId, roomId: null };
}

export function formatRoute(route: Route): string {
  if (route.view === 'picker') return '#/';
  if (route.view === 'admin') return '#/admin';
  const base = `#/w/${encodeURIComponent(route.partitionId)}`;
  if (route.view === 'browse') return `${base}/browse`;
  if (route.view === 'notes') return route.noteId ? `${base}/notes/${encodeURIComponent(route.noteId)}` : `${base}/notes`;
  if (route.view === 'search') {
    const params = new URLSearchParams();
    for (const [key, field] of Object.entries(SEARCH_KEYS)) {
      const value = route[field];
      if (value) params.set(key, value);
    }
    const query = params.toString();
    return query ? `${base}/search?${query}` : `${base}/search`;
  }
  if (!route.roomId) return base;
  const room = `${base}/r/${encodeURIComponent(route.roomId)}`;
  return route.messageId ? `${room}/m/${encodeURIComponent(route.messageId)}` : room;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
