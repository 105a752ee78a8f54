import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestUser } from '../../testing.ts';
import { newClientId, trpcError, wireError } from '../../test-util.ts';
import type { ParleyEvent } from '../event/event.types.ts';
import { createConversationFixture, opId, streamUntil, type ConversationFixture } from './conversations.fixture.ts';

let fx: ConversationFixture;
let P: { partitionId: string };

beforeAll(async () => {
  fx = await createConversationFixture('conv');
  P = { partitionId: fx.partitionId };
});
afterAll(() => fx.api.close());

const db = () => fx.api.deps.db;
const say = (user: TestUser, roomId: string, body: string, replyTo?: string) =>
  user.caller.message.send({ ...P, roomId, clientId: newClientId(), body, ...(replyTo ? { replyTo } : {}) });
const head = async () => (await fx.owner.caller.event.head(P)).lastEventId;
const eventsAfter = (from: number) => db().selectFrom('events_conv').select(['id', 'type', 'room_id', 'data']).where('id', '>', from).orderBy('id').execute();
const listed = async (user: TestUser, roomId: string) => (await user.caller.message.list({ ...P, roomId })).messages;

describe('edit', () => {
  test('the author edits within the window: the text changes, "(edited)" time is set, the old text is kept, one event', async () => {
    const m = await say(fx.member, fx.general, 'helo');
    const from = await head();
    const r = await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'hello', opId: opId() });
    expect(r).toMatchObject({ id: m.id, body: 'hello' });
    expect(r.editedAt).toBeTruthy();
    const shown = (await listed(fx.owner, fx.general)).find((x) => x.id === m.id)!;
    expect(shown).toMatchObject({ body: 'hello', editedAt: r.editedAt });
    const kept = await db().selectFrom('message_edits_conv').selectAll().where('message_id', '=', m.id).execute();
    expect(kept.map((k) => k.previous_body)).toEqual(['helo']);
    expect((await eventsAfter(from)).map((e) => [e.type, e.data])).toEqual([
      ['message.edited', { id: m.id, roomId: fx.general, body: 'hello', editedAt: r.editedAt }],
    ]);
  });

  test('after 5 minutes (database clock) an edit is PRECONDITION_FAILED with when the window closed, and nothing changes', async () => {
    const m = await say(fx.member, fx.general, 'old news');
    await sql`update messages_conv set created_at = now() - interval '5 minutes 1 second' where id = ${m.id}`.execute(db());
    const from = await head();
    const e = await trpcError(fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'new', opId: opId() }));
    expect(e.code).toBe('PRECONDITION_FAILED');
    expect(e.message).toMatch(/edited for 5 minutes after sending; the time to edit this one ended at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    expect((await listed(fx.member, fx.general)).find((x) => x.id === m.id)?.body).toBe('old news');
    expect(await head()).toBe(from);
  });

  test('the same opId twice is one edit; an older opId replayed after a newer edit does not undo it; an opId reused for another kind is CONFLICT', async () => {
    const m = await say(fx.member, fx.general, 'v1');
    const a = opId();
    const b = opId();
    const first = await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'v2', opId: a });
    const from = await head();
    expect(await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'v2', opId: a })).toEqual(first);
    expect(await head()).toBe(from);
    await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'v3', opId: b });
    expect(await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'v2', opId: a })).toEqual(first);
    expect((await listed(fx.member, fx.general)).find((x) => x.id === m.id)?.body).toBe('v3');
    const reused = await trpcError(fx.member.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍', opId: a }));
    expect(reused.code).toBe('CONFLICT');
    const otherUser = await trpcError(fx.owner.caller.message.edit({ ...P, messageId: m.id, body: 'x', opId: b }));
    expect(otherUser.code).toBe('CONFLICT');
  });

  test('bad edits: empty, too long, someone else’s, unknown id', async () => {
    const m = await say(fx.member, fx.general, 'mine');
    expect((await trpcError(fx.member.caller.message.edit({ ...P, messageId: m.id, body: '  ', opId: opId() }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'x'.repeat(4001), opId: opId() }))).code).toBe('BAD_REQUEST');
    const other = await trpcError(fx.owner.caller.message.edit({ ...P, messageId: m.id, body: 'mine now', opId: opId() }));
    expect([other.code, other.message]).toEqual(['FORBIDDEN', 'You can only edit your own messages.']);
    expect((await trpcError(fx.member.caller.message.edit({ ...P, messageId: 'nope', body: 'x', opId: opId() }))).code).toBe('NOT_FOUND');
    expect((await trpcError(fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'x', opId: 'not-a-uuid' }))).code).toBe('BAD_REQUEST');
  });
});

