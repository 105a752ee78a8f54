import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ChatMessage } from './message-store.ts';
import { CONFIRMED_OP_TTL_MS } from './message-store.ts';
import { EDIT_WINDOW_MS } from './ops.ts';
import { OutboxError } from './outbox.ts';
import { memoryStorage } from './storage.ts';
import { createTestClient, FakeServer, ME, networkError, SOMEONE_ELSE } from './test-server.ts';
import { settle } from './test-timers.ts';

const P = 'acme';
const R = 'general';

let server: FakeServer;
let cleanups: (() => void)[];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  cleanups = [];
});
afterEach(() => {
  for (const c of cleanups) c();
  vi.useRealTimers();
});

async function open(options: Omit<Parameters<typeof createTestClient>[0], 'server'> = {}) {
  const c = createTestClient({ server, ...options });
  cleanups.push(() => c.close());
  cleanups.push(c.store.watch(P));
  void c.store.loadRoom(P, R);
  await settle();
  return c;
}

const shown = (c: Awaited<ReturnType<typeof open>>) => c.store.getRoom(P, R).messages;
const byBody = (c: Awaited<ReturnType<typeof open>>, body: string): ChatMessage => {
  const m = shown(c).find((x) => x.body === body);
  if (!m) throw new Error(`no message ${body}`);
  return m;
};

describe('ops through the outbox', () => {
  test('an edit shows at once, goes out with an opId and stays once the server has it', async () => {
    const c = await open();
    c.outbox.send({ partitionId: P, roomId: R, body: 'helo', author: ME });
    await settle();
    const id = byBody(c, 'helo').id!;
    server.holdReplies = true;
    c.actions.edit(P, id, 'hello');
    expect(byBody(c, 'hello')).toMatchObject({ id, pendingOps: 1, editedAt: expect.any(String) });
    await settle();
    expect(server.calls.act).toEqual([{ partitionId: P, opId: expect.any(String), op: { type: 'message.edit', messageId: id, body: 'hello' } }]);
    server.deliverNextReply();
    await settle();
    expect(c.outbox.getSnapshot()).toEqual([]);
    expect(byBody(c, 'hello')).toMatchObject({ pendingOps: 0, opError: null });
    expect(server.messages(P, R)[0]).toMatchObject({ body: 'hello', editedAt: expect.any(String) });
  });

  test('a lost answer is sent again with the same opId and applied once', async () => {
    const c = await open();
    const m = server.post(P, R, 'nice');
    await settle();
    server.planActs('lose-reply');
    c.actions.react(P, m.id, '👍');
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(server.calls.act).toHaveLength(2);
    expect(server.calls.act[0]!.opId).toBe(server.calls.act[1]!.opId);
    expect(server.events(P).filter((e) => e.type === 'reaction.added')).toHaveLength(1);
    expect(byBody(c, 'nice').reactions).toEqual([{ emoji: '👍', userIds: [ME.id], count: 1, mine: true }]);
  });

  test('an edit that reaches the server after the 5-minute window fails with its reason; the server copy shows until dismissed', async () => {
    let online = true;
    const c = await open({ canSend: () => online });
    c.outbox.send({ partitionId: P, roomId: R, body: 'draft', author: ME });
    await settle();
    const id = byBody(c, 'draft').id!;
    online = false;
    // The client's clock says it is too late, but only the server decides: it is queued.
    await vi.advanceTimersByTimeAsync(EDIT_WINDOW_MS + 1_000);
    const entry = c.actions.edit(P, id, 'final');
    expect(byBody(c, 'final').pendingOps).toBe(1);
    online = true;
    await c.outbox.flush();
    await settle();
    const after = byBody(c, 'draft');
    expect(after.opError).toMatch(/edited for 5 minutes/);
    expect(after.opErrorId).toBe(entry.clientId);
    expect(after.pendingOps).toBe(0);
    expect(c.outbox.getSnapshot()).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'failed' })]);
    c.outbox.cancel(entry.clientId);
    expect(byBody(c, 'draft').opError).toBeNull();
  });

  test('an empty edit or a reaction that is not an emoji is refused before queueing', async () => {
    const c = await open();
    const m = server.post(P, R, 'x');
    await settle();
    expect(() => c.actions.edit(P, m.id, '   ')).toThrow(OutboxError);
    expect(() => c.actions.react(P, m.id, 'ok')).toThrow(OutboxError);
    expect(c.outbox.getSnapshot()).toEqual([]);
  });

  test('stored entries from before ops (no kind) are sends', async () => {
    const storage = memoryStorage();
    await storage.set('outbox', [
      {
        clientId: '01890000-0000-7000-8000-000000000001',
        partitionId: P,
        roomId: R,
        body: 'old',
        createdAt: new Date().toISOString(),
        author: ME,
        status: 'queued',
        error: null,
        rateLimited: 0,
      },
    ]);
    const c = await open({ storage });
    await c.outbox.flush();
    await settle();
    expect(server.messages(P, R).map((m) => m.body)).toEqual(['old']);
    expect(c.outbox.getSnapshot()).toEqual([]);
  });

  test('a failed op does not hold back the ones after it', async () => {
    const c = await open();
    const theirs = server.post(P, R, 'theirs');
    await settle();
    c.actions.edit(P, theirs.id, 'mine now');
    c.actions.pin(P, theirs.id);
    await settle();
    const view = byBody(c, 'theirs');
    expect(view.opError).toBe('You can only edit your own messages.');
    expect(view.pinnedAt).not.toBeNull();
    expect(server.messages(P, R)[0]!.pinnedBy).toBe(ME.id);
  });
});

