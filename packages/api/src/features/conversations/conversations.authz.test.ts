import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestUser } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';
import { createConversationFixture, opId, type ConversationFixture } from './conversations.fixture.ts';

/**
 * The authorization matrix of issue 9: every new procedure (and the old ones a private room
 * changes) × every kind of caller → the expected answer, from one table. `ok` is success;
 * anything else is the tRPC code. Each row prepares its own target first, so rows and callers
 * do not depend on each other's effects.
 */
type Actor = 'owner' | 'admin' | 'roomAdmin' | 'member' | 'viewer' | 'outsider' | 'stranger' | 'blocked';
type Expect = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_REQUEST';
const ACTORS: Actor[] = ['owner', 'admin', 'roomAdmin', 'member', 'viewer', 'outsider', 'stranger', 'blocked'];

let fx: ConversationFixture;
let P: { partitionId: string };

interface Row {
  name: string;
  /** Makes the row's target (as someone allowed to), before each caller tries. */
  prepare?: (fx: ConversationFixture) => Promise<Record<string, string>>;
  call: (user: TestUser, target: Record<string, string>) => Promise<unknown>;
  expect: Record<Actor, Expect>;
}

const say = async (user: TestUser, roomId: string, body = 'hello') => ({
  messageId: (await user.caller.message.send({ ...P, roomId, clientId: newClientId(), body })).id,
});

const MEMBERS_OF_SECRET: Record<Actor, Expect> = {
  owner: 'NOT_FOUND',
  admin: 'NOT_FOUND',
  roomAdmin: 'ok',
  member: 'ok',
  viewer: 'ok',
  outsider: 'NOT_FOUND',
  stranger: 'NOT_FOUND',
  blocked: 'ok',
};
const WRITERS_IN_SECRET: Record<Actor, Expect> = { ...MEMBERS_OF_SECRET, viewer: 'FORBIDDEN' };
const ROOM_MANAGERS: Record<Actor, Expect> = {
  owner: 'ok',
  admin: 'ok',
  roomAdmin: 'ok',
  member: 'FORBIDDEN',
  viewer: 'FORBIDDEN',
  outsider: 'NOT_FOUND',
  stranger: 'NOT_FOUND',
  blocked: 'FORBIDDEN',
};
const EVERY_MEMBER: Record<Actor, Expect> = {
  owner: 'ok',
  admin: 'ok',
  roomAdmin: 'ok',
  member: 'ok',
  viewer: 'ok',
  outsider: 'ok',
  stranger: 'NOT_FOUND',
  blocked: 'ok',
};

