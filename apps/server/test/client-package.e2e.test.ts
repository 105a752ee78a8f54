import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ParleyNode } from '../src/node.ts';
import { connect, startTestNode, uuidv7 } from './helpers.ts';

/**
 * @parley/client as another team's app gets it: packed with `pnpm pack` (which builds dist/),
 * installed from the tarball with npm into a fresh project in the temp directory (no
 * workspace, no @parley/api), type-checked against AppRouter, and run against a real node.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What the packed JavaScript may import at runtime: its dependencies, its optional peer, Node built-ins. */
const RUNTIME_IMPORTS = ['@trpc/client', '@trpc/server', 'idb-keyval', 'uuidv7', 'react', 'node:fs/promises', 'node:path'];

interface Run {
  code: number;
  output: string;
}

/**
 * Runs a command and resolves with its exit code and output (never rejects on a non-zero
 * exit). The `npm_*` variables `pnpm test` sets are left out: npm would read them as its config.
 */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.output}`);
  return r.output;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'DOM'],
    types: ['node'],
    strict: true,
    // As most apps have it: with it off, @trpc/client 11's own declarations fail against
    // @types/ws 8.18 (not ours). What our declarations import is checked by the first test.
    skipLibCheck: true,
    outDir: 'out',
  },
  include: ['src'],
};

/** The program the test runs with node: sign up, log in, a workspace, a message sent through the outbox and read back. */
const CHAT_TS = `import { createParleyClient } from '@parley/client';
import WebSocket from 'ws';

const [url, username, password] = process.argv.slice(2) as [string, string, string];
const options = { url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket };

const anon = createParleyClient(options);
await anon.trpc.auth.register.mutate({ username, password, session: 'token' });
const { token } = await anon.trpc.auth.login.mutate({ username, password, session: 'token' });
await anon.close();
if (!token) throw new Error('login gave no token');

const client = createParleyClient({ ...options, token });
const { partition } = await client.trpc.partition.create.mutate({ name: 'Packed Co' });
const partitionId = partition.id;
const roomId = (await client.trpc.room.list.query({ partitionId }))[0]!.id;
client.messages.watch(partitionId);
await client.messages.loadRoom(partitionId, roomId);
client.outbox.send({ partitionId, roomId, body: 'hello from the tarball' });

const deadline = Date.now() + 20_000;
const sent = () => client.messages.getRoom(partitionId, roomId).messages.find((m) => m.body === 'hello from the tarball');
while (sent()?.status !== 'SENT') {
  if (Date.now() > deadline) throw new Error('not sent: ' + JSON.stringify(client.outbox.getSnapshot()));
  await new Promise((r) => setTimeout(r, 50));
}
const page = await client.trpc.message.list.query({ partitionId, roomId });
console.log(JSON.stringify({
  token,
  partitionId,
  roomId,
  transport: client.connection.getSnapshot().transport,
  listed: page.messages.map((m) => ({ author: m.authorName, body: m.body })),
}));
await client.close();
`;

/** Compiles only if the router's types reach the consumer: each directive must meet an error. */
const TYPED_CALLS_TS = `import { createParleyClient, type MessageDto, type ParleyClient } from '@parley/client';
import { useRoomMessages } from '@parley/client/react';
import { fileStorage } from '@parley/client/file-storage';

export async function typedCalls(client: ParleyClient): Promise<string> {
  const rooms = await client.trpc.room.list.query({ partitionId: 'acme' });
  const roomId: string = rooms[0]!.id;
  const page = await client.trpc.message.list.query({ partitionId: 'acme', roomId });
  const first: MessageDto | undefined = page.messages[0];

  // @ts-expect-error partitionId is a string
  await client.trpc.room.list.query({ partitionId: 42 });
  // @ts-expect-error body is required
  await client.trpc.message.send.mutate({ partitionId: 'acme', roomId, clientId: 'x' });
  // @ts-expect-error there is no such procedure
  await client.trpc.message.unknownProcedure.query();
  // @ts-expect-error a query is not a mutation
  await client.trpc.room.list.mutate({ partitionId: 'acme' });
  // @ts-expect-error a message's body is a string
  const wrong: number = page.messages[0]!.body;

  return [roomId, first?.body, wrong, typeof useRoomMessages, typeof createParleyClient, typeof fileStorage].join();
}
`;

/** Must fail to compile, with exactly this one error. */
const WRONG_INPUT_TS = `import { createParleyClient } from '@parley/client';

