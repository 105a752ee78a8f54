import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text the browser downloads; source maps are left alone (only developer tools read them). */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|webmanifest|txt)$/;
/** Below this a compressed copy saves less than a packet. */
const MIN_BYTES = 1024;

export interface Compressed {
  br: Buffer;
  gz: Buffer;
}

/**
 * Brotli at its best quality and gzip at level 9: done once per build, served many times. On
 * libuv's thread pool, so files (and the two encodings) are compressed in parallel.
 */
export async function compress(content: string | Uint8Array): Promise<Compressed> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const [br, gz] = await Promise.all([
    brotliAsync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.byteLength,
      },
    }),
    gzipAsync(data, { level: 9 }),
  ]);
  return { br, gz };
}

/**
 * Writes `<file>.br` and `<file>.gz` beside every text file of the build (the server sends
 * them to browsers that accept them, sirv's `brotli`/`gzip`). Written after the bundle, so they
 * are not in the service worker's precache list; a copy no smaller than the file is skipped.
 */
export function precompress(): Plugin {
  return {
    name: 'parley:precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir;
      if (!dir) return;
      const files = Object.values(bundle).flatMap((file) => {
        if (!COMPRESSIBLE.test(file.fileName)) return [];
        const content = file.type === 'chunk' ? file.code : file.source;
        const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
        return size < MIN_BYTES ? [] : [{ fileName: file.fileName, content, size }];
      });
      await Promise.all(
        files.map(async ({ fileName, content, size }) => {
          const { br, gz } = await compress(content);
          if (br.byteLength < size) await writeFile(join(dir, `${fileName}.br`), br);
          if (gz.byteLength < size) await writeFile(join(dir, `${fileName}.gz`), gz);
        }),
      );
    },
  };
}
