import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { MessageDto } from '@parley/api';
import { MAX_RATE_LIMITED_ATTEMPTS, MESSAGE_MAX_CHARS, Outbox, OutboxError, type OutboxOptions } from './outbox.ts';
import { memoryStorage, type ClientStorage } from './storage.ts';
import { FakeServer, ME, networkError, refusal } from './test-server.ts';
import { settle } from './test-timers.ts';

const P = 'acme';
const R = 'general';

let server: FakeServer;
let outboxes: Outbox[];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  outboxes = [];
});
afterEach(() => {
  for (const o of outboxes) o.close();
  vi.useRealTimers();
});

/** Lets every promise chain run (timers at "now" included), without moving the clock. */
function makeOutbox(options: Partial<OutboxOptions> = {}): Outbox {
  const outbox = new Outbox({ api: server.api(), storage: memoryStorage(), random: () => 0, ...options });
  outboxes.push(outbox);
  return outbox;
}

const send = (outbox: Outbox, body: string, roomId = R) => outbox.send({ partitionId: P, roomId, body, author: ME });
const bodiesOnServer = () => server.messages(P).map((m) => m.body);
const sendBodies = (outbox: Outbox) => outbox.getSnapshot().map((e) => (e.kind === 'send' ? e.body : null));

describe('queueing', () => {
  test('sends made offline wait, then go out in the order they were written once flushed online', async () => {
    let online = false;
    const outbox = makeOutbox({ canSend: () => online });
    send(outbox, 'one');
    send(outbox, 'two');
    send(outbox, 'three');
    await settle();
    expect(server.calls.send).toEqual([]);
    expect(outbox.getSnapshot().map((e) => [e.kind === 'send' ? e.body : e.op.type, e.status])).toEqual([
      ['one', 'queued'],
      ['two', 'queued'],
      ['three', 'queued'],
    ]);

    online = true;
    await outbox.flush();
    await settle();
    expect(bodiesOnServer()).toEqual(['one', 'two', 'three']);
    expect(outbox.getSnapshot()).toEqual([]);
  });

  test('hands the server copy to onSent before the entry leaves the outbox', async () => {
    const seen: { message: MessageDto; stillQueued: boolean }[] = [];
    const outbox: Outbox = makeOutbox({
      onSent: (message) => seen.push({ message, stillQueued: outbox.getSnapshot().some((e) => e.clientId === message.clientId) }),
    });
    const entry = send(outbox, 'hello');
    await settle();
    expect(seen).toEqual([{ message: server.messages(P)[0], stillQueued: true }]);
    expect(seen[0]!.message.clientId).toBe(entry.clientId);
    expect(outbox.getSnapshot()).toEqual([]);
  });

  test('an empty or too long body throws OutboxError and queues nothing', async () => {
    const storage = memoryStorage();
    const outbox = makeOutbox({ storage });
    await outbox.ready;
    for (const body of ['', '   \n\t', 'x'.repeat(MESSAGE_MAX_CHARS + 1)]) {
      expect(() => send(outbox, body)).toThrow(OutboxError);
    }
    await settle();
    expect(outbox.getSnapshot()).toEqual([]);
    expect(await storage.get('outbox')).toEqual([]);
    expect(server.calls.send).toEqual([]);
  });

  test('a body of exactly the limit is sent, trimmed', async () => {
    const outbox = makeOutbox();
    const body = 'x'.repeat(MESSAGE_MAX_CHARS);
    send(outbox, `  ${body}\n`);
    await settle();
    expect(bodiesOnServer()).toEqual([body]);
  });
});

