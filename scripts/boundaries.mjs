// `pnpm boundaries`: dependency-cruiser with .dependency-cruiser.cjs over the whole tree. Its
// CLI (`depcruise`) refuses Node 20, which Parley supports; its API runs fine on it, so this calls
// that. On Node 22+ `depcruise apps packages scripts examples e2e db -c .dependency-cruiser.cjs`
// answers the same.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
const { forbidden, options } = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
const started = performance.now();
const result = await cruise(['apps', 'packages', 'scripts', 'examples', 'e2e', 'db'], {
  ...options,
  validate: true,
  ruleSet: { forbidden },
  outputType: 'err',
});
process.stdout.write(typeof result.output === 'string' ? result.output : JSON.stringify(result.output));
console.log(`(${Math.round(performance.now() - started)} ms)`);
process.exitCode = result.exitCode === 0 ? 0 : 1;
