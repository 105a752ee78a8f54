import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { precompress } from './vite-plugins/precompress.ts';
import { serviceWorker } from './vite-plugins/service-worker.ts';

// `pnpm --filter @parley/web dev` serves the SPA on :5173 and proxies tRPC (HTTP and the
// WebSocket) to a server on :3000. No `changeOrigin`: the server accepts a browser request
// when its Origin's host equals the Host header, and rewriting Host would break that.
export default defineConfig({
  plugins: [react(), serviceWorker({ entry: fileURLToPath(new URL('./src/sw/sw.ts', import.meta.url)) }), precompress()],
  server: {
    proxy: {
      '/trpc': { target: 'http://localhost:3000', ws: true },
      // The client's HTTP fallback asks /live whether the server answers when a WebSocket does not.
      '/live': { target: 'http://localhost:3000' },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
});