describe('refusals', () => {
  test('a permanent refusal marks the entry failed with the server reason; the next ones still go', async () => {
    server.planSends(refusal('FORBIDDEN', 'You are not a member of this room.'));
    const outbox = makeOutbox();
    const first = send(outbox, 'first');
    send(outbox, 'second');
    await settle();
    expect(bodiesOnServer()).toEqual(['second']);
    expect(outbox.getSnapshot()).toEqual([
      expect.objectContaining({ clientId: first.clientId, status: 'failed', error: 'You are not a member of this room.' }),
    ]);
  });

  test('retry() sends a failed entry again with the same clientId', async () => {
    server.planSends(refusal('NOT_FOUND', 'This room is gone.'));
    const outbox = makeOutbox();
    const entry = send(outbox, 'again');
    await settle();
    expect(outbox.getSnapshot()[0]?.status).toBe('failed');

    outbox.retry(entry.clientId);
    await settle();
    expect(server.calls.send.map((c) => c.clientId)).toEqual([entry.clientId, entry.clientId]);
    expect(server.messages(P)).toEqual([expect.objectContaining({ clientId: entry.clientId, body: 'again' })]);
    expect(outbox.getSnapshot()).toEqual([]);
  });

  test('retry() puts the failed entry after those already waiting', async () => {
    server.planSends(refusal('FORBIDDEN', 'No.'));
    let online = true;
    const outbox = makeOutbox({ canSend: () => online });
    const failed = send(outbox, 'first');
    await settle();
    online = false;
    send(outbox, 'second');
    outbox.retry(failed.clientId);
    online = true;
    await outbox.flush();
    await settle();
    expect(bodiesOnServer()).toEqual(['second', 'first']);
  });

  test('a rate limit is waited out for exactly retryAfterMs, then the message goes', async () => {
    server.planSends(refusal('TOO_MANY_REQUESTS', 'Slow down.', { retryAfterMs: 5_000 }));
    const outbox = makeOutbox();
    send(outbox, 'patience');
    await settle();
    expect(outbox.getSnapshot()).toEqual([
      expect.objectContaining({ status: 'queued', rateLimited: 1, error: null, retryAt: new Date(Date.now() + 5_000).toISOString() }),
    ]);

    await vi.advanceTimersByTimeAsync(4_999);
    expect(server.calls.send).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(server.calls.send).toHaveLength(2);
    expect(bodiesOnServer()).toEqual(['patience']);
    expect(outbox.getSnapshot()).toEqual([]);
  });

  test(`after ${MAX_RATE_LIMITED_ATTEMPTS} rate-limit refusals the entry is failed, and the next one goes`, async () => {
    for (let i = 0; i < MAX_RATE_LIMITED_ATTEMPTS; i += 1) {
      server.planSends(refusal('TOO_MANY_REQUESTS', 'Slow down.', { retryAfterMs: 1_000 }));
    }
    const outbox = makeOutbox();
    const first = send(outbox, 'too fast');
    send(outbox, 'later');
    await settle();
    for (let i = 1; i < MAX_RATE_LIMITED_ATTEMPTS; i += 1) {
      expect(outbox.getSnapshot()[0]).toMatchObject({ status: 'queued', rateLimited: i });
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
    }
    expect(server.calls.send.filter((c) => c.clientId === first.clientId)).toHaveLength(MAX_RATE_LIMITED_ATTEMPTS);
    expect(outbox.getSnapshot()).toEqual([expect.objectContaining({ clientId: first.clientId, status: 'failed', error: expect.stringMatching(/too fast/) })]);
    expect(bodiesOnServer()).toEqual(['later']);
  });

  test('a message written while a rate limit is waited out does not cut the wait short', async () => {
    server.planSends(refusal('TOO_MANY_REQUESTS', 'Slow down.', { retryAfterMs: 5_000 }));
    const outbox = makeOutbox();
    send(outbox, 'first');
    await settle();
    await vi.advanceTimersByTimeAsync(1_000);
    send(outbox, 'second');
    await settle();
    expect(server.calls.send).toHaveLength(1);
    expect(outbox.getSnapshot()[0]).toMatchObject({ body: 'first', rateLimited: 1 });

    await vi.advanceTimersByTimeAsync(4_000);
    await settle();
    expect(bodiesOnServer()).toEqual(['first', 'second']);
  });

  test('an expired session keeps the entries queued and blocks until the next flush succeeds', async () => {
    server.planSends(refusal('UNAUTHORIZED', 'Sign in again.'));
    const outbox = makeOutbox();
    send(outbox, 'kept');
    await settle();
    expect(outbox.blockedBySession).toBe(true);
    expect(outbox.getSnapshot()).toEqual([expect.objectContaining({ status: 'queued', error: null })]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls.send).toHaveLength(1);

    await outbox.flush();
    await settle();
    expect(outbox.blockedBySession).toBe(false);
    expect(bodiesOnServer()).toEqual(['kept']);
  });
});