const client = createParleyClient({ url: 'http://localhost:3000' });
await client.trpc.partition.create.mutate({ name: 42 });
`;

describe('the packed @parley/client in a project outside the workspace', () => {
  let dir: string;
  let app: string;
  let tarball: string;
  let node: ParleyNode;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-client-package-'));
    app = join(dir, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    mkdirSync(join(app, 'bad'), { recursive: true });
    await ok('pnpm', ['--filter', '@parley/client', 'pack', '--pack-destination', dir], REPO_ROOT);
    tarball = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.tgz'))!,
    );

    writeFileSync(
      join(app, 'package.json'),
      json({
        name: 'parley-client-consumer',
        private: true,
        type: 'module',
        dependencies: { '@parley/client': `file:${tarball}`, ws: '^8.18.3' },
        devDependencies: { typescript: '~5.9.3', '@types/node': '^20.19.0', '@types/ws': '^8.18.1', '@types/react': '^19.3.0' },
      }),
    );
    writeFileSync(join(app, 'tsconfig.json'), json(CONSUMER_TSCONFIG));
    writeFileSync(join(app, 'tsconfig.bad.json'), json({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['bad'] }));
    writeFileSync(join(app, 'src', 'chat.ts'), CHAT_TS);
    writeFileSync(join(app, 'src', 'typed-calls.ts'), TYPED_CALLS_TS);
    writeFileSync(join(app, 'bad', 'wrong-input.ts'), WRONG_INPUT_TS);
    await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
    node = await startTestNode({ dataDir: 'memory://' });
  }, 300_000);

  afterAll(async () => {
    await node?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the packed package.json points at dist/ and names only public dependencies', () => {
    const installed = join(app, 'node_modules', '@parley', 'client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(manifest.exports['./react']).toEqual({ types: './dist/react.d.ts', import: './dist/react.js' });
    expect(manifest.exports['./file-storage']).toEqual({ types: './dist/file-storage.d.ts', import: './dist/file-storage.js' });
    const shipped = { ...manifest.dependencies, ...manifest.peerDependencies };
    expect(Object.keys(shipped).filter((name) => name.startsWith('@parley/'))).toEqual([]);
    expect(Object.values(shipped).filter((spec) => String(spec).startsWith('workspace:'))).toEqual([]);
    expect(readdirSync(installed).sort()).toEqual(['dist', 'package.json']);

    const dist = join(installed, 'dist');
    const files = readdirSync(dist);
    // Code without comments: the JSDoc examples mention `import WebSocket from 'ws'`.
    const code = (file: string) =>
      readFileSync(join(dist, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
    const specifiers = (file: string) => [...code(file).matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => (m[1] ?? m[2])!);
    const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    // Declarations: the router's types are inside; what they import, the consumer has installed.
    for (const file of files.filter((f) => f.endsWith('.d.ts'))) {
      for (const spec of specifiers(file)) {
        if (spec.startsWith('./')) continue;
        expect(`${file}: ${spec}`).not.toMatch(/@parley\/|\.\.\//);
        expect(Object.keys(shipped), `${file} imports ${spec}`).toContain(packageOf(spec));
      }
    }
    // JavaScript: no server code, only the client's own runtime dependencies.
    const js = files.filter((f) => f.endsWith('.js'));
    // The three entry points, and the chunks tsup splits out of code two of them share.
    expect(js.filter((f) => !/^chunk-[A-Za-z0-9]+\.js$/.test(f)).sort()).toEqual(['file-storage.js', 'index.js', 'react.js']);
    for (const file of js) {
      for (const spec of specifiers(file)) {
        if (spec.startsWith('./')) continue;
        expect(
          RUNTIME_IMPORTS.some((allowed) => spec === allowed || spec.startsWith(`${allowed}/`)),
          `${file} imports ${spec}`,
        ).toBe(true);
      }
      expect(code(file)).not.toMatch(/initTRPC|@parley\/|kysely|argon2|ioredis|pglite/);
    }
  });

  test('a strict NodeNext project type-checks typed calls against AppRouter, and the wrong ones are refused', async () => {
    // typed-calls.ts holds five @ts-expect-error lines: had the router's types been lost (any),
    // they would be "unused directive" errors and wrong-input.ts would compile.
    const tsc = join(app, 'node_modules', '.bin', 'tsc');
    const [checked, wrong] = await Promise.all([run(tsc, ['-p', 'tsconfig.json'], app), run(tsc, ['-p', 'tsconfig.bad.json'], app)]);
    expect(checked.output).toBe('');
    expect(checked.code).toBe(0);

    expect(wrong.code).not.toBe(0);
    expect(wrong.output.match(/error TS\d+/g)).toEqual(['error TS2322']);
    expect(wrong.output).toMatch(/bad\/wrong-input\.ts\(4,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  test('a node program on the packed client signs up, creates a workspace, and sends and reads a message', async () => {
    expect(statSync(join(app, 'out', 'chat.js')).isFile()).toBe(true); // emitted by the type-check above
    const username = `packed_${uuidv7().slice(-8)}`;
    const chat = await run(process.execPath, [join(app, 'out', 'chat.js'), node.url, username, 'tarball kettle orbit meadow 7319'], app, 60_000);
    expect(chat.code, chat.output).toBe(0);
    const result = JSON.parse(chat.output.trim().split('\n').at(-1)!);
    expect(result.transport).toBe('websocket');
    expect(result.listed).toEqual([{ author: username, body: 'hello from the tarball' }]);

    // The server has it too, seen through the workspace's own client with the program's token.
    const again = connect(node.url, result.token);
    const page = await again.trpc.message.list.query({ partitionId: result.partitionId, roomId: result.roomId });
    await again.close();
    expect(page.messages.map((m) => [m.authorName, m.body])).toEqual([[username, 'hello from the tarball']]);
  });
});