describe('delete', () => {
  test('for everyone: a tombstone for all, and the text is gone from the row, its edits, the log and the quotes of it', async () => {
    const m = await say(fx.member, fx.general, 'secret plan v1');
    await fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'secret plan v2', opId: opId() });
    await fx.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: '🎉', opId: opId() });
    const reply = await say(fx.owner, fx.general, 'nice', m.id);
    expect(reply.replyTo).toMatchObject({ id: m.id, snippet: 'secret plan v2', deleted: false, authorId: fx.member.id });
    const from = await head();
    await fx.member.caller.message.delete({ ...P, messageId: m.id, scope: 'everyone', opId: opId() });
    const seen = (await listed(fx.outsider, fx.general)).find((x) => x.id === m.id)!;
    expect(seen).toMatchObject({ body: '', reactions: [] });
    expect(seen.deletedAt).toBeTruthy();
    expect((await listed(fx.outsider, fx.general)).find((x) => x.id === reply.id)?.replyTo).toMatchObject({ snippet: '', deleted: true });
    const log = await db().selectFrom('events_conv').select(['data']).where('id', '<=', from).execute();
    expect(JSON.stringify(log)).not.toContain('secret plan');
    expect(await db().selectFrom('message_edits_conv').selectAll().where('message_id', '=', m.id).execute()).toEqual([]);
    expect((await eventsAfter(from)).map((e) => e.type)).toEqual(['message.deleted']);
    // Deleting again changes nothing; editing or reacting to a tombstone is refused.
    await fx.member.caller.message.delete({ ...P, messageId: m.id, scope: 'everyone', opId: opId() });
    expect((await eventsAfter(from)).length).toBe(1);
    expect((await trpcError(fx.member.caller.message.edit({ ...P, messageId: m.id, body: 'back', opId: opId() }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(fx.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍', opId: opId() }))).code).toBe('BAD_REQUEST');
  });

  test('moderation: a workspace admin deletes a member’s message in a public room they are in; a member cannot delete someone else’s', async () => {
    const m = await say(fx.member, fx.general, 'spam');
    expect((await trpcError(fx.outsider.caller.message.delete({ ...P, messageId: m.id, scope: 'everyone', opId: opId() }))).code).toBe('FORBIDDEN');
    await fx.admin.caller.message.delete({ ...P, messageId: m.id, scope: 'everyone', opId: opId() });
    expect((await listed(fx.member, fx.general)).find((x) => x.id === m.id)?.deletedAt).toBeTruthy();
  });

  test('for me: gone from my list only, and only my streams hear of it', async () => {
    const m = await say(fx.member, fx.general, 'hide me');
    const from = await head();
    await fx.outsider.caller.message.delete({ ...P, messageId: m.id, scope: 'me', opId: opId() });
    expect((await listed(fx.outsider, fx.general)).some((x) => x.id === m.id)).toBe(false);
    expect((await listed(fx.member, fx.general)).some((x) => x.id === m.id)).toBe(true);
    await fx.owner.caller.announcement.create({ ...P, body: 'marker after hide', opId: opId() });
    const isMarker = (e: ParleyEvent) => e.type === 'announcement.created' && e.data.body === 'marker after hide';
    const mine = await streamUntil(fx.outsider, fx.partitionId, from, isMarker);
    const theirs = await streamUntil(fx.member, fx.partitionId, from, isMarker);
    expect(mine.map((e) => e.type)).toEqual(['message.hidden', 'announcement.created']);
    expect(theirs.map((e) => e.type)).toEqual(['announcement.created']);
  });
});

describe('reactions, replies, pins', () => {
  test('one of each emoji per person; counts with who; only emoji', async () => {
    const m = await say(fx.member, fx.general, 'react');
    await fx.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍', opId: opId() });
    await fx.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍', opId: opId() });
    await fx.outsider.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍', opId: opId() });
    await fx.outsider.caller.reaction.add({ ...P, messageId: m.id, emoji: '👍🏽', opId: opId() });
    let shown = (await listed(fx.member, fx.general)).find((x) => x.id === m.id)!;
    expect(shown.reactions).toEqual([
      { emoji: '👍', userIds: [fx.owner.id, fx.outsider.id] },
      { emoji: '👍🏽', userIds: [fx.outsider.id] },
    ]);
    await fx.owner.caller.reaction.remove({ ...P, messageId: m.id, emoji: '👍', opId: opId() });
    shown = (await listed(fx.member, fx.general)).find((x) => x.id === m.id)!;
    expect(shown.reactions[0]).toEqual({ emoji: '👍', userIds: [fx.outsider.id] });
    for (const bad of ['a', '<b>', '👍👍', ':+1:', '']) {
      const e = await trpcError(fx.owner.caller.reaction.add({ ...P, messageId: m.id, emoji: bad, opId: opId() }));
      expect(e.code, bad).toBe('BAD_REQUEST');
    }
  });

  test('a reply quotes a message of the same room; another room’s message is refused; the page around an old message loads', async () => {
    const original = await say(fx.member, fx.general, 'the original question');
    for (let i = 0; i < 12; i++) await say(fx.owner, fx.general, `filler ${i}`);
    const reply = await say(fx.owner, fx.general, 'the answer', original.id);
    expect(reply.replyTo).toMatchObject({ id: original.id, authorName: `${fx.partitionId}_member`, snippet: 'the original question' });
    // A resend (lost reply) is answered with the same message, its quote included.
    const clientId = newClientId();
    const first = await fx.owner.caller.message.send({ ...P, roomId: fx.general, clientId, body: 'again', replyTo: original.id });
    const again = await fx.owner.caller.message.send({ ...P, roomId: fx.general, clientId, body: 'again', replyTo: original.id });
    expect(again).toEqual(first);
    expect(again.replyTo?.snippet).toBe('the original question');
    const secretMsg = await say(fx.member, fx.secret, 'elsewhere');
    const e = await trpcError(say(fx.owner, fx.general, 'x', secretMsg.id));
    expect([e.code, e.message]).toEqual(['BAD_REQUEST', 'The message you reply to is not in this room.']);
    const latest = await fx.owner.caller.message.list({ ...P, roomId: fx.general, limit: 5 });
    expect(latest.messages.some((x) => x.id === original.id)).toBe(false);
    const around = await fx.owner.caller.message.list({ ...P, roomId: fx.general, limit: 6, around: original.id });
    expect(around.messages.map((x) => x.body)).toContain('the original question');
    expect(around.messages.filter((x) => x.body.startsWith('filler')).length).toBe(3);
  });

  test('pins: members pin and unpin; the pinned list is per room, newest first', async () => {
    const a = await say(fx.member, fx.secret, 'pin a');
    const b = await say(fx.member, fx.secret, 'pin b');
    await fx.member.caller.message.pin({ ...P, messageId: a.id, opId: opId() });
    await fx.roomAdmin.caller.message.pin({ ...P, messageId: b.id, opId: opId() });
    const pins = await fx.viewer.caller.message.pins({ ...P, roomId: fx.secret });
    expect(pins.messages.slice(0, 2).map((m) => [m.body, m.pinnedBy])).toEqual([
      ['pin b', fx.roomAdmin.id],
      ['pin a', fx.member.id],
    ]);
    expect(pins.asOf).toBeGreaterThan(0);
    await fx.member.caller.message.unpin({ ...P, messageId: b.id, opId: opId() });
    expect((await fx.viewer.caller.message.pins({ ...P, roomId: fx.secret })).messages.some((m) => m.id === b.id)).toBe(false);
  });
});

describe('private rooms and direct messages stay private', () => {
  test('a private room is not listed, readable or joinable by others; workspace admins see it listed to moderate', async () => {
    const outsiderRooms = await fx.outsider.caller.room.list(P);
    expect(outsiderRooms.some((r) => r.id === fx.secret)).toBe(false);
    const adminRooms = await fx.admin.caller.room.list(P);
    expect(adminRooms.find((r) => r.id === fx.secret)).toMatchObject({ kind: 'private', joined: false, myRole: null, topic: 'plans' });
    const memberRooms = await fx.member.caller.room.list(P);
    expect(memberRooms.find((r) => r.id === fx.secret)).toMatchObject({ kind: 'private', joined: true, myRole: 'member' });
    expect((await fx.roomAdmin.caller.room.list(P)).find((r) => r.id === fx.secret)?.myRole).toBe('admin');
  });

  test("a non-member's stream and a DM's third party receive none of their events; after removal, nothing more", async () => {
    const from = await head();
    const dm = await fx.member.caller.dm.open({ ...P, userIds: [fx.owner.id] });
    await say(fx.member, dm.id, 'just between us');
    await say(fx.member, fx.secret, 'in the private room');
    await fx.roomAdmin.caller.room.update({ ...P, roomId: fx.secret, topic: 'new plans' });
    // The viewer is taken out of the private room; what follows there is not theirs to see.
    await fx.roomAdmin.caller.room.removeMember({ ...P, roomId: fx.secret, userId: fx.viewer.id });
    await say(fx.member, fx.secret, 'after the viewer left');
    await fx.owner.caller.announcement.create({ ...P, body: 'marker', opId: opId() });
    const isMarker = (e: ParleyEvent) => e.type === 'announcement.created' && e.data.body === 'marker';

    const outsider = await streamUntil(fx.outsider, fx.partitionId, from, isMarker);
    expect(outsider.filter((e) => e.roomId === fx.secret || e.roomId === dm.id)).toEqual([]);
    // A stream opened after the removal replays only what the viewer may see now: the news of
    // their own removal, none of the room's history.
    const viewer = await streamUntil(fx.viewer, fx.partitionId, from, isMarker);
    expect(viewer.filter((e) => e.roomId === dm.id)).toEqual([]);
    expect(viewer.filter((e) => e.roomId === fx.secret).map((e) => e.type)).toEqual(['member.left']);
    const owner = await streamUntil(fx.owner, fx.partitionId, from, isMarker);
    expect(owner.filter((e) => e.roomId === dm.id).map((e) => e.type)).toEqual(['room.created', 'member.joined', 'member.joined', 'message.created']);
    expect(owner.filter((e) => e.roomId === fx.secret)).toEqual([]);
    // Guessing ids reveals nothing either.
    expect((await trpcError(fx.outsider.caller.message.list({ ...P, roomId: dm.id }))).code).toBe('NOT_FOUND');
    expect((await trpcError(fx.outsider.caller.room.join({ ...P, roomId: dm.id }))).code).toBe('NOT_FOUND');
    expect((await trpcError(fx.outsider.caller.presence.typing({ ...P, roomId: fx.secret }))).code).toBe('NOT_FOUND');
    await fx.roomAdmin.caller.room.addMember({ ...P, roomId: fx.secret, userId: fx.viewer.id });
  });

  test('a live stream of someone removed from a private room carries the room until their member.left, then nothing more of it', async () => {
    const from = await head();
    const isMarker = (e: ParleyEvent) => e.type === 'announcement.created' && e.data.body === 'live marker';
    const collecting = streamUntil(fx.viewer, fx.partitionId, from, isMarker);
    await new Promise((r) => setTimeout(r, 200));
    await say(fx.member, fx.secret, 'before removal');
    await fx.roomAdmin.caller.room.removeMember({ ...P, roomId: fx.secret, userId: fx.viewer.id });
    await say(fx.member, fx.secret, 'after removal');
    await fx.roomAdmin.caller.room.update({ ...P, roomId: fx.secret, topic: 'after removal' });
    await fx.owner.caller.announcement.create({ ...P, body: 'live marker', opId: opId() });
    const got = (await collecting).filter((e) => e.roomId === fx.secret);
    expect(got.map((e) => [e.type, e.type === 'message.created' ? e.data.body : ''])).toEqual([
      ['message.created', 'before removal'],
      ['member.left', ''],
    ]);
    expect((got[1]!.data as { removedBy?: string }).removedBy).toBe(fx.roomAdmin.id);
    await fx.roomAdmin.caller.room.addMember({ ...P, roomId: fx.secret, userId: fx.viewer.id });
  });

  test('a DM is the same room whoever opens it again; up to 8 people; only with members of the workspace', async () => {
    const a = await fx.member.caller.dm.open({ ...P, userIds: [fx.outsider.id] });
    const b = await fx.outsider.caller.dm.open({ ...P, userIds: [fx.member.id, fx.member.id] });
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ kind: 'dm', name: '', memberIds: [fx.member.id, fx.outsider.id].sort(), joined: true });
    expect((await fx.owner.caller.room.list(P)).some((r) => r.id === a.id)).toBe(false);
    const nine = await trpcError(fx.member.caller.dm.open({ ...P, userIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] }));
    expect([nine.code, wireError(nine).message]).toEqual(['BAD_REQUEST', 'userIds: A direct message has at most 8 people, you included.']);
    const stranger = await trpcError(fx.member.caller.dm.open({ ...P, userIds: [fx.stranger.id] }));
    expect(stranger.code).toBe('NOT_FOUND');
    const group = await fx.member.caller.dm.open({ ...P, userIds: [fx.outsider.id, fx.owner.id] });
    expect(group.memberIds).toHaveLength(3);
    expect(group.id).not.toBe(a.id);
    expect((await trpcError(fx.member.caller.room.addMember({ ...P, roomId: group.id, userId: fx.admin.id }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(fx.member.caller.room.leave({ ...P, roomId: group.id }))).code).toBe('BAD_REQUEST');
  });

  test('someone who left the workspace and came back gets back into their DM when it is opened again', async () => {
    const { inviteCode } = await fx.owner.caller.partition.rotateInvite(P);
    const dm = await fx.admin.caller.dm.open({ ...P, userIds: [fx.outsider.id] });
    await say(fx.outsider, dm.id, 'before leaving');
    await fx.outsider.caller.partition.leave(P);
    await fx.outsider.caller.partition.join({ inviteCode });
    expect((await fx.outsider.caller.room.list(P)).some((r) => r.id === dm.id)).toBe(false);
    expect((await fx.admin.caller.dm.open({ ...P, userIds: [fx.outsider.id] })).id).toBe(dm.id);
    expect((await listed(fx.outsider, dm.id)).map((m) => m.body)).toEqual(['before leaving']);
  });

  test('room roles: the last admin cannot step down; a promoted member manages the room', async () => {
    const e = await trpcError(fx.roomAdmin.caller.room.setRole({ ...P, roomId: fx.secret, userId: fx.roomAdmin.id, role: 'member' }));
    expect(e.code).toBe('BAD_REQUEST');
    await fx.roomAdmin.caller.room.setRole({ ...P, roomId: fx.secret, userId: fx.member.id, role: 'admin' });
    await fx.member.caller.room.update({ ...P, roomId: fx.secret, topic: 'member now admin' });
    await fx.roomAdmin.caller.room.setRole({ ...P, roomId: fx.secret, userId: fx.member.id });
    expect((await trpcError(fx.member.caller.room.update({ ...P, roomId: fx.secret, topic: 'no' }))).code).toBe('FORBIDDEN');
    const long = await trpcError(fx.roomAdmin.caller.room.update({ ...P, roomId: fx.secret, topic: 'x'.repeat(251) }));
    expect(wireError(long).message).toBe('topic: A topic has at most 250 characters.');
  });
});

