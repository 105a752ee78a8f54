import { describe, expect, test } from 'vitest';
import { isLoopbackHost, loadEnv } from './env.ts';

describe('who may become the first administrator, and workspaces per account', () => {
  test('only a HOST that names this machine alone counts as loopback (its first account may administer it)', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '', '192.168.1.5', 'example.com', '127.0.0.1.example.com']) expect(isLoopbackHost(host)).toBe(false);
    // The default listens on every interface: no first-account administrator there.
    expect(isLoopbackHost(loadEnv({}).HOST)).toBe(false);
  });

  test('MAX_WORKSPACES_PER_USER defaults to 20 and must be a positive whole number', () => {
    expect(loadEnv({}).MAX_WORKSPACES_PER_USER).toBe(20);
    expect(loadEnv({ MAX_WORKSPACES_PER_USER: '3' }).MAX_WORKSPACES_PER_USER).toBe(3);
    expect(() => loadEnv({ MAX_WORKSPACES_PER_USER: '0' })).toThrow(/MAX_WORKSPACES_PER_USER/);
    expect(() => loadEnv({ MAX_WORKSPACES_PER_USER: 'lots' })).toThrow(/MAX_WORKSPACES_PER_USER/);
  });
});
