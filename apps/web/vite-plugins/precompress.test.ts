import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { precompress } from './precompress.ts';

type WriteBundle = (options: { dir?: string }, bundle: Record<string, unknown>) => Promise<void>;

describe('precompress plugin', () => {
  test('writes .br and .gz beside each text file of the build, never beside maps or small files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-precompress-'));
    // Vite has written the bundle (here: only its folders) by the time writeBundle runs.
    mkdirSync(join(dir, 'assets'));
    try {
      const script = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word${i % 50}`))};\n`;
      const bundle = {
        'assets/index-abc.js': { type: 'chunk', fileName: 'assets/index-abc.js', code: script },
        'assets/index-abc.js.map': { type: 'asset', fileName: 'assets/index-abc.js.map', source: script },
        'assets/index-abc.css': { type: 'asset', fileName: 'assets/index-abc.css', source: new TextEncoder().encode('a{color:red}'.repeat(200)) },
        'index.html': { type: 'asset', fileName: 'index.html', source: '<!doctype html><title>tiny</title>' },
      };
      await (precompress().writeBundle as unknown as WriteBundle)({ dir }, bundle);

      expect(readdirSync(join(dir, 'assets')).sort()).toEqual(['index-abc.css.br', 'index-abc.css.gz', 'index-abc.js.br', 'index-abc.js.gz']);
      expect(readdirSync(dir).filter((f) => f.startsWith('index.html'))).toEqual([]);
      const br = readFileSync(join(dir, 'assets/index-abc.js.br'));
      const gz = readFileSync(join(dir, 'assets/index-abc.js.gz'));
      expect(brotliDecompressSync(br).toString()).toBe(script);
      expect(gunzipSync(gz).toString()).toBe(script);
      expect(br.byteLength).toBeLessThan(script.length / 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
