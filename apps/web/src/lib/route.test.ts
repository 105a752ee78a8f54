import { expect, test } from 'vitest';
import { formatRoute, parseRoute, type Route } from './route.ts';

test('an empty or unknown hash opens the workspace picker', () => {
  expect(parseRoute('')).toEqual({ view: 'picker' });
  expect(parseRoute('#/')).toEqual({ view: 'picker' });
  expect(parseRoute('#/settings')).toEqual({ view: 'picker' });
});

test('workspace, room, browse and notes routes survive a round trip through the URL', () => {
  const routes: Route[] = [
    { view: 'room', partitionId: 'acme', roomId: null },
    { view: 'room', partitionId: 'acme', roomId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
    { view: 'browse', partitionId: 'acme_2' },
    { view: 'notes', partitionId: 'acme', noteId: null },
    { view: 'notes', partitionId: 'acme', noteId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
    { view: 'room', partitionId: 'acme', roomId: 'r1', messageId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c' },
    { view: 'search', partitionId: 'acme', query: '' },
    { view: 'search', partitionId: 'acme', query: '"release notes" -draft & more?', roomId: 'r1', authorId: 'u1', from: '2026-01-01', to: '2026-01-31' },
    { view: 'admin' },
  ];
  for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
});

test('a room id with characters that need escaping is kept intact', () => {
  const route: Route = { view: 'room', partitionId: 'acme', roomId: 'a/b c' };
  expect(formatRoute(route)).toBe('#/w/acme/r/a%2Fb%20c');
  expect(parseRoute(formatRoute(route))).toEqual(route);
});

test('#/admin is the admin view; anything below it is not', () => {
  expect(parseRoute('#/admin')).toEqual({ view: 'admin' });
  expect(formatRoute({ view: 'admin' })).toBe('#/admin');
  expect(parseRoute('#/admin/x')).toEqual({ view: 'picker' });
});

test('a search keeps its text and filters in the query string; a hit opens its room at the message', () => {
  expect(formatRoute({ view: 'search', partitionId: 'acme', query: 'deploy friday', roomId: 'r1' })).toBe('#/w/acme/search?q=deploy+friday&room=r1');
  expect(parseRoute('#/w/acme/search?q=a%26b&from=2026-02-01')).toEqual({ view: 'search', partitionId: 'acme', query: 'a&b', from: '2026-02-01' });
  expect(formatRoute({ view: 'room', partitionId: 'acme', roomId: 'r1', messageId: 'm1' })).toBe('#/w/acme/r/r1/m/m1');
  expect(parseRoute('#/w/acme/r/r1/m')).toEqual({ view: 'room', partitionId: 'acme', roomId: 'r1' });
});
