import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBot } from '@parley/example-bot/src/bot.ts';
import type { ParleyNode } from '../src/node.ts';
import { messageBodies, signUp, startTestNode, subscribe, uuidv7 } from './helpers.ts';

let node: ParleyNode;
beforeAll(async () => {
  node = await startTestNode({ dataDir: 'memory://' });
});
afterAll(() => node?.close());

test('the example bot, a separate typed program, answers in the room it was asked in', async () => {
  const ann = await signUp(node.url, 'ann');
  const botUser = await signUp(node.url, 'helper_bot');
  const { partition, inviteCode } = await ann.client.trpc.partition.create.mutate({ name: 'Bots' });
  await botUser.client.trpc.partition.join.mutate({ inviteCode });
  const general = (await ann.client.trpc.room.list.query({ partitionId: partition.id }))[0]!;

  const bot = await startBot({ url: node.url, token: botUser.token, partitionId: partition.id });
  const watch = subscribe(ann.client, partition.id, null);
  await new Promise((r) => setTimeout(r, 300));
  for (const body of ['!ping', 'just chatting', '!echo hello <there>']) {
    await ann.client.trpc.message.send.mutate({ partitionId: partition.id, roomId: general.id, clientId: uuidv7(), body });
  }
  await watch.until((es) => messageBodies(es).length >= 5);
  await new Promise((r) => setTimeout(r, 500));
  const bodies = messageBodies(watch.events);
  // The bot answers asynchronously: its replies interleave, but each follows its question.
  expect([...bodies].sort()).toEqual(['!echo hello <there>', '!ping', 'hello <there>', 'just chatting', 'pong']);
  expect(bodies.indexOf('pong')).toBeGreaterThan(bodies.indexOf('!ping'));
  expect(bodies.indexOf('hello <there>')).toBeGreaterThan(bodies.indexOf('!echo hello <there>'));
  expect(bot.lastEventId).toBe(watch.ids.at(-1));
  watch.stop();
  await bot.stop();
  await ann.client.close();
  await botUser.client.close();
});
