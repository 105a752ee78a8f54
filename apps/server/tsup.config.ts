import { isBuiltin } from 'node:module';
import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';
import { listTemplateFiles, type TemplateKind } from '../../packages/db/src/template-files.ts';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * The compiled server: `src/main.ts` and the workspace packages it uses (`@parley/*`, bundled
 * from their TypeScript) in `dist/main.js`. npm packages stay imports, resolved from
 * `node_modules` at run time — PGlite finds its .wasm/.data beside its own files, argon2 its
 * native binary — and they must be this package's `dependencies`: the production install
 * (`pnpm deploy --prod`, the Dockerfile) installs exactly those.
 */
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
const runtimeDependencies = Object.keys(pkg.dependencies);
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Fails the build when bundled code imports an npm package the production install would not have. */
const declaredDependenciesOnly: Plugin = {
  name: 'declared-dependencies-only',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
      if (isBuiltin(path) || path.startsWith('@parley/') || runtimeDependencies.includes(packageName(path))) return undefined;
      return {
        errors: [
          {
            text: `${importer} imports '${path}': add ${packageName(path)} to apps/server/package.json "dependencies" (the compiled server imports it from node_modules)`,
          },
        ],
      };
    });
  },
};

/**
 * `db/migrations/*.ts` and `db/partition/*.ts` are imported by listing their folders at run
 * time (packages/db/src/template-files.ts). Plain `node` imports no `.ts` and the image has no
 * `db/`: here that module becomes static imports of the files present now, in the same order.
 */
const templateFilesPlugin: Plugin = {
  name: 'template-files',
  setup(build) {
    build.onLoad({ filter: /[\\/]packages[\\/]db[\\/]src[\\/]template-files\.ts$/ }, async () => {
      const kinds: TemplateKind[] = ['migrations', 'partition'];
      const imports: string[] = [];
      const lists: string[] = [];
      for (const kind of kinds) {
        const entries = (await listTemplateFiles(kind)).map((file, i) => {
          imports.push(`import * as ${kind}${i} from ${JSON.stringify(file.path)};`);
          return `{ name: ${JSON.stringify(file.name)}, module: ${kind}${i} }`;
        });
        lists.push(`${kind}: [${entries.join(', ')}]`);
      }
      return {
        loader: 'ts',
        contents: [
          ...imports,
          `const modules = { ${lists.join(', ')} };`,
          `export async function loadTemplateModules(kind: 'migrations' | 'partition') { return modules[kind]; }`,
        ].join('\n'),
      };
    });
  },
};

export default defineConfig({
  entry: { main: 'src/main.ts' },
  outDir: 'dist',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  noExternal: [/^@parley\//],
  esbuildPlugins: [declaredDependenciesOnly, templateFilesPlugin],
});