describe('events applied convergently', () => {
  test('edits, reactions and pins by someone else arrive; a replayed older event changes nothing', async () => {
    const c = await open();
    const m = server.post(P, R, 'first', SOMEONE_ELSE);
    server.actAs(SOMEONE_ELSE, P, { type: 'message.edit', messageId: m.id, body: 'second' });
    server.actAs(SOMEONE_ELSE, P, { type: 'reaction.add', messageId: m.id, emoji: '🎉' });
    server.actAs(SOMEONE_ELSE, P, { type: 'message.pin', messageId: m.id });
    await settle();
    expect(byBody(c, 'second')).toMatchObject({ reactions: [{ emoji: '🎉', userIds: [SOMEONE_ELSE.id], count: 1, mine: false }], pinnedBy: SOMEONE_ELSE.id });
    server.actAs(SOMEONE_ELSE, P, { type: 'message.edit', messageId: m.id, body: 'third' });
    await settle();
    // The first edit again (a duplicate from the stream): older than the copy, skipped.
    expect(server.duplicateEvent(1)).toBe(true);
    await settle();
    expect(byBody(c, 'third').body).toBe('third');
  });

  test('a page older than the events already applied gets them on top', async () => {
    server.holdEvents = true;
    const m = server.post(P, R, 'before');
    const c = createTestClient({ server });
    cleanups.push(() => c.close());
    cleanups.push(c.store.watch(P));
    await settle();
    // The page is taken before the edit, and answers after the stream brought the edit.
    const releasePage = server.holdAnswers('list');
    void c.store.loadRoom(P, R);
    await settle();
    server.actAs(SOMEONE_ELSE, P, { type: 'message.edit', messageId: m.id, body: 'after' });
    server.actAs(SOMEONE_ELSE, P, { type: 'reaction.add', messageId: m.id, emoji: '🙂' });
    server.deliverEvents();
    await settle();
    releasePage();
    await settle();
    expect(shown(c).map((x) => [x.body, x.reactions.length])).toEqual([['after', 1]]);
  });

  test('a deletion for everyone leaves a tombstone, also in the replies quoting it', async () => {
    const c = await open();
    const m = server.post(P, R, 'secret', ME);
    server.actAs(SOMEONE_ELSE, P, { type: 'reaction.add', messageId: m.id, emoji: '👀' });
    server.post(P, R, 'what secret?', SOMEONE_ELSE, m.id);
    await settle();
    expect(byBody(c, 'what secret?').replyTo).toMatchObject({ id: m.id, snippet: 'secret', deleted: false });
    c.actions.delete(P, m.id, 'everyone');
    await settle();
    const [tomb, reply] = shown(c);
    expect(tomb).toMatchObject({ id: m.id, body: '', deletedAt: expect.any(String), reactions: [], pinnedAt: null });
    expect(reply!.replyTo).toMatchObject({ snippet: '', deleted: true });
  });

  test("delete for me hides the message on this user's view only, and a later page does not bring it back", async () => {
    const c = await open();
    const m = server.post(P, R, 'noise', SOMEONE_ELSE);
    const other = createTestClient({ server, user: SOMEONE_ELSE });
    cleanups.push(() => other.close());
    cleanups.push(other.store.watch(P));
    void other.store.loadRoom(P, R);
    await settle();
    c.actions.delete(P, m.id, 'me');
    expect(shown(c)).toEqual([]);
    await settle();
    expect(shown(c)).toEqual([]);
    expect(other.store.getRoom(P, R).messages.map((x) => x.body)).toEqual(['noise']);
    await c.store.loadRoom(P, R, { force: true });
    expect(shown(c)).toEqual([]);
  });

  test('an answered op stays shown until its event arrives (no flicker back)', async () => {
    server.holdEvents = true;
    const c = await open();
    const m = server.post(P, R, 'pin me');
    server.deliverEvents();
    await settle();
    const views: (string | null)[] = [];
    cleanups.push(c.store.subscribe(() => views.push(byBody(c, 'pin me').pinnedAt)));
    c.actions.pin(P, m.id);
    await settle();
    expect(c.outbox.getSnapshot()).toEqual([]);
    server.deliverEvents();
    await settle();
    expect(views.every((v) => v !== null)).toBe(true);
    expect(byBody(c, 'pin me').pinnedAt).toBe(server.messages(P, R)[0]!.pinnedAt);
  });

  test('an answered op the server did not apply (undone meanwhile) gives way to the server after a while', async () => {
    server.holdEvents = true;
    const c = await open();
    const m = server.post(P, R, 'x');
    server.deliverEvents();
    await settle();
    server.planActs('lose-reply');
    const entry = c.actions.react(P, m.id, '👍');
    await settle();
    // Another device of this user takes it back before the resend: the resend is answered, nothing changes.
    server.actAs(ME, P, { type: 'reaction.remove', messageId: m.id, emoji: '👍' });
    server.deliverEvents();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(c.outbox.getSnapshot().some((e) => e.clientId === entry.clientId)).toBe(false);
    await vi.advanceTimersByTimeAsync(CONFIRMED_OP_TTL_MS);
    expect(byBody(c, 'x').reactions).toEqual([]);
  });
});