describe('network failures', () => {
  test('backs off (1 s, 2 s with no jitter) and retries; the message is on the server once', async () => {
    server.planSends(networkError(), networkError());
    const outbox = makeOutbox();
    const entry = send(outbox, 'eventually');
    await settle();
    expect(server.calls.send).toHaveLength(1);
    expect(outbox.getSnapshot()[0]?.status).toBe('queued');

    await vi.advanceTimersByTimeAsync(999);
    expect(server.calls.send).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(server.calls.send).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(1_999);
    expect(server.calls.send).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(server.calls.send.map((c) => c.clientId)).toEqual([entry.clientId, entry.clientId, entry.clientId]);
    expect(bodiesOnServer()).toEqual(['eventually']);
    expect(outbox.getSnapshot()).toEqual([]);
  });

  test('a reply lost after the server committed: the retry returns the same message, which is on the server once', async () => {
    server.planSends('lose-reply');
    const sent: MessageDto[] = [];
    const outbox = makeOutbox({ onSent: (m) => sent.push(m) });
    const entry = send(outbox, 'exactly once');
    await settle();
    expect(server.messages(P)).toHaveLength(1);
    expect(outbox.getSnapshot()).toEqual([expect.objectContaining({ clientId: entry.clientId, status: 'queued' })]);

    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(server.calls.send.map((c) => c.clientId)).toEqual([entry.clientId, entry.clientId]);
    expect(server.messages(P)).toEqual([expect.objectContaining({ clientId: entry.clientId, eventId: 1 })]);
    expect(server.events(P)).toHaveLength(1);
    expect(sent).toEqual(server.messages(P));
    expect(outbox.getSnapshot()).toEqual([]);
  });
});

describe('edit and cancel', () => {
  test('a queued entry can be edited and cancelled before it leaves', async () => {
    let online = false;
    const outbox = makeOutbox({ canSend: () => online });
    const typo = send(outbox, 'helo');
    const regret = send(outbox, 'never mind');
    outbox.edit(typo.clientId, ' hello ');
    outbox.cancel(regret.clientId);
    expect(sendBodies(outbox)).toEqual(['hello']);
    expect(() => outbox.edit(typo.clientId, '  ')).toThrow(OutboxError);
    expect(sendBodies(outbox)).toEqual(['hello']);

    online = true;
    await outbox.flush();
    await settle();
    expect(server.messages(P)).toEqual([expect.objectContaining({ clientId: typo.clientId, body: 'hello' })]);
  });

  test('edit and cancel are refused with an OutboxError while the entry is on its way, and after it left', async () => {
    server.holdReplies = true;
    const outbox = makeOutbox();
    const entry = send(outbox, 'in flight');
    await settle();
    expect(outbox.getSnapshot()[0]?.status).toBe('sending');
    expect(() => outbox.edit(entry.clientId, 'changed')).toThrow(new OutboxError('That message is already on its way.'));
    expect(() => outbox.cancel(entry.clientId)).toThrow(new OutboxError('That message is already on its way.'));

    server.deliverNextReply();
    await settle();
    expect(server.messages(P)).toEqual([expect.objectContaining({ body: 'in flight' })]);
    expect(() => outbox.cancel(entry.clientId)).toThrow(new OutboxError('That message is no longer waiting to be sent.'));
  });
});

