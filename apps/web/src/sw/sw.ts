/// <reference lib="webworker" />
/**
 * The service worker. Built on its own (IIFE, see `vite-plugins/service-worker.ts`), which
 * replaces `__PARLEY_PRECACHE__` with this build's manifest. Not part of the app bundle.
 */
import { HASHED_ASSETS_PREFIX, routeRequest } from './routing.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PARLEY_PRECACHE__: { cacheName: string; cachePrefix: string; urls: string[] };

const { cacheName, cachePrefix, urls } = __PARLEY_PRECACHE__;
const precached = new Set(urls);
const INDEX_HTML = '/index.html';
/**
 * How long a page load waits for the server before opening the cached app. A phone on a weak
 * signal ("lie-fi") would otherwise show a blank page for the browser's full timeout.
 */
const NAVIGATION_TIMEOUT_MS = 3_000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(cacheName);
      // `reload`: past the HTTP cache, so the precache matches this build and not an older copy.
      await cache.addAll(urls.map((url) => new Request(url, { cache: 'reload' })));
      // Take over at once: the files this worker serves are the ones the server has now.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((name) => name.startsWith(cachePrefix) && name !== cacheName).map((name) => caches.delete(name)));
      // The first visit's page is controlled too, so its next load works offline.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const route = routeRequest(event.request, self.location.origin, precached);
  if (route === 'network-first') event.respondWith(networkFirst(event.request));
  else if (route === 'cache-first') event.respondWith(cacheFirst(event.request));
});

async function cachedIndex(): Promise<Response | undefined> {
  const cache = await caches.open(cacheName);
  return cache.match(INDEX_HTML);
}

/**
 * The server's page when it answers within the timeout, else the precached `index.html`.
 * The answer is not put in the cache: a newer server's page names files this worker did not
 * precache, and the new build's own worker brings them.
 */
async function networkFirst(request: Request): Promise<Response> {
  const network = fetch(request);
  // Handled here too, so that a failure after the timeout is not reported as unhandled.
  network.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), NAVIGATION_TIMEOUT_MS);
  });
  try {
    const first = await Promise.race([network, timedOut]);
    if (first !== 'timeout' && first.status < 500) return first;
    // Slow or failing (a 502 while the server restarts): the cached app, if there is one.
    const cached = await cachedIndex();
    if (cached) return cached;
    return first === 'timeout' ? await network : first;
  } catch (error) {
    const cached = await cachedIndex();
    if (cached) return cached;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  // Only hashed files: their content never changes under the same name.
  if (response.ok && new URL(request.url).pathname.startsWith(HASHED_ASSETS_PREFIX)) {
    await cache.put(request, response.clone());
  }
  return response;
}
