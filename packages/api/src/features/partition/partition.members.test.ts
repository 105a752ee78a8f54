import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError, untrack, wireError } from '../../test-util.ts';
import type { PartitionId } from '@parley/db';
import { appendEvents } from '../event/event.repo.ts';
import type { ParleyEvent } from '../event/event.types.ts';
import { deleteAllRoomMemberships } from '../room/room.repo.ts';

let api: TestApi;
let owner: TestUser;
let inviteCode: string;
let general: string;
const P = { partitionId: 'roles' };

beforeAll(async () => {
  api = await createTestApi();
  const ws = await createTestWorkspace(api, 'roles', 'olive');
  [owner, inviteCode, general] = [ws.owner, ws.inviteCode, ws.general];
});
afterAll(() => api.close());

async function join(name: string, role?: 'admin' | 'member' | 'viewer'): Promise<TestUser> {
  const user = await api.signUp(name);
  await user.caller.partition.join({ inviteCode });
  if (role && role !== 'member') await owner.caller.partition.setRole({ ...P, userId: user.id, role });
  return user;
}

const roleOf = async (user: TestUser) => (await owner.caller.partition.members(P)).find((m) => m.userId === user.id)?.role ?? null;

const events = (from: number) =>
  api.deps.db.selectFrom('events_roles').select(['id', 'type', 'data', 'actor_id']).where('id', '>', from).orderBy('id').execute();

const lastEventId = async () => (await owner.caller.event.head(P)).lastEventId;

const say = (user: TestUser, body: string) => user.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body });

describe('partition.setRole', () => {
  test('the owner makes a member a viewer: the viewer can read, not write, and the change is an event', async () => {
    const vic = await join('vic');
    await say(vic, 'before');
    const from = await lastEventId();
    const r = await owner.caller.partition.setRole({ ...P, userId: vic.id, role: 'viewer' });
    expect(r).toEqual({ userId: vic.id, role: 'viewer', changed: true });
    expect(await roleOf(vic)).toBe('viewer');
    expect((await vic.caller.partition.list()).find((p) => p.id === 'roles')?.role).toBe('viewer');
    const refused = await trpcError(say(vic, 'after'));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe('Viewers can read but not write in this workspace.');
    expect((await vic.caller.message.list({ ...P, roomId: general })).messages.length).toBeGreaterThan(0);
    const logged = await events(from);
    expect(logged.map((e) => [e.type, e.actor_id, e.data])).toEqual([
      ['partition.role_changed', owner.id, { userId: vic.id, role: 'viewer', previousRole: 'member' }],
    ]);
    // Back to member: writes again at once (the access cache forgot the old role).
    await owner.caller.partition.setRole({ ...P, userId: vic.id, role: 'member' });
    await expect(say(vic, 'back')).resolves.toHaveProperty('id');
  });

  test('the same role again changes nothing and writes no event', async () => {
    const sam = await join('sam');
    const from = await lastEventId();
    expect(await owner.caller.partition.setRole({ ...P, userId: sam.id, role: 'member' })).toEqual({ userId: sam.id, role: 'member', changed: false });
    expect(await events(from)).toEqual([]);
  });

  test('an admin manages members and viewers, but not admins, the owner, or their own role', async () => {
    const ada = await join('ada', 'admin');
    const abe = await join('abe', 'admin');
    const mia = await join('mia');
    await ada.caller.partition.setRole({ ...P, userId: mia.id, role: 'viewer' });
    expect(await roleOf(mia)).toBe('viewer');
    const refusals = [
      [ada.caller.partition.setRole({ ...P, userId: mia.id, role: 'admin' }), 'Only the owner can make or unmake admins.'],
      [ada.caller.partition.setRole({ ...P, userId: abe.id, role: 'member' }), 'Only the owner can make or unmake admins.'],
      [ada.caller.partition.setRole({ ...P, userId: owner.id, role: 'member' }), "The owner's role cannot be changed."],
      [ada.caller.partition.setRole({ ...P, userId: ada.id, role: 'member' }), 'You cannot change your own role; ask the owner.'],
      [owner.caller.partition.setRole({ ...P, userId: owner.id, role: 'admin' }), 'You cannot change your own role; ask the owner.'],
    ] as const;
    for (const [call, message] of refusals) {
      const e = await trpcError(call);
      expect([e.code, e.message]).toEqual(['FORBIDDEN', message]);
    }
    expect([await roleOf(mia), await roleOf(abe), await roleOf(owner), await roleOf(ada)]).toEqual(['viewer', 'admin', 'owner', 'admin']);
    // The owner may make and unmake admins.
    await owner.caller.partition.setRole({ ...P, userId: abe.id, role: 'member' });
    expect(await roleOf(abe)).toBe('member');
  });

  test('members and viewers may not change roles', async () => {
    const mo = await join('moe');
    const val = await join('val', 'viewer');
    for (const caller of [mo.caller, val.caller]) {
      const e = await trpcError(caller.partition.setRole({ ...P, userId: mo.id, role: 'viewer' }));
      expect([e.code, e.message]).toEqual(['FORBIDDEN', 'Only workspace admins and owners can do that.']);
    }
    expect(await roleOf(mo)).toBe('member');
  });

  test('bad input is BAD_REQUEST with a readable message; an unknown user is NOT_FOUND', async () => {
    const bad = await trpcError(owner.caller.partition.setRole({ ...P, userId: owner.id, role: 'owner' as 'admin' }));
    expect([bad.code, wireError(bad).message]).toEqual(['BAD_REQUEST', 'role: A role is admin, member or viewer.']);
    const long = await trpcError(owner.caller.partition.setRole({ ...P, userId: 'x'.repeat(65), role: 'viewer' }));
    expect([long.code, wireError(long).message]).toEqual(['BAD_REQUEST', 'userId: That is not a user id.']);
    const nobody = await trpcError(owner.caller.partition.setRole({ ...P, userId: 'no-such-user', role: 'viewer' }));
    expect([nobody.code, nobody.message]).toEqual(['NOT_FOUND', 'That person is not a member of this workspace.']);
  });

  test('someone of another workspace cannot change roles here', async () => {
    const mal = await api.signUp('mal');
    await mal.caller.partition.create({ id: 'malws', name: 'Mal' });
    const target = await join('tara');
    expect((await trpcError(mal.caller.partition.setRole({ ...P, userId: target.id, role: 'viewer' }))).code).toBe('NOT_FOUND');
    // Nor through their own workspace: the target is not a member there.
    expect((await trpcError(mal.caller.partition.setRole({ partitionId: 'malws', userId: target.id, role: 'viewer' }))).code).toBe('NOT_FOUND');
    expect(await roleOf(target)).toBe('member');
  });
});