describe('replies, pins and history', () => {
  test('a reply shows its quote while pending and once sent', async () => {
    const c = await open();
    const m = server.post(P, R, 'question?', SOMEONE_ELSE);
    await settle();
    server.holdReplies = true;
    c.outbox.send({ partitionId: P, roomId: R, body: 'answer', author: ME, replyTo: m.id });
    expect(byBody(c, 'answer')).toMatchObject({ status: 'SENDING', replyTo: { id: m.id, authorName: SOMEONE_ELSE.name, snippet: 'question?' } });
    await settle();
    expect(server.calls.send[0]).toMatchObject({ replyTo: m.id });
    server.deliverNextReply();
    await settle();
    expect(byBody(c, 'answer')).toMatchObject({ status: 'SENT', replyTo: { id: m.id, snippet: 'question?', deleted: false } });
  });

  test('loadUntil pages back to the original; getPins lists pinned messages, also from far back', async () => {
    server.pageSize = 2;
    const old = server.post(P, R, 'old news');
    server.actAs(SOMEONE_ELSE, P, { type: 'message.pin', messageId: old.id });
    for (let i = 0; i < 6; i += 1) server.post(P, R, `m${i}`);
    const c = await open();
    expect(shown(c).map((x) => x.body)).toEqual(['m4', 'm5']);
    expect(c.store.getPins(P, R)).toEqual([]);
    await c.store.loadPins(P, R);
    expect(c.store.getPins(P, R).map((x) => x.body)).toEqual(['old news']);
    // The window is unchanged: the pin lives outside it.
    expect(shown(c).map((x) => x.body)).toEqual(['m4', 'm5']);
    expect(await c.store.loadUntil(P, R, old.id)).toBe(true);
    expect(shown(c)[0]!.body).toBe('old news');
    c.actions.unpin(P, old.id);
    expect(c.store.getPins(P, R)).toEqual([]);
    await settle();
    expect(c.store.getPins(P, R)).toEqual([]);
    expect(await c.store.loadUntil(P, R, 'm-nowhere', 3)).toBe(false);
  });

  test('stored v1 data is dropped: the room is fetched again from the server', async () => {
    server.post(P, R, 'fresh');
    const storage = memoryStorage();
    await storage.set(`partition:${P}`, { v: 1, lastEventId: 1, rooms: { [R]: { loaded: true, nextCursor: null, messages: [{ id: 'stale' }] } } });
    const c = await open({ storage });
    expect(shown(c).map((x) => x.body)).toEqual(['fresh']);
    expect(server.calls.head).toEqual([P]);
  });
});

describe('blocks', () => {
  test('blocking marks the author blocked at once; unblocking clears even the server mark', async () => {
    const c = await open();
    server.post(P, R, 'hi', SOMEONE_ELSE);
    await settle();
    await c.blocks.load();
    expect(byBody(c, 'hi').authorBlocked).toBe(false);
    c.blocks.block(SOMEONE_ELSE.id);
    expect(c.blocks.getSnapshot().has(SOMEONE_ELSE.id)).toBe(true);
    expect(byBody(c, 'hi').authorBlocked).toBe(true);
    await settle();
    expect(server.blockedBy(ME.id)).toEqual([SOMEONE_ELSE.id]);
    server.post(P, R, 'again', SOMEONE_ELSE);
    await settle();
    expect(byBody(c, 'again').authorBlocked).toBe(true);
    c.blocks.unblock(SOMEONE_ELSE.id);
    await settle();
    expect(server.blockedBy(ME.id)).toEqual([]);
    expect(shown(c).map((x) => x.authorBlocked)).toEqual([false, false]);
  });

  test('a block made offline waits in the outbox and is sent once back online', async () => {
    let online = false;
    const c = await open({ canSend: () => online });
    c.blocks.block(SOMEONE_ELSE.id);
    expect(c.blocks.getSnapshot().has(SOMEONE_ELSE.id)).toBe(true);
    server.failNext('act', networkError());
    online = true;
    await c.outbox.flush();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(server.blockedBy(ME.id)).toEqual([SOMEONE_ELSE.id]);
    expect(c.outbox.getSnapshot()).toEqual([]);
    expect(c.blocks.getSnapshot().has(SOMEONE_ELSE.id)).toBe(true);
  });
});
