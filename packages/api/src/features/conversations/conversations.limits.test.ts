import { expect, test } from 'vitest';
import { createTestApi, createTestWorkspace } from '../../testing.ts';
import { newClientId, trpcError, wireError } from '../../test-util.ts';
import { opId } from './conversations.fixture.ts';

test('changes per user are limited (changesPerUser): the refusal says when to retry and changes nothing', async () => {
  await using api = await createTestApi({ config: { rateLimits: { changesPerUser: { limit: 3, windowMs: 60_000 } } } });
  const ws = await createTestWorkspace(api, 'lim', 'lim_owner');
  const P = { partitionId: 'lim' };
  const m = await ws.owner.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'react' });
  for (const emoji of ['👍', '🎉', '❤️']) await ws.owner.caller.reaction.add({ ...P, messageId: m.id, emoji, opId: opId() });
  const e = await trpcError(ws.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: '😀', opId: opId() }));
  expect(e.code).toBe('TOO_MANY_REQUESTS');
  expect(wireError(e).message).toMatch(/^You are making changes too fast \(at most 3 in 1 minute\)\. Try again in \d+ (seconds?|minute)\.$/);
  expect(wireError(e).data.retryAfterMs).toBeGreaterThan(0);
  const page = await ws.owner.caller.message.list({ ...P, roomId: ws.general });
  expect(page.messages[0]!.reactions.map((r) => r.emoji)).toEqual(['👍', '🎉', '❤️']);
});

test('names with control or text-direction characters are refused: a display name, a workspace, a room, a topic', async () => {
  await using api = await createTestApi();
  const RLO = '\u202E';
  const e = await trpcError(
    api.caller().auth.register({ username: 'bidi_user', password: 'correct horse battery', displayName: `evil${RLO}gpj.exe`, session: 'token' }),
  );
  expect([e.code, wireError(e).message]).toEqual(['BAD_REQUEST', 'displayName: A display name cannot contain control or text-direction characters.']);
  const ws = await createTestWorkspace(api, 'bidi', 'bidi_owner');
  const P = { partitionId: 'bidi' };
  expect((await trpcError(ws.owner.caller.partition.create({ name: `a\u2066b` }))).code).toBe('BAD_REQUEST');
  expect((await trpcError(ws.owner.caller.room.create({ ...P, name: `x${RLO}y` }))).code).toBe('BAD_REQUEST');
  expect((await trpcError(ws.owner.caller.room.update({ ...P, roomId: ws.general, topic: 'tab\there' }))).code).toBe('BAD_REQUEST');
  // Ordinary right-to-left text is welcome.
  await expect(ws.owner.caller.room.create({ ...P, name: 'שלום' })).resolves.toHaveProperty('id');
});
