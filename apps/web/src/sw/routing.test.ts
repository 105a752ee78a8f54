import { describe, expect, test } from 'vitest';
import { routeRequest, type RoutableRequest } from './routing.ts';

const ORIGIN = 'https://parley.example';
const PRECACHED = new Set(['/', '/index.html', '/assets/index-abc123.js', '/assets/index-def456.css']);

const get = (path: string, mode = 'cors'): RoutableRequest => ({ url: `${ORIGIN}${path}`, method: 'GET', mode });
const route = (request: RoutableRequest) => routeRequest(request, ORIGIN, PRECACHED);

describe('routeRequest', () => {
  test('page loads go to the network first (any path: the app uses hash routes)', () => {
    expect(route(get('/', 'navigate'))).toBe('network-first');
    expect(route(get('/index.html', 'navigate'))).toBe('network-first');
    expect(route(get('/some/deep/link?x=1', 'navigate'))).toBe('network-first');
  });

  test("the build's hashed files come from the cache first", () => {
    expect(route(get('/assets/index-abc123.js', 'cors'))).toBe('cache-first');
    expect(route(get('/assets/index-def456.css', 'no-cors'))).toBe('cache-first');
    // A hashed file of another build (a lazy chunk of a page still open) is cached when fetched.
    expect(route(get('/assets/older-zzz999.js'))).toBe('cache-first');
  });

  test('tRPC (HTTP, batched, and the WebSocket path) is never intercepted', () => {
    expect(route(get('/trpc/auth.me?input=%7B%7D'))).toBe('passthrough');
    expect(route(get('/trpc/partition.list,room.list?batch=1'))).toBe('passthrough');
    expect(route(get('/trpc'))).toBe('passthrough');
    expect(route(get('/trpc', 'navigate'))).toBe('passthrough');
    expect(route({ url: `${ORIGIN}/trpc/message.send?batch=1`, method: 'POST', mode: 'cors' })).toBe('passthrough');
  });

  test('health, readiness and metrics probes are never intercepted, even as page loads', () => {
    for (const path of ['/live', '/ready', '/health', '/metrics']) {
      expect(route(get(path))).toBe('passthrough');
      expect(route(get(path, 'navigate'))).toBe('passthrough');
    }
  });

  test('attachments are never intercepted: opening or downloading one is always the server’s answer', () => {
    expect(route(get('/media/acme/0197a000-0000-7000-8000-000000000001', 'navigate'))).toBe('passthrough');
    expect(route(get('/media/acme/0197a000-0000-7000-8000-000000000001/thumb'))).toBe('passthrough');
    expect(route(get('/mediafile', 'navigate'))).toBe('network-first');
  });

  test('only exact probe paths are excluded, not look-alikes', () => {
    expect(route(get('/trpcx', 'navigate'))).toBe('network-first');
    expect(route(get('/healthy', 'navigate'))).toBe('network-first');
  });

  test('other methods, other origins and unknown same-origin files pass through', () => {
    expect(route({ url: `${ORIGIN}/`, method: 'POST', mode: 'navigate' })).toBe('passthrough');
    expect(route({ url: 'https://cdn.example/assets/x.js', method: 'GET', mode: 'cors' })).toBe('passthrough');
    expect(route({ url: 'https://cdn.example/', method: 'GET', mode: 'navigate' })).toBe('passthrough');
    expect(route(get('/robots.txt'))).toBe('passthrough');
    expect(route(get('/sw.js'))).toBe('passthrough');
  });
});
