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
