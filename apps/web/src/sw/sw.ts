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

function pushPayload(data: PushMessageData | null): { title?: unknown; body?: unknown; tag?: unknown; url?: unknown } | null {
  try {
    return (data?.json() as { title?: unknown } | null) ?? null;
  } catch {
    return null;
  }
}

/**
 * A Web Push (the server's `push.service.ts`: a mention or a message the room's level asks for),
 * shown unless a Parley window is in use right now. A window open but hidden shows its own
 * notification of the same message: the same tag, so one replaces the other.
 */
self.addEventListener('push', (event) => {
  const payload = pushPayload(event.data);
  if (!payload || typeof payload.title !== 'string') return;
  const { title } = payload;
  const options: NotificationOptions = {
    body: typeof payload.body === 'string' ? payload.body : '',
    data: { url: typeof payload.url === 'string' ? payload.url : '/' },
    ...(typeof payload.tag === 'string' ? { tag: payload.tag } : {}),
  };
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      if (windows.some((w) => w.focused && w.visibilityState === 'visible')) return;
      await self.registration.showNotification(title, options);
    })(),
  );
});

/**
 * A click on a notification (notifications/notification-center.tsx made it): the app's window
 * is told where to go (its hash route, the message) and focused; with none open, it opens there.
 */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown } | null;
  const target = new URL(typeof data?.url === 'string' ? data.url : '/', self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === target.origin);
      if (open) {
        open.postMessage({ type: 'parley.open', url: target.href });
        await open.focus();
        return;
      }
      await self.clients.openWindow(target.href);
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
