import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError } from '../../test-util.ts';

let api: TestApi;
let owner: TestUser;
let member: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  api = await createTestApi();
  const ws = await createTestWorkspace(api, 'team', 'owner', ['member', 'viewer']);
  [owner, member, viewer] = [ws.owner, ws.members[0]!, ws.members[1]!];
  await api.deps.db.updateTable('memberships').set({ role: 'viewer' }).where('user_id', '=', viewer.id).execute();
});
afterAll(() => api.close());

const P = { partitionId: 'team' };

describe('room', () => {
  test('a member creates a room and is in it; others see it and can join and leave', async () => {
    const room = await member.caller.room.create({ ...P, name: 'random' });
    expect(room.name).toBe('random');
    let ownerView = await owner.caller.room.list(P);
    expect(ownerView.find((r) => r.id === room.id)).toMatchObject({ joined: false, memberCount: 1 });
    await owner.caller.room.join({ ...P, roomId: room.id });
    await owner.caller.room.join({ ...P, roomId: room.id });
    ownerView = await owner.caller.room.list(P);
    expect(ownerView.find((r) => r.id === room.id)).toMatchObject({ joined: true, memberCount: 2 });
    await owner.caller.room.leave({ ...P, roomId: room.id });
    ownerView = await owner.caller.room.list(P);
    expect(ownerView.find((r) => r.id === room.id)).toMatchObject({ joined: false, memberCount: 1 });
  });

  test('room names are unique per partition, case-insensitively', async () => {
    await member.caller.room.create({ ...P, name: 'Design' });
    const e = await trpcError(owner.caller.room.create({ ...P, name: 'design' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('already exists');
  });

  test('bad room names are BAD_REQUEST', async () => {
    expect((await trpcError(member.caller.room.create({ ...P, name: '   ' }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(member.caller.room.create({ ...P, name: 'x'.repeat(49) }))).code).toBe('BAD_REQUEST');
  });

  test('nobody leaves general', async () => {
    const general = (await member.caller.room.list(P)).find((r) => r.name === 'general')!;
    const e = await trpcError(member.caller.room.leave({ ...P, roomId: general.id }));
    expect(e.code).toBe('BAD_REQUEST');
  });

  test('without a session every room procedure is UNAUTHORIZED', async () => {
    const anon = api.caller();
    const calls = [anon.room.list(P), anon.room.create({ ...P, name: 'x' }), anon.room.join({ ...P, roomId: 'r' }), anon.room.leave({ ...P, roomId: 'r' })];
    for (const c of calls) expect((await trpcError(c as Promise<unknown>)).code).toBe('UNAUTHORIZED');
  });

  test('an unknown room is NOT_FOUND', async () => {
    expect((await trpcError(member.caller.room.join({ ...P, roomId: 'nope' }))).code).toBe('NOT_FOUND');
  });

  test('a viewer can read and join rooms but cannot create rooms or send', async () => {
    expect((await trpcError(viewer.caller.room.create({ ...P, name: 'viewers' }))).code).toBe('FORBIDDEN');
    const general = (await viewer.caller.room.list(P)).find((r) => r.name === 'general')!;
    const e = await trpcError(viewer.caller.message.send({ ...P, roomId: general.id, clientId: newClientId(), body: 'hi' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toContain('Viewers can read');
    await expect(viewer.caller.message.list({ ...P, roomId: general.id })).resolves.toHaveProperty('messages');
  });
});