describe('durability', () => {
  test('entries survive a reload (a new Outbox on the same storage), failed ones with their reason', async () => {
    const storage = memoryStorage();
    server.planSends(refusal('FORBIDDEN', 'You are not a member of this room.'));
    let online = true;
    const before = makeOutbox({ storage, canSend: () => online });
    const failed = send(before, 'refused');
    await settle();
    online = false;
    const queued = send(before, 'waiting');
    await before.saved();
    before.close();

    const after = makeOutbox({ storage });
    await after.ready;
    expect(after.getSnapshot()).toEqual([
      expect.objectContaining({ clientId: failed.clientId, status: 'failed', error: 'You are not a member of this room.' }),
      expect.objectContaining({ clientId: queued.clientId, status: 'queued', body: 'waiting' }),
    ]);
    await after.flush();
    await settle();
    expect(server.messages(P)).toEqual([expect.objectContaining({ clientId: queued.clientId })]);
  });

  test('an entry on its way at the reload is stored as queued and resent with the same clientId, once on the server', async () => {
    const storage = memoryStorage();
    server.holdReplies = true;
    const firstApi = server.api();
    const before = makeOutbox({ storage, api: firstApi });
    const entry = send(before, 'mid-flight');
    await settle();
    expect(before.getSnapshot()[0]?.status).toBe('sending');
    await before.saved();
    // The page goes away: its request was committed, its answer is never read.
    firstApi.kill();
    before.close();

    server.holdReplies = false;
    const after = makeOutbox({ storage });
    await after.flush();
    await settle();
    expect(server.calls.send.map((c) => c.clientId)).toEqual([entry.clientId, entry.clientId]);
    expect(server.messages(P)).toEqual([expect.objectContaining({ clientId: entry.clientId })]);
    expect(after.getSnapshot()).toEqual([]);
  });

  test('sends made before the stored queue is read go after the stored ones, and nothing stored is overwritten', async () => {
    const storage = memoryStorage();
    const before = makeOutbox({ storage, canSend: () => false });
    const a = send(before, 'a');
    const b = send(before, 'b');
    await before.saved();
    before.close();

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: ClientStorage = {
      get: async (key) => {
        await gate;
        return storage.get(key);
      },
      set: (key, value) => storage.set(key, value),
      delete: (key) => storage.delete(key),
      clear: () => storage.clear(),
    };
    const after = makeOutbox({ storage: slow });
    const c = send(after, 'c');
    expect(after.getSnapshot().map((e) => e.clientId)).toEqual([c.clientId]);
    await settle();
    expect(server.calls.send).toEqual([]);
    expect((await storage.get<{ clientId: string }[]>('outbox'))?.map((e) => e.clientId)).toEqual([a.clientId, b.clientId]);

    release();
    await after.ready;
    await after.saved();
    expect((await storage.get<{ clientId: string }[]>('outbox'))?.map((e) => e.clientId)).toEqual([a.clientId, b.clientId, c.clientId]);
    await settle();
    expect(bodiesOnServer()).toEqual(['a', 'b', 'c']);
  });

  test('a closed outbox neither sends nor writes storage any more, even when a reply comes back late', async () => {
    const storage = memoryStorage();
    server.holdReplies = true;
    const before = makeOutbox({ storage });
    const entry = send(before, 'late answer');
    await settle();
    await before.saved();
    before.close();

    // A new outbox on the same storage (a program restarted in the same process) queues more.
    const after = makeOutbox({ storage, canSend: () => false });
    await after.ready;
    const next = send(after, 'next');
    await after.saved();

    server.deliverNextReply();
    await settle();
    const stored = await storage.get<{ clientId: string }[]>('outbox');
    expect(stored?.map((e) => e.clientId)).toEqual([entry.clientId, next.clientId]);
  });
});
