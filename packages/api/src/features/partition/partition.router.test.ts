import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tableExists } from '@parley/db';
import { createTestApi, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError } from '../../test-util.ts';

let api: TestApi;
let owner: TestUser;
let inviteCode: string;
beforeAll(async () => {
  api = await createTestApi();
  owner = await api.signUp('owner');
  ({ inviteCode } = await owner.caller.partition.create({ id: 'acme', name: 'Acme' }));
});
afterAll(() => api.close());

describe('partition', () => {
  test('create provisions the partition tables at runtime and a general room with the owner in it', async () => {
    for (const t of ['rooms', 'room_members', 'messages', 'events', 'media']) {
      expect(await tableExists(api.deps.db, `${t}_acme`)).toBe(true);
    }
    const rooms = await owner.caller.room.list({ partitionId: 'acme' });
    expect(rooms.map((r) => [r.name, r.joined, r.memberCount])).toEqual([['general', true, 1]]);
    expect(inviteCode).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    const row = await api.deps.db.selectFrom('partitions').selectAll().where('id', '=', 'acme').executeTakeFirstOrThrow();
    expect(row.invite_code_hash).not.toContain(inviteCode.replaceAll('-', ''));
  });

  test('without an id, one is derived from the name', async () => {
    const r = await owner.caller.partition.create({ name: 'Blue Team!' });
    expect(r.partition.id).toMatch(/^blue_team_[a-z0-9]+$/);
    expect(r.partition.role).toBe('owner');
  });

  test('a taken id is CONFLICT; a bad id is BAD_REQUEST and nothing is created', async () => {
    expect((await trpcError(owner.caller.partition.create({ id: 'acme', name: 'Again' }))).code).toBe('CONFLICT');
    const bad = await trpcError(owner.caller.partition.create({ id: 'x; drop table users', name: 'Evil' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('workspace id');
  });

  test('join by invite code (any case, with or without dashes) makes a member who is in general', async () => {
    const bea = await api.signUp('bea');
    const r = await bea.caller.partition.join({ inviteCode: inviteCode.toLowerCase().replaceAll('-', ' ') });
    expect(r.partition).toMatchObject({ id: 'acme', role: 'member' });
    const again = await bea.caller.partition.join({ inviteCode });
    expect(again.partition.role).toBe('member');
    expect((await bea.caller.partition.list()).map((p) => p.id)).toEqual(['acme']);
    const rooms = await bea.caller.room.list({ partitionId: 'acme' });
    expect(rooms.find((r) => r.name === 'general')?.joined).toBe(true);
    const members = await owner.caller.partition.members({ partitionId: 'acme' });
    expect(members.map((m) => [m.username, m.role])).toEqual([
      ['owner', 'owner'],
      ['bea', 'member'],
    ]);
  });

  test('a wrong invite code is NOT_FOUND', async () => {
    const cy = await api.signUp('cyd');
    const e = await trpcError(cy.caller.partition.join({ inviteCode: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' }));
    expect(e.code).toBe('NOT_FOUND');
    expect(await cy.caller.partition.list()).toEqual([]);
  });

  test('rotating the invite code: owner may, the old code stops working; a member may not', async () => {
    const dee = await api.signUp('dee');
    await dee.caller.partition.join({ inviteCode });
    expect((await trpcError(dee.caller.partition.rotateInvite({ partitionId: 'acme' }))).code).toBe('FORBIDDEN');
    const { inviteCode: fresh } = await owner.caller.partition.rotateInvite({ partitionId: 'acme' });
    const eli = await api.signUp('eli');
    expect((await trpcError(eli.caller.partition.join({ inviteCode }))).code).toBe('NOT_FOUND');
    expect((await eli.caller.partition.join({ inviteCode: fresh })).partition.id).toBe('acme');
    inviteCode = fresh;
  });

  test('an admin may rotate the invite code', async () => {
    const ada = await api.signUp('admin_ada');
    await ada.caller.partition.join({ inviteCode });
    await api.deps.db.updateTable('memberships').set({ role: 'admin' }).where('user_id', '=', ada.id).execute();
    await expect(ada.caller.partition.rotateInvite({ partitionId: 'acme' })).resolves.toHaveProperty('inviteCode');
  });

  test('a user of another partition reaches nothing here, not even by guessing ids', async () => {
    const mallory = await api.signUp('mallory');
    await mallory.caller.partition.create({ id: 'evil', name: 'Evil' });
    const general = (await owner.caller.room.list({ partitionId: 'acme' }))[0]!;
    const calls = [
      mallory.caller.room.list({ partitionId: 'acme' }),
      mallory.caller.partition.members({ partitionId: 'acme' }),
      mallory.caller.message.list({ partitionId: 'acme', roomId: general.id }),
      mallory.caller.message.send({ partitionId: 'acme', roomId: general.id, clientId: newClientId(), body: 'hi' }),
      mallory.caller.room.join({ partitionId: 'acme', roomId: general.id }),
      mallory.caller.event.onEvent({ partitionId: 'acme' }),
      // A room id of acme used inside mallory's own partition is simply not there.
      mallory.caller.message.send({ partitionId: 'evil', roomId: general.id, clientId: newClientId(), body: 'hi' }),
    ];
    const codes = await Promise.all(calls.map(async (c) => (await trpcError(c as Promise<unknown>)).code));
    expect(codes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
  });

  test('every partition procedure needs a session', async () => {
    const anon = api.caller();
    const codes = await Promise.all(
      [
        anon.partition.list(),
        anon.partition.create({ name: 'x' }),
        anon.partition.join({ inviteCode }),
        anon.partition.members({ partitionId: 'acme' }),
        anon.partition.rotateInvite({ partitionId: 'acme' }),
      ].map(async (c) => (await trpcError(c as Promise<unknown>)).code),
    );
    expect(codes.every((c) => c === 'UNAUTHORIZED')).toBe(true);
  });
});
