import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { connect, freePort, RELAXED_RATE_LIMIT_ENV } from './helpers.ts';

/**
 * The production build: `pnpm --filter @parley/server build` bundles the server into
 * `dist/main.js`, and plain `node` (no tsx, no TypeScript) runs it — migrations and partition
 * templates included, npm packages (argon2's native binary, PGlite's wasm) from node_modules.
 */
const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const pg = await postgresForTests();
let database: TestDatabase | undefined;

beforeAll(async () => {
  execFileSync('pnpm', ['run', 'build'], { cwd: SERVER_DIR, stdio: 'pipe' });
  if (pg) database = await createTestDatabase(pg);
});
afterAll(async () => {
  await database?.drop();
});

async function runCompiled(env: Record<string, string>) {
  const port = await freePort();
  const { REDIS_URL: _redis, DATABASE_URL: _db, ...inherited } = process.env;
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: SERVER_DIR,
    env: { ...inherited, ...RELAXED_RATE_LIMIT_ENV, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 90_000; ;) {
    if (child.exitCode !== null) throw new Error(`the compiled server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the compiled server never became ready:\n${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    logLines: () =>
      output
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => new Promise<number | null>((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  };
}

test.skipIf(!pg)('on PostgreSQL: migrates, signs up (argon2), creates a workspace (partition templates), logs JSON, drains', async () => {
  const node = await runCompiled({ DATABASE_URL: database!.url });
  const ready = node.logLines().find((l) => l.msg === 'database ready')!;
  const migrationFiles = readdirSync(new URL('../../../db/migrations/', import.meta.url)).filter((f) => /^\d{4}_.*\.ts$/.test(f));
  expect(ready.applied).toEqual(migrationFiles.sort().map((f) => f.replace(/\.ts$/, '')));

  const anon = connect(node.url);
  const { token } = await anon.trpc.auth.register.mutate({ username: 'compiled', password: 'a long unusual passphrase 7391', session: 'token' });
  await anon.close();
  const ann = connect(node.url, token);
  const { partition } = await ann.trpc.partition.create.mutate({ name: 'Built' });
  expect((await ann.trpc.room.list.query({ partitionId: partition.id })).map((r) => r.name)).toEqual(['general']);
  await ann.close();

  expect(await node.stop()).toBe(0);
  expect(node.logLines().at(-1)).toMatchObject({ msg: 'stopped' });
});

test('embedded (PGlite from node_modules, in memory): ready, and /health names the pglite driver', async () => {
  const node = await runCompiled({ DATA_DIR: 'memory://' });
  expect(await (await fetch(`${node.url}/health`)).json()).toMatchObject({ database: { driver: 'pglite', up: true } });
  expect(await node.stop()).toBe(0);
});
