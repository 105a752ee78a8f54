import { describe, expect, test } from 'vitest';
import { chooseNodeId, generateNodeId, isNodeId, nodeIdProblem } from './node-id.ts';

describe('node ids', () => {
  test.each(['web-1', 'node_a', 'parley.eu-west.3', 'abc', 'A'.repeat(128), 'Node-7F3A', 'admin-1', 'rootless', 'null0'])('%s is a valid node id', (id) =>
    expect(nodeIdProblem(id)).toBeNull(),
  );

  test.each([
    ['ab', /3–128 characters long \(this one has 2\)/],
    ['', /3–128 characters/],
    ['x'.repeat(129), /this one has 129/],
    ['web 1', /only letters, digits/],
    ['web/1', /only letters, digits/],
    ['a//b', /may not contain "\.\." or "\/\/"/],
    ['nöde', /only letters, digits/],
    ['node;drop', /only letters, digits/],
    ['../etc', /may not contain "\.\." or "\/\/"/],
    ['web..1', /may not contain "\.\."/],
    ['admin', /"admin" is reserved/],
    ['ROOT', /"ROOT" is reserved/],
    ['System', /reserved/],
    ['null', /reserved/],
    ['NULL', /reserved/],
  ])('%j is refused: %s', (id, why) => {
    expect(nodeIdProblem(id)).toMatch(why);
    expect(isNodeId(id)).toBe(false);
  });

  test('a generated id is node-<12 hex digits>, valid, and different each time', () => {
    const a = generateNodeId();
    expect(a).toMatch(/^node-[0-9a-f]{12}$/);
    expect(isNodeId(a)).toBe(true);
    expect(generateNodeId()).not.toBe(a);
  });

  test('SERVER_ID first, then a usable HOSTNAME, then a generated id', () => {
    expect(chooseNodeId({ serverId: 'web-1', hostname: 'box1' })).toEqual({ id: 'web-1', source: 'SERVER_ID' });
    expect(chooseNodeId({ hostname: 'parley-7d9f' })).toEqual({ id: 'parley-7d9f', source: 'HOSTNAME' });
    expect(chooseNodeId({ hostname: 'localhost' })).toEqual({ id: 'localhost', source: 'HOSTNAME' });
    expect(chooseNodeId({ hostname: 'Admin' }).source).toBe('generated');
    expect(chooseNodeId({}).id).toMatch(/^node-[0-9a-f]{12}$/);
  });

  test('a bad SERVER_ID is an error, never silently replaced', () => {
    expect(() => chooseNodeId({ serverId: 'root', hostname: 'fine-host' })).toThrow('invalid SERVER_ID: "root" is reserved');
  });
});
