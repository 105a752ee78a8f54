import { defineConfig } from 'tsup';

/**
 * The published build of @parley/client (`pnpm --filter @parley/client build`, also run by
 * `pnpm pack`): ESM and bundled declarations in dist/. The workspace itself never reads dist/:
 * its `exports` point at src/, the packed package.json's (`publishConfig.exports`) at dist/.
 */

/** Server packages: only their types may reach the client, never their code. */
const SERVER_PACKAGES = /^@parley\/(api|db|cluster)(\/|$)/;

export default defineConfig({
  entry: { index: 'src/index.ts', react: 'src/react.ts', 'file-storage': 'src/file-storage.ts' },
  format: ['esm'],
  outDir: 'dist',
  target: 'es2022',
  platform: 'neutral',
  // `node:fs/promises` stays `node:` (file-storage is Node-only; bundlers know the prefix).
  removeNodeProtocol: false,
  external: [/^node:/],
  clean: true,
  // Workspace-only packages have no registry version, so they are bundled; public ones
  // (dependencies, peerDependencies) stay imports.
  noExternal: ['@parley/rules'],
  esbuildPlugins: [
    {
      name: 'no-server-code',
      setup(build) {
        build.onResolve({ filter: SERVER_PACKAGES }, (args) => ({
          errors: [{ text: `${args.importer} imports ${args.path} at runtime; the client may only \`import type\` from the server.` }],
        }));
      },
    },
  ],
  dts: {
    // The router's types travel inside the declarations: @parley/* resolve to their sources
    // (not as external node_modules links), so the declaration bundler inlines them. The
    // consumer never installs @parley/api.
    compilerOptions: { paths: { '@parley/*': ['../*/src/index.ts'] } },
  },
});
