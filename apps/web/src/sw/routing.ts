/**
 * What the service worker does with a request. Pure, so it is tested without a worker.
 *
 * - `network-first`: a page load. The server's `index.html` when it answers in time, else the
 *   precached one, so the app opens offline.
 * - `cache-first`: the build's own files. Their names carry a content hash, so a cached copy is
 *   never stale.
 * - `passthrough`: not touched at all (`respondWith` is not called), the browser fetches it.
 */
export type Route = 'network-first' | 'cache-first' | 'passthrough';

export interface RoutableRequest {
  url: string;
  method: string;
  /** `Request.mode`: `navigate` for a page load. */
  mode: string;
}

/**
 * Live data and probes: answering these from a cache would show a signed-out person's data, a
 * dead server as alive, or stale metrics. `/trpc` is both HTTP and the WebSocket (whose upgrade
 * never reaches a service worker, but a navigation to it might). `/media`: a file opened or
 * downloaded must be the server's answer (with its access check, `Content-Disposition` and
 * `nosniff`), never the app's page in its place when the network is slow.
 */
const NEVER_INTERCEPTED = ['/trpc', '/live', '/ready', '/health', '/metrics', '/media'];

/** Vite's output folder for hashed files (`build.assetsDir`). */
export const HASHED_ASSETS_PREFIX = '/assets/';

function isNeverIntercepted(pathname: string): boolean {
  return NEVER_INTERCEPTED.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

/**
 * @param origin the service worker's own origin
 * @param precached the paths of the precache manifest (`/`, `/index.html`, `/assets/…`)
 */
export function routeRequest(request: RoutableRequest, origin: string, precached: ReadonlySet<string>): Route {
  if (request.method !== 'GET') return 'passthrough';
  const url = new URL(request.url);
  if (url.origin !== origin) return 'passthrough';
  if (isNeverIntercepted(url.pathname)) return 'passthrough';
  if (request.mode === 'navigate') return 'network-first';
  if (precached.has(url.pathname) || url.pathname.startsWith(HASHED_ASSETS_PREFIX)) return 'cache-first';
  return 'passthrough';
}