const ROWS: Row[] = [
  { name: 'message.list of a private room', call: (u) => u.caller.message.list({ ...P, roomId: fx.secret }), expect: MEMBERS_OF_SECRET },
  { name: 'message.send in a private room', call: (u) => say(u, fx.secret), expect: WRITERS_IN_SECRET },
  { name: 'room.join of a private room', call: (u) => u.caller.room.join({ ...P, roomId: fx.secret }), expect: MEMBERS_OF_SECRET },
  {
    name: 'room.members of a private room',
    call: (u) => u.caller.room.members({ ...P, roomId: fx.secret }),
    expect: { ...MEMBERS_OF_SECRET, owner: 'ok', admin: 'ok' },
  },
  { name: 'room.update (topic)', call: (u) => u.caller.room.update({ ...P, roomId: fx.secret, topic: `topic by ${u.username}` }), expect: ROOM_MANAGERS },
  {
    name: 'room.addMember',
    prepare: async (f) => {
      await f.roomAdmin.caller.room.removeMember({ ...P, roomId: f.secret, userId: f.outsider.id });
      return {};
    },
    call: (u) => u.caller.room.addMember({ ...P, roomId: fx.secret, userId: fx.outsider.id }),
    expect: ROOM_MANAGERS,
  },
  {
    name: 'room.removeMember',
    prepare: async (f) => {
      await f.roomAdmin.caller.room.addMember({ ...P, roomId: f.secret, userId: f.outsider.id });
      return {};
    },
    call: (u) => u.caller.room.removeMember({ ...P, roomId: fx.secret, userId: fx.outsider.id }),
    // The outsider is in the room by then, as a plain member.
    expect: { ...ROOM_MANAGERS, outsider: 'FORBIDDEN' },
  },
  { name: 'room.setRole', call: (u) => u.caller.room.setRole({ ...P, roomId: fx.secret, userId: fx.member.id, role: 'member' }), expect: ROOM_MANAGERS },
  {
    name: "message.edit of the room admin's message",
    prepare: (f) => say(f.roomAdmin, f.secret, 'typo'),
    call: (u, t) => u.caller.message.edit({ ...P, messageId: t.messageId!, body: `fixed by ${u.username}`, opId: opId() }),
    expect: { ...WRITERS_IN_SECRET, member: 'FORBIDDEN', blocked: 'FORBIDDEN' },
  },
  {
    name: "message.delete for everyone of a member's message",
    prepare: (f) => say(f.member, f.secret, 'oops'),
    call: (u, t) => u.caller.message.delete({ ...P, messageId: t.messageId!, scope: 'everyone', opId: opId() }),
    expect: { ...MEMBERS_OF_SECRET, viewer: 'FORBIDDEN', blocked: 'FORBIDDEN' },
  },
  {
    name: 'message.delete for me',
    prepare: (f) => say(f.member, f.secret),
    call: (u, t) => u.caller.message.delete({ ...P, messageId: t.messageId!, scope: 'me', opId: opId() }),
    expect: MEMBERS_OF_SECRET,
  },
  {
    name: 'message.pin',
    prepare: (f) => say(f.member, f.secret, 'pin me'),
    call: (u, t) => u.caller.message.pin({ ...P, messageId: t.messageId!, opId: opId() }),
    expect: WRITERS_IN_SECRET,
  },
  { name: 'message.pins', call: (u) => u.caller.message.pins({ ...P, roomId: fx.secret }), expect: MEMBERS_OF_SECRET },
  {
    name: 'reaction.add',
    prepare: (f) => say(f.member, f.secret, 'react to me'),
    call: (u, t) => u.caller.reaction.add({ ...P, messageId: t.messageId!, emoji: '👍', opId: opId() }),
    expect: WRITERS_IN_SECRET,
  },
  {
    name: 'dm.open with the room admin',
    call: (u) => u.caller.dm.open({ ...P, userIds: [fx.roomAdmin.id] }),
    // Alone with yourself is not a conversation; the blocked user learns nothing of the block.
    expect: { ...EVERY_MEMBER, roomAdmin: 'BAD_REQUEST', viewer: 'FORBIDDEN', blocked: 'NOT_FOUND' },
  },
  {
    name: 'announcement.create',
    call: (u) => u.caller.announcement.create({ ...P, body: 'all hands', opId: opId() }),
    expect: {
      owner: 'ok',
      admin: 'ok',
      roomAdmin: 'FORBIDDEN',
      member: 'FORBIDDEN',
      viewer: 'FORBIDDEN',
      outsider: 'FORBIDDEN',
      stranger: 'NOT_FOUND',
      blocked: 'FORBIDDEN',
    },
  },
  { name: 'announcement.list', call: (u) => u.caller.announcement.list(P), expect: EVERY_MEMBER },
  {
    name: 'announcement.dismiss',
    prepare: async (f) => ({ id: (await f.owner.caller.announcement.create({ ...P, body: 'read me', opId: opId() })).id }),
    call: (u, t) => u.caller.announcement.dismiss({ ...P, announcementId: t.id!, opId: opId() }),
    expect: EVERY_MEMBER,
  },
];

beforeAll(async () => {
  fx = await createConversationFixture('authz');
  P = { partitionId: fx.partitionId };
});
afterAll(() => fx.api.close());

describe('authorization matrix', () => {
  for (const row of ROWS) {
    test(row.name, async () => {
      const got: Partial<Record<Actor, string>> = {}; // an Expect, or whatever else came back
      for (const actor of ACTORS) {
        const target = (await row.prepare?.(fx)) ?? {};
        try {
          await row.call(fx[actor], target);
          got[actor] = 'ok';
        } catch (error) {
          got[actor] = (error as { code?: string }).code ?? String(error);
        }
      }
      // The outsider stays outside the private room for the next row.
      await fx.roomAdmin.caller.room.removeMember({ ...P, roomId: fx.secret, userId: fx.outsider.id });
      expect(got).toEqual(row.expect);
    });
  }
});
