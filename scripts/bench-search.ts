/**
 * `pnpm bench:search`: message search on a million messages (see --help). A benchmark, not a
 * test: it prints numbers and rewrites docs/benchmarks-search.md; it asserts nothing. Everything
 * it starts (a node, a database) is stopped and dropped on exit, failure and Ctrl-C.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from './bench-search/measure.ts';
import { parseOptions } from './bench-search/options.ts';
import { formatRow, machine, writeReport } from './bench-search/report.ts';
import { setUp, type Cleanup } from './bench-search/setup.ts';

const REPORT = fileURLToPath(new URL('../docs/benchmarks-search.md', import.meta.url));

async function postgresVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ server_version: string }>('show server_version')).rows[0]!.server_version.replace(/^(\S+).*/, 'PostgreSQL $1');
  } finally {
    await c.end();
  }
}

async function main(cleanup: Cleanup): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) return;
  const bench = await setUp(options, cleanup);
  const m = machine(await postgresVersion(bench.databaseUrl));
  console.log(`\nsearch.messages, ${options.searches} calls per kind, ${bench.loaded.messages.toLocaleString('en')} messages:`);
  const results = await measure(bench, options.searches, (r) => console.log(formatRow(r)));
  if (options.write) {
    await writeReport(REPORT, options, bench, m, results);
    console.log(`\nwrote ${REPORT}`);
  }
  if (options.keep) console.log(`kept the database: ${bench.databaseUrl}`);
}

const cleanup: Cleanup = [];
let cleaning: Promise<void> | null = null;
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const undo of cleanup.reverse()) await undo().catch((error: unknown) => console.error('clean-up:', error));
  })());

process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)));

main(cleanup).then(
  () => cleanUp().then(() => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    return cleanUp().then(() => process.exit(1));
  },
);
