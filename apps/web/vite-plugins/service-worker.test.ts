import { describe, expect, test } from 'vitest';
import { CACHE_PREFIX, precacheManifest, type BuiltFile } from './service-worker.ts';

const bundle = (js = 'console.log("hello")'): BuiltFile[] => [
  { fileName: 'index.html', content: '<script type="module" src="/assets/index-abc123.js"></script>' },
  { fileName: 'assets/index-abc123.js', content: js },
  { fileName: 'assets/index-abc123.js.map', content: '{"version":3}' },
  { fileName: 'assets/index-def456.css', content: new TextEncoder().encode('body{margin:0}') },
  { fileName: 'sw.js', content: 'self.addEventListener("fetch", () => {})' },
];

describe('precacheManifest', () => {
  test('lists the root, index.html and every emitted file, but not source maps or the worker', () => {
    const manifest = precacheManifest(bundle());
    expect(manifest.urls).toEqual(['/', '/assets/index-abc123.js', '/assets/index-def456.css', '/index.html']);
    expect(manifest.cacheName).toMatch(new RegExp(`^${CACHE_PREFIX}[0-9a-f]{16}$`));
    expect(manifest.cachePrefix).toBe(CACHE_PREFIX);
  });

  test('the cache name is stable for the same files, in any order', () => {
    expect(precacheManifest([...bundle()].reverse()).cacheName).toBe(precacheManifest(bundle()).cacheName);
  });

  test('the cache name changes when a file changes, even under the same name', () => {
    expect(precacheManifest(bundle('console.log("bye")')).cacheName).not.toBe(precacheManifest(bundle()).cacheName);
  });

  test('the cache name and the list change when a file is renamed', () => {
    const renamed = bundle().map((file) => (file.fileName === 'assets/index-def456.css' ? { ...file, fileName: 'assets/index-fff000.css' } : file));
    const manifest = precacheManifest(renamed);
    expect(manifest.cacheName).not.toBe(precacheManifest(bundle()).cacheName);
    expect(manifest.urls).toContain('/assets/index-fff000.css');
    expect(manifest.urls).not.toContain('/assets/index-def456.css');
  });

  test('a source map or the worker changing does not make a new cache', () => {
    const edited = bundle().map((file) => (file.fileName.endsWith('.map') || file.fileName === 'sw.js' ? { ...file, content: 'changed' } : file));
    expect(precacheManifest(edited).cacheName).toBe(precacheManifest(bundle()).cacheName);
  });

  test('a build without index.html is refused: the worker could not open the app offline', () => {
    expect(() => precacheManifest(bundle().filter((file) => file.fileName !== 'index.html'))).toThrow(/index\.html/);
  });
});
