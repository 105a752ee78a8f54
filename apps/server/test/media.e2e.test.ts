import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBot } from '@parley/example-bot/src/bot.ts';
import { SESSION_COOKIE } from '../src/http-util.ts';
import type { ParleyNode } from '../src/node.ts';
import { signUp, startTestNode, until, uuidv7 } from './helpers.ts';

let node: ParleyNode;
beforeAll(async () => {
  node = await startTestNode({ dataDir: 'memory://', api: { mediaMaxBytes: 64 * 1024 } });
});
afterAll(() => node?.close());

test('the node serves uploads and downloads with the same session rules as tRPC (bearer, or cookie from an allowed Origin)', async () => {
  const ann = await signUp(node.url, 'media_ann');
  const { partition } = await ann.client.trpc.partition.create.mutate({ name: 'Files' });
  const general = (await ann.client.trpc.room.list.query({ partitionId: partition.id }))[0]!;
  const id = uuidv7();
  const html = '<html><script>parent.stolen = document.cookie</script></html>';
  const up = await fetch(`${node.url}/media/${partition.id}/${general.id}/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ann.token}`, 'x-filename': encodeURIComponent('page.html') },
    body: html,
  });
  expect(up.status).toBe(201);
  expect(await up.json()).toMatchObject({ id, filename: 'page.html', mimeType: 'application/octet-stream' });

  const cookie = `${SESSION_COOKIE}=${ann.token}`;
  const byCookie = await fetch(`${node.url}/media/${partition.id}/${id}`, { headers: { cookie, origin: node.url } });
  expect(byCookie.status).toBe(200);
  expect(byCookie.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
  expect(byCookie.headers.get('x-content-type-options')).toBe('nosniff');
  expect(byCookie.headers.get('x-parley-node')).toBe('test-node');
  expect(await byCookie.text()).toBe(html);
  const foreign = await fetch(`${node.url}/media/${partition.id}/${id}`, { headers: { cookie, origin: 'https://evil.example' } });
  expect(foreign.status).toBe(403);

  // Over MEDIA_MAX_BYTES by its declared length: refused with words a person understands.
  const big = await fetch(`${node.url}/media/${partition.id}/${general.id}/${uuidv7()}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ann.token}` },
    body: new Uint8Array(65 * 1024),
  });
  expect(big.status).toBe(413);
  expect(((await big.json()) as { error: { message: string } }).error.message).toBe('A file can be at most 64 KB; this one is 65 KB.');
  await ann.client.close();
});

test('the example bot answers !file with a message carrying a small text file', async () => {
  const ann = await signUp(node.url, 'file_ann');
  const botUser = await signUp(node.url, 'file_bot');
  const { partition, inviteCode } = await ann.client.trpc.partition.create.mutate({ name: 'Bot files' });
  await botUser.client.trpc.partition.join.mutate({ inviteCode });
  const general = (await ann.client.trpc.room.list.query({ partitionId: partition.id }))[0]!;
  const errors: unknown[] = [];
  const bot = await startBot({ url: node.url, token: botUser.token, partitionId: partition.id, onError: (e) => errors.push(e) });
  await until(
    () => bot.client.connection.getSnapshot().state,
    (s) => s === 'CONNECTED',
  );
  await new Promise((r) => setTimeout(r, 300));
  const asked = await ann.client.trpc.message.send.mutate({ partitionId: partition.id, roomId: general.id, clientId: uuidv7(), body: '!file' });
  const list = () => ann.client.trpc.message.list.query({ partitionId: partition.id, roomId: general.id });
  let answer;
  const deadline = Date.now() + 15_000;
  while (!answer && Date.now() < deadline) {
    answer = (await list()).messages.find((m) => m.authorId === bot.userId && m.attachment);
    if (!answer) await new Promise((r) => setTimeout(r, 100));
  }
  expect(errors).toEqual([]);
  expect(answer).toMatchObject({
    body: 'Here is a file.',
    replyTo: { id: asked.id },
    attachment: { filename: 'hello-from-the-bot.txt', mimeType: 'application/octet-stream' },
  });
  const file = await fetch(`${node.url}/media/${partition.id}/${answer?.attachment?.id ?? 'missing'}`, { headers: { authorization: `Bearer ${ann.token}` } });
  expect(await file.text()).toMatch(/^Hello from the Parley bot\./);
  await bot.stop();
  await ann.client.close();
  await botUser.client.close();
});