describe('partition.removeMember and partition.leave', () => {
  test('a removed member is out of the workspace and every room; their messages stay; the events say so', async () => {
    const rex = await join('rex');
    const side = await owner.caller.room.create({ ...P, name: 'side' });
    await rex.caller.room.join({ ...P, roomId: side.id });
    const kept = await say(rex, 'I was here');
    const from = await lastEventId();
    expect(await owner.caller.partition.removeMember({ ...P, userId: rex.id })).toEqual({ removed: true });
    expect(await roleOf(rex)).toBeNull();
    expect((await rex.caller.partition.list()).map((p) => p.id)).not.toContain('roles');
    for (const call of [rex.caller.room.list(P), say(rex, 'still here?'), rex.caller.event.onEvent(P)]) {
      expect((await trpcError(call as Promise<unknown>)).code).toBe('NOT_FOUND');
    }
    const logged = await events(from);
    expect(logged.map((e) => e.type).sort()).toEqual(['member.left', 'member.left', 'partition.left']);
    expect(logged.at(-1)).toMatchObject({ type: 'partition.left', data: { userId: rex.id, removedBy: owner.id } });
    const rooms = await owner.caller.room.list(P);
    expect(rooms.find((r) => r.id === side.id)?.memberCount).toBe(1);
    const history = await owner.caller.message.list({ ...P, roomId: general });
    expect(history.messages.map((m) => m.id)).toContain(kept.id);
    // Not with the invite code they were removed under (see partition.rejoin.test.ts)...
    expect((await trpcError(rex.caller.partition.join({ inviteCode }))).code).toBe('FORBIDDEN');
    // ...but with a new one they can come back, as a member.
    ({ inviteCode } = await owner.caller.partition.rotateInvite(P));
    await rex.caller.partition.join({ inviteCode });
    expect(await roleOf(rex)).toBe('member');
  });

  test('an open stream of the removed member gets the partition.left event, then ends FORBIDDEN', async () => {
    const sid = await join('sid');
    const from = await lastEventId();
    const it = (await sid.caller.event.onEvent({ ...P, lastEventId: from }))[Symbol.asyncIterator]();
    const first = it.next();
    await new Promise((r) => setTimeout(r, 50));
    await owner.caller.partition.removeMember({ ...P, userId: sid.id });
    const got: ParleyEvent[] = [];
    let next = await first;
    let ended: unknown;
    try {
      while (!next.done) {
        got.push(untrack<ParleyEvent>(next.value).data);
        next = await it.next();
      }
    } catch (error) {
      ended = error;
    }
    expect(got.map((e) => e.type)).toEqual(['member.left', 'partition.left']);
    expect(ended).toMatchObject({ code: 'FORBIDDEN', message: 'You are no longer a member of this workspace.' });
  });

  test('when the access change wakes the stream before the events reach this node, the events come from the log first', async () => {
    const ivy = await join('ivy');
    const from = await lastEventId();
    const it = (await ivy.caller.event.onEvent({ ...P, lastEventId: from }))[Symbol.asyncIterator]();
    const first = it.next();
    await new Promise((r) => setTimeout(r, 50));
    // As another node removes her: committed there, its access change here at once, its events not yet.
    await api.deps.db.transaction().execute(async (trx) => {
      const rooms = await deleteAllRoomMemberships(trx, 'roles' as PartitionId, ivy.id);
      await trx.deleteFrom('memberships').where('partition_id', '=', 'roles').where('user_id', '=', ivy.id).execute();
      await appendEvents(trx, 'roles' as PartitionId, [
        ...rooms.map((roomId) => ({ type: 'member.left' as const, roomId, actorId: owner.id, data: { roomId, userId: ivy.id } })),
        { type: 'partition.left', roomId: null, actorId: owner.id, data: { userId: ivy.id, removedBy: owner.id } },
      ]);
    });
    await api.deps.access.changed({ kind: 'membership', userId: ivy.id, partitionId: 'roles' });
    const got: ParleyEvent[] = [];
    let ended: unknown;
    try {
      for (let next = await first; !next.done; next = await it.next()) got.push(untrack<ParleyEvent>(next.value).data);
    } catch (error) {
      ended = error;
    }
    expect(got.map((e) => e.type)).toEqual(['member.left', 'partition.left']);
    expect(ended).toMatchObject({ code: 'FORBIDDEN', message: 'You are no longer a member of this workspace.' });
  });

  test('an admin removes members and viewers, but not admins or the owner; members may not remove anyone', async () => {
    const amy = await join('amy', 'admin');
    const ann = await join('ann2', 'admin');
    const mel = await join('mel');
    const vee = await join('vee', 'viewer');
    const refusals = [
      [amy.caller.partition.removeMember({ ...P, userId: ann.id }), 'FORBIDDEN', 'Only the owner can remove an admin.'],
      [amy.caller.partition.removeMember({ ...P, userId: owner.id }), 'FORBIDDEN', 'The owner cannot be removed.'],
      [amy.caller.partition.removeMember({ ...P, userId: amy.id }), 'FORBIDDEN', 'To leave the workspace, use "Leave workspace".'],
      [mel.caller.partition.removeMember({ ...P, userId: vee.id }), 'FORBIDDEN', 'Only workspace admins and owners can do that.'],
      [vee.caller.partition.removeMember({ ...P, userId: mel.id }), 'FORBIDDEN', 'Only workspace admins and owners can do that.'],
    ] as const;
    for (const [call, code, message] of refusals) {
      const e = await trpcError(call);
      expect([e.code, e.message]).toEqual([code, message]);
    }
    await amy.caller.partition.removeMember({ ...P, userId: vee.id });
    await amy.caller.partition.removeMember({ ...P, userId: mel.id });
    await owner.caller.partition.removeMember({ ...P, userId: ann.id });
    expect([await roleOf(vee), await roleOf(mel), await roleOf(ann), await roleOf(amy)]).toEqual([null, null, null, 'admin']);
    expect((await trpcError(amy.caller.partition.removeMember({ ...P, userId: mel.id }))).code).toBe('NOT_FOUND');
  });

  test('anyone but the owner may leave; the owner is told why not', async () => {
    const lou = await join('lou', 'viewer');
    expect(await lou.caller.partition.leave(P)).toEqual({ left: true });
    expect(await roleOf(lou)).toBeNull();
    const last = (await events(0)).at(-1);
    expect(last).toMatchObject({ type: 'partition.left', data: { userId: lou.id, removedBy: null } });
    const e = await trpcError(owner.caller.partition.leave(P));
    expect([e.code, e.message]).toEqual(['FORBIDDEN', 'The owner cannot leave the workspace.']);
    expect((await trpcError(lou.caller.partition.leave(P))).code).toBe('NOT_FOUND');
  });

  test('every one of them needs a session', async () => {
    const anon = api.caller();
    const codes = await Promise.all(
      [
        anon.partition.setRole({ ...P, userId: owner.id, role: 'viewer' }),
        anon.partition.removeMember({ ...P, userId: owner.id }),
        anon.partition.leave(P),
      ].map(async (c) => (await trpcError(c as Promise<unknown>)).code),
    );
    expect(codes).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
  });
});
