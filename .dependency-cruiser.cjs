/**
 * Parley's boundaries as a check (`pnpm boundaries`, in .ci/run before the type check). The
 * package map is STYLE.md's; each rule names the CONTEXT.md that states it.
 *
 * Cycles count type-only imports too: a type cycle is harmless at run time but is the same
 * tangle for a reader (packages/api's context.ts used to be one), so none is allowed.
 * @type {import('dependency-cruiser').IConfiguration}
 */

// Test code may reach further than the code it tests (a memory bus in createTestApi, a test
// server in a test).
const TESTS = '(\\.test\\.tsx?|\\.fixture\\.ts|\\.cases\\.ts|/testing\\.ts|/test-util\\.ts|/test-server\\.ts|/test-services\\.ts|/test/.*)$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included (STYLE.md "Where it drifted").',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'rules-depend-on-nothing',
      comment: 'packages/rules is dependency-free: constants, types and pure functions (packages/rules/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/rules/', pathNot: TESTS },
      to: { pathNot: '^packages/rules/' },
    },
    {
      name: 'db-is-a-leaf',
      comment: 'packages/db knows nothing of Parley above it (packages/db/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/db/' },
      to: { path: '^(packages/(api|client|cluster|rules)|apps|scripts)/' },
    },
    {
      name: 'cluster-only-db',
      comment: 'packages/cluster may import packages/db, nothing else of Parley (packages/cluster/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/cluster/' },
      to: { path: '^(packages/(api|client|rules)|apps|scripts)/' },
    },
    {
      name: 'api-not-up',
      comment: 'packages/api never reaches the client, the apps or the scripts (packages/api/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/api/' },
      to: { path: '^(packages/client|apps|scripts)/' },
    },
    {
      name: 'api-cluster-type-only',
      comment: 'packages/api imports only types from @parley/cluster: apps/server hands it the implementations (packages/api/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/api/', pathNot: TESTS },
      to: { path: '^packages/cluster/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-no-transport',
      comment: 'packages/api never imports ioredis or ws: it never listens or connects itself (STYLE.md).',
      severity: 'error',
      from: { path: '^packages/api/' },
      to: { path: 'node_modules/(ioredis|ws)/' },
    },
    {
      name: 'feature-reads-own-repo',
      comment: "A feature calls another feature's service, never its repo (packages/api/CONTEXT.md).",
      severity: 'error',
      from: { path: '^packages/api/src/features/([^/]+)/', pathNot: TESTS },
      to: { path: '^packages/api/src/features/[^/]+/[^/]+\\.repo\\.ts$', pathNot: '^packages/api/src/features/$1/' },
    },
    {
      name: 'client-api-type-only',
      comment: 'packages/client sees the server only through `import type` (packages/client/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/client/' },
      to: { path: '^packages/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'client-not-server',
      comment: 'packages/client imports @parley/rules and types of @parley/api, nothing else of Parley (packages/client/CONTEXT.md).',
      severity: 'error',
      from: { path: '^packages/client/' },
      to: { path: '^(packages/(cluster|db)|apps|scripts)/' },
    },
    {
      name: 'web-only-client',
      comment: 'apps/web imports only @parley/client (the rules come through it), not even types of @parley/api (apps/web/CONTEXT.md).',
      severity: 'error',
      from: { path: '^apps/web/' },
      to: { path: '^(packages/(api|cluster|db|rules)|apps/server|scripts)/' },
    },
    {
      name: 'examples-only-client',
      comment: 'An example is a program outside Parley: it uses @parley/client alone.',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(packages/(api|cluster|db|rules)|apps|scripts)/' },
    },
    {
      name: 'server-is-the-root',
      comment: 'apps/server is the one composition root: nothing but its tests and e2e imports it (scripts start it as a process).',
      severity: 'error',
      from: { pathNot: '^(apps/server|e2e)/' },
      to: { path: '^apps/server/' },
    },
    {
      name: 'scripts-no-parley-at-runtime',
      comment: 'scripts start apps/server as processes and talk HTTP: nothing of Parley at run time, types allowed (scripts/CONTEXT.md).',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^(packages|apps)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'migrations-frozen',
      comment: 'db/migrations and db/partition import kysely only: frozen in time (STYLE.md).',
      severity: 'error',
      from: { path: '^db/' },
      to: { pathNot: '^db/|node_modules/kysely/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|test-results|coverage)/' },
    // `import type` and type-only re-exports are edges too (for the cycle rule and the type-only checks).
    tsPreCompilationDeps: true,
    // The workspace packages resolve through pnpm's symlinks to their `src/*.ts` exports.
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
    cache: false,
  },
};
