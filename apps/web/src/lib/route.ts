/** Where the app is, kept in the URL's hash so that a reload or a shared link lands there. */
export type Route =
  | { view: 'picker' }
  | { view: 'room'; partitionId: string; roomId: string | null }
  | { view: 'browse'; partitionId: string }
  | { view: 'notes'; partitionId: string; noteId: string | null }
  | { view: 'admin' };

/** The routes inside one workspace (its sidebar and a main pane). */
export type WorkspaceRoute = Extract<Route, { partitionId: string }>;

/** `#/w/acme`, `#/w/acme/r/<roomId>`, `#/w/acme/browse`, `#/w/acme/notes`, `#/w/acme/notes/<noteId>`, `#/admin`; anything else is the picker. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(safeDecode);
  const [w, partitionId, kind, id] = parts;
  if (w === 'admin' && parts.length === 1) return { view: 'admin' };
  if (w !== 'w' || !partitionId) return { view: 'picker' };
  if (kind === 'browse') return { view: 'browse', partitionId };
  if (kind === 'notes') return { view: 'notes', partitionId, noteId: id ?? null };
  if (kind === 'r' && id) return { view: 'room', partitionId, roomId: id };
  return { view: 'room', partitionId, roomId: null };
}

export function formatRoute(route: Route): string {
  if (route.view === 'picker') return '#/';
  if (route.view === 'admin') return '#/admin';
  const base = `#/w/${encodeURIComponent(route.partitionId)}`;
  if (route.view === 'browse') return `${base}/browse`;
  if (route.view === 'notes') return route.noteId ? `${base}/notes/${encodeURIComponent(route.noteId)}` : `${base}/notes`;
  return route.roomId ? `${base}/r/${encodeURIComponent(route.roomId)}` : base;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
