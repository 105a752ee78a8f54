import { createHash } from 'node:crypto';
import { build, type Plugin, type ResolvedConfig } from 'vite';

/** Every precache of this app is named `parley-shell-<hash>`; activate deletes the others. */
export const CACHE_PREFIX = 'parley-shell-';

/** What the worker is built with (replaces `__PARLEY_PRECACHE__` in `src/sw/sw.ts`). */
export interface PrecacheManifest {
  cacheName: string;
  cachePrefix: string;
  /** Root-relative URLs: `/`, `/index.html` and every emitted file. */
  urls: string[];
}

export interface BuiltFile {
  fileName: string;
  content: string | Uint8Array;
}

/**
 * Source maps are only read by developer tools (precaching them would double what every phone
 * downloads); `sw.js` is the worker itself, which the browser fetches outside any cache.
 */
const NOT_PRECACHED = [/\.map$/, /^sw\.js$/];

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * The precache list of a build and a cache name that changes with any file's name or content,
 * so a new build installs into a new cache and the old one is deleted when it activates.
 */
export function precacheManifest(files: readonly BuiltFile[]): PrecacheManifest {
  const kept = files
    .filter((file) => !NOT_PRECACHED.some((pattern) => pattern.test(file.fileName)))
    .sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  if (!kept.some((file) => file.fileName === 'index.html')) {
    throw new Error('service-worker plugin: the build has no index.html, which the worker falls back to offline.');
  }
  const hash = sha256(kept.map((file) => `${file.fileName}\0${sha256(file.content)}`).join('\n')).slice(0, 16);
  const urls = ['/', ...kept.map((file) => `/${file.fileName}`)];
  return { cacheName: `${CACHE_PREFIX}${hash}`, cachePrefix: CACHE_PREFIX, urls: [...new Set(urls)] };
}

/** Builds the worker on its own: one classic script (IIFE), the manifest inlined. */
async function buildWorker(entry: string, manifest: PrecacheManifest, config: ResolvedConfig): Promise<string> {
  const result = await build({
    configFile: false,
    root: config.root,
    mode: config.mode,
    logLevel: 'warn',
    publicDir: false,
    define: { __PARLEY_PRECACHE__: JSON.stringify(manifest) },
    build: {
      write: false,
      emptyOutDir: false,
      copyPublicDir: false,
      // A few kilobytes; readable in the browser's developer tools is worth more.
      minify: false,
      sourcemap: false,
      lib: { entry, formats: ['iife'], name: 'parleyServiceWorker', fileName: () => 'sw.js' },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  for (const output of outputs) {
    if (!('output' in output)) continue;
    const chunk = output.output.find((file) => file.type === 'chunk' && file.isEntry);
    if (chunk?.type === 'chunk') return chunk.code;
  }
  throw new Error(`service-worker plugin: building ${entry} produced no script.`);
}

/**
 * Emits `sw.js` next to `index.html`: the worker in `entry`, given the precache manifest of
 * everything else this build emits. Build only; the dev server has no worker.
 */
export function serviceWorker({ entry }: { entry: string }): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'parley:service-worker',
    apply: 'build',
    configResolved(resolved) {
      // The worker's routes (`/index.html`, `/assets/`, `/trpc`) and its scope assume the root.
      if (resolved.base !== '/') throw new Error(`service-worker plugin: base must be '/', not '${resolved.base}'.`);
      config = resolved;
    },
    generateBundle: {
      // After Vite's own hooks have emitted index.html and the CSS, and minified the chunks.
      order: 'post',
      async handler(_options, bundle) {
        const files = Object.values(bundle).map((file) => ({
          fileName: file.fileName,
          content: file.type === 'chunk' ? file.code : file.source,
        }));
        const manifest = precacheManifest(files);
        this.emitFile({ type: 'asset', fileName: 'sw.js', source: await buildWorker(entry, manifest, config) });
      },
    },
  };
}
