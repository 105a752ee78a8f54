import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBot, type Bot } from '@parley/example-bot/src/bot.ts';
import type { ParleyNode } from '../src/node.ts';
import { messageBodies, signUp, startTestNode, subscribe, uuidv7 } from './helpers.ts';

let node: ParleyNode;
let dir: string;
beforeAll(async () => {
  node = await startTestNode({ dataDir: 'memory://' });
  dir = mkdtempSync(join(tmpdir(), 'parley-bot-'));
});
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connected(bot: Bot) {
  const deadline = Date.now() + 10_000;
  while (bot.client.connection.getSnapshot().state !== 'CONNECTED') {
    if (Date.now() > deadline) throw new Error('the bot did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }
  // The subscription is attached right after the socket opens.
  await new Promise((r) => setTimeout(r, 200));
}

test('the example bot, a separate typed program, answers in the room it was asked in (a reply and a reaction to !ping), also what was asked while it was down', async () => {
  const ann = await signUp(node.url, 'ann');
  const botUser = await signUp(node.url, 'helper_bot');
  const { partition, inviteCode } = await ann.client.trpc.partition.create.mutate({ name: 'Bots' });
  await botUser.client.trpc.partition.join.mutate({ inviteCode });
  const general = (await ann.client.trpc.room.list.query({ partitionId: partition.id }))[0]!;
  const statePath = join(dir, 'bot-state.json');
  const ask = (body: string) => ann.client.trpc.message.send.mutate({ partitionId: partition.id, roomId: general.id, clientId: uuidv7(), body });

  let bot = await startBot({ url: node.url, token: botUser.token, partitionId: partition.id, statePath });
  await connected(bot);
  const watch = subscribe(ann.client, partition.id, null);
  await new Promise((r) => setTimeout(r, 300));
  for (const body of ['!ping', 'just chatting', '!echo hello <there>']) await ask(body);
  await watch.until((es) => messageBodies(es).length >= 5);
  await new Promise((r) => setTimeout(r, 500));
  const bodies = messageBodies(watch.events);
  // The bot answers asynchronously: its replies interleave, but each follows its question.
  expect([...bodies].sort()).toEqual(['!echo hello <there>', '!ping', 'hello <there>', 'just chatting', 'pong']);
  expect(bodies.indexOf('pong')).toBeGreaterThan(bodies.indexOf('!ping'));
  expect(bodies.indexOf('hello <there>')).toBeGreaterThan(bodies.indexOf('!echo hello <there>'));
  // `pong` answers `!ping` as a reply quoting it, and the bot put a 👍 on the question.
  const created = watch.events.flatMap((e) => (e.type === 'message.created' ? [e.data] : []));
  const ping = created.find((m) => m.body === '!ping')!;
  expect(created.find((m) => m.body === 'pong')).toMatchObject({
    authorId: bot.userId,
    replyTo: { id: ping.id, authorId: ann.user.id, snippet: '!ping', deleted: false },
  });
  expect(created.find((m) => m.body === 'hello <there>')?.replyTo).toBeNull();
  await watch.until((es) => es.some((e) => e.type === 'reaction.added'));
  expect(watch.events.filter((e) => e.type === 'reaction.added').map((e) => e.data)).toEqual([
    { messageId: ping.id, roomId: general.id, userId: bot.userId, emoji: '👍' },
  ]);
  const page = await ann.client.trpc.message.list.query({ partitionId: partition.id, roomId: general.id });
  expect(page.messages.find((m) => m.id === ping.id)?.reactions).toEqual([{ emoji: '👍', userIds: [bot.userId] }]);
  // The bot's own view (its message store) shows its reaction as its own.
  const botView = bot.client.messages.getRoom(partition.id, general.id).messages.find((m) => m.id === ping.id);
  expect(botView?.reactions).toEqual([{ emoji: '👍', userIds: [bot.userId], count: 1, mine: true }]);
  expect(bot.lastEventId).toBe(watch.ids.at(-1));
  await bot.stop();

  // Asked while the bot is down: a restarted bot resumes from its stored position and answers.
  await ask('!echo are you there?');
  bot = await startBot({ url: node.url, token: botUser.token, partitionId: partition.id, statePath });
  await watch.until((es) => messageBodies(es).includes('are you there?'));
  await new Promise((r) => setTimeout(r, 500));
  expect(messageBodies(watch.events).slice(5)).toEqual(['!echo are you there?', 'are you there?']);

  watch.stop();
  await bot.stop();
  await ann.client.close();
  await botUser.client.close();
});