describe('blocking', () => {
  test('the blocked user cannot open a DM with the blocker, and the answer is the same as for a stranger', async () => {
    const blocked = await trpcError(fx.blocked.caller.dm.open({ ...P, userIds: [fx.roomAdmin.id] }));
    const stranger = await trpcError(fx.member.caller.dm.open({ ...P, userIds: [fx.stranger.id] }));
    expect([blocked.code, blocked.message]).toEqual([stranger.code, stranger.message]);
  });

  test('the blocked user cannot add the blocker to a room (nor the reverse), and is told nothing of the block', async () => {
    const room = await fx.blocked.caller.room.create({ ...P, name: 'beas room', visibility: 'private' });
    const e = await trpcError(fx.blocked.caller.room.addMember({ ...P, roomId: room.id, userId: fx.roomAdmin.id }));
    expect([e.code, e.message]).toEqual(['NOT_FOUND', 'That person is not a member of this workspace.']);
  });

  test("the blocker's list and stream mark the blocked user's messages; unblocking takes the mark away, in every workspace", async () => {
    const from = await head();
    await say(fx.blocked, fx.secret, 'from bea');
    await say(fx.member, fx.secret, 'from the member');
    const marked = (await listed(fx.roomAdmin, fx.secret)).filter((m) => m.body.startsWith('from '));
    expect(marked.map((m) => [m.body, m.authorBlocked ?? false])).toEqual([
      ['from bea', true],
      ['from the member', false],
    ]);
    expect((await listed(fx.member, fx.secret)).find((m) => m.body === 'from bea')?.authorBlocked).toBeUndefined();
    const stream = await streamUntil(fx.roomAdmin, fx.partitionId, from, (e) => e.type === 'message.created' && e.data.body === 'from the member');
    expect(stream.filter((e) => e.type === 'message.created').map((e) => (e.data as { authorBlocked?: true }).authorBlocked ?? false)).toEqual([true, false]);
    expect((await fx.roomAdmin.caller.user.blocks()).map((b) => b.userId)).toEqual([fx.blocked.id]);
    await fx.roomAdmin.caller.user.unblock({ userId: fx.blocked.id });
    expect((await listed(fx.roomAdmin, fx.secret)).find((m) => m.body === 'from bea')?.authorBlocked).toBeUndefined();
    await fx.roomAdmin.caller.user.block({ userId: fx.blocked.id });
    expect((await trpcError(fx.roomAdmin.caller.user.block({ userId: fx.roomAdmin.id }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(fx.roomAdmin.caller.user.block({ userId: 'nobody' }))).code).toBe('NOT_FOUND');
  });

  test("a stream already open learns of a new block at once and marks that person's next messages", async () => {
    const from = await head();
    await fx.member.caller.user.block({ userId: fx.outsider.id });
    const collecting = streamUntil(fx.member, fx.partitionId, from, (e) => e.type === 'message.created' && e.data.body === 'second');
    await new Promise((r) => setTimeout(r, 200));
    await say(fx.outsider, fx.general, 'first');
    await fx.member.caller.user.unblock({ userId: fx.outsider.id });
    await new Promise((r) => setTimeout(r, 100));
    await say(fx.outsider, fx.general, 'second');
    const got = (await collecting).filter((e) => e.type === 'message.created');
    expect(got.map((e) => [e.data.body, (e.data as { authorBlocked?: true }).authorBlocked ?? false])).toEqual([
      ['first', true],
      ['second', false],
    ]);
  });
});

describe('announcements', () => {
  test('reach every member until each dismisses them; dismissing is per person', async () => {
    const a = await fx.admin.caller.announcement.create({ ...P, body: 'Office closed Friday', opId: opId() });
    expect((await fx.viewer.caller.announcement.list(P))[0]).toMatchObject({ id: a.id, body: 'Office closed Friday', authorName: `${fx.partitionId}_admin` });
    await fx.viewer.caller.announcement.dismiss({ ...P, announcementId: a.id });
    expect((await fx.viewer.caller.announcement.list(P)).some((x) => x.id === a.id)).toBe(false);
    expect((await fx.member.caller.announcement.list(P)).some((x) => x.id === a.id)).toBe(true);
  });
});
