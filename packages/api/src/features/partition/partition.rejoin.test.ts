import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, createTestWorkspace, type TestApi, type TestWorkspace } from '../../testing.ts';
import { trpcError } from '../../test-util.ts';
import { REMOVED_CANNOT_REJOIN } from './partition.service.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ config: { maxWorkspacesPerUser: 3 } });
});
afterAll(() => api.close());

const roleOf = async (ws: TestWorkspace, userId: string) =>
  (await ws.owner.caller.partition.members({ partitionId: ws.partitionId })).find((m) => m.userId === userId)?.role ?? null;

describe('an invite code does not undo a removal or a demotion', () => {
  test('someone removed cannot rejoin with the code of the moment; with a code made after, they can', async () => {
    const ws = await createTestWorkspace(api, 'rejoin_rm', 'rm_owner', ['rm_mia']);
    const mia = ws.members[0]!;
    await ws.owner.caller.partition.removeMember({ partitionId: ws.partitionId, userId: mia.id });

    const e = await trpcError(mia.caller.partition.join({ inviteCode: ws.inviteCode }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe(REMOVED_CANNOT_REJOIN);
    expect(await mia.caller.partition.list()).toEqual([]);
    expect(await roleOf(ws, mia.id)).toBeNull();
    // Others still join with that code.
    const ned = await api.signUp('rm_ned');
    expect((await ned.caller.partition.join({ inviteCode: ws.inviteCode })).partition.role).toBe('member');

    const { inviteCode: fresh } = await ws.owner.caller.partition.rotateInvite({ partitionId: ws.partitionId });
    expect((await mia.caller.partition.join({ inviteCode: fresh })).partition.role).toBe('member');
    expect(await roleOf(ws, mia.id)).toBe('member');
  });

  test('a viewer who leaves and rejoins with the code is a viewer again', async () => {
    const ws = await createTestWorkspace(api, 'rejoin_view', 'rv_owner', ['rv_val']);
    const val = ws.members[0]!;
    await ws.owner.caller.partition.setRole({ partitionId: ws.partitionId, userId: val.id, role: 'viewer' });
    await val.caller.partition.leave({ partitionId: ws.partitionId });

    const r = await val.caller.partition.join({ inviteCode: ws.inviteCode });
    expect(r.partition.role).toBe('viewer');
    expect(await roleOf(ws, val.id)).toBe('viewer');
    expect((await val.caller.partition.list()).map((p) => [p.id, p.role])).toEqual([[ws.partitionId, 'viewer']]);
    // Also with a new code: a code never lifts a role.
    await val.caller.partition.leave({ partitionId: ws.partitionId });
    const { inviteCode: fresh } = await ws.owner.caller.partition.rotateInvite({ partitionId: ws.partitionId });
    expect((await val.caller.partition.join({ inviteCode: fresh })).partition.role).toBe('viewer');
    // An admin can still make them a member again; then leaving and rejoining keeps that.
    await ws.owner.caller.partition.setRole({ partitionId: ws.partitionId, userId: val.id, role: 'member' });
    await val.caller.partition.leave({ partitionId: ws.partitionId });
    expect((await val.caller.partition.join({ inviteCode: fresh })).partition.role).toBe('member');
  });

  test('a viewer who was removed, let back with a new code, is still a viewer; an admin who left comes back a member', async () => {
    const ws = await createTestWorkspace(api, 'rejoin_mix', 'mx_owner', ['mx_vic', 'mx_ada']);
    const [vic, ada] = ws.members as [typeof ws.owner, typeof ws.owner];
    await ws.owner.caller.partition.setRole({ partitionId: ws.partitionId, userId: vic.id, role: 'viewer' });
    await ws.owner.caller.partition.removeMember({ partitionId: ws.partitionId, userId: vic.id });
    const { inviteCode: fresh } = await ws.owner.caller.partition.rotateInvite({ partitionId: ws.partitionId });
    expect((await vic.caller.partition.join({ inviteCode: fresh })).partition.role).toBe('viewer');

    await ws.owner.caller.partition.setRole({ partitionId: ws.partitionId, userId: ada.id, role: 'admin' });
    await ada.caller.partition.leave({ partitionId: ws.partitionId });
    expect((await ada.caller.partition.join({ inviteCode: fresh })).partition.role).toBe('member');
  });
});

describe('workspaces per account', () => {
  test('past the cap, creating a workspace is FORBIDDEN with a message, and creates nothing; administrators have no cap', async () => {
    // The first account of this database is its administrator (createTestApi), the others are not.
    const cap = await api.signUp('cap_cat');
    for (const id of ['cap_one', 'cap_two', 'cap_three']) await cap.caller.partition.create({ id, name: id });
    const e = await trpcError(cap.caller.partition.create({ id: 'cap_four', name: 'Four' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe('You have created 3 workspaces, the most one account may on this server. Ask its administrator to raise the limit.');
    expect(await api.deps.db.selectFrom('partitions').select('id').where('id', '=', 'cap_four').executeTakeFirst()).toBeUndefined();
    // Parallel attempts do not slip past it either.
    const racing = await Promise.allSettled(['cap_five', 'cap_six'].map((id) => cap.caller.partition.create({ id, name: id })));
    expect(racing.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // Joining others' workspaces is not capped.
    const other = await createTestWorkspace(api, 'cap_other', 'cap_dan');
    await cap.caller.partition.join({ inviteCode: other.inviteCode });
    expect((await cap.caller.partition.list()).length).toBe(4);
  });

  test('a Parley administrator is not capped', async () => {
    await using fresh = await createTestApi({ config: { maxWorkspacesPerUser: 1 } });
    const root = await fresh.signUp('cap_root');
    expect((await root.caller.auth.me())?.isAdmin).toBe(true);
    for (const id of ['root_one', 'root_two']) await root.caller.partition.create({ id, name: id });
    const bea = await fresh.signUp('cap_bea');
    await bea.caller.partition.create({ id: 'bea_one', name: 'One' });
    expect((await trpcError(bea.caller.partition.create({ id: 'bea_two', name: 'Two' }))).code).toBe('FORBIDDEN');
  });
});
