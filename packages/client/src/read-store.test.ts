import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { MessageDto, ParleyEvent, ReadReceiptsDto, ReadStateDto } from '@parley/api';
import type { ActInput, ParleyApi } from './api.ts';
import { Outbox, type OpEntry } from './outbox.ts';
import { ReadStore, type ReadApi } from './read-store.ts';
import { memoryStorage } from './storage.ts';

const P = 'acme';
const ME = 'u-me';
const BO = 'u-bo';

let nextEventId = 100;
function created(roomId: string, authorId: string, extra: Partial<MessageDto> & { mentions?: string[] } = {}): ParleyEvent {
  const eventId = extra.eventId ?? ++nextEventId;
  const data = {
    id: `m${eventId}`,
    partitionId: P,
    roomId,
    clientId: `c${eventId}`,
    authorId,
    authorName: authorId,
    body: 'hi',
    eventId,
    createdAt: '',
    replyTo: null,
    editedAt: null,
    deletedAt: null,
    pinnedAt: null,
    pinnedBy: null,
    reactions: [],
    ...extra,
  };
  return { id: eventId, partitionId: P, roomId, at: '2026-12-06T10:00:00.000Z', actorId: authorId, type: 'message.created', data } as unknown as ParleyEvent;
}
function readUpdated(roomId: string, userId: string, eventId: number, receipts = true): ParleyEvent {
  return {
    id: ++nextEventId,
    partitionId: P,
    roomId,
    at: '2026-12-06T10:00:01.000Z',
    actorId: userId,
    type: 'read.updated',
    data: { roomId, userId, eventId, receipts },
  };
}

function setup(summary: ReadStateDto[], opts: { online?: boolean; act?: (input: ActInput) => Promise<unknown> } = {}) {
  let listener: ((event: ParleyEvent) => void) | undefined;
  const emit = (event: ParleyEvent) => listener?.(event);
  const acts: ActInput[] = [];
  let online = opts.online ?? true;
  const api = {
    act: (input: ActInput) => {
      acts.push(input);
      return opts.act ? opts.act(input) : Promise.resolve({ moved: true });
    },
  } as unknown as ParleyApi;
  const outbox = new Outbox({ api, storage: memoryStorage(), canSend: () => online });
  const receipts: ReadReceiptsDto = { roomId: 'dm', status: 'shown', readers: [{ userId: BO, displayName: 'Bo', eventId: 1, at: '2026-12-06T09:00:00.000Z' }] };
  let sharing = true;
  const readApi: ReadApi = {
    summary: vi.fn(() => Promise.resolve(structuredClone(summary))),
    receipts: vi.fn(() => Promise.resolve(sharing ? structuredClone(receipts) : { roomId: receipts.roomId, status: 'off' as const, readers: [] })),
    receiptsSetting: () => Promise.resolve({ enabled: sharing }),
    setReceipts: (enabled) => Promise.resolve({ enabled: (sharing = enabled) }),
  };
  const store = new ReadStore({
    api: readApi,
    outbox,
    events: { onEvent: (l) => ((listener = l), () => (listener = undefined)) },
    me: () => ME,
    coalesceMs: 3000,
  });
  return {
    store,
    outbox,
    readApi,
    emit,
    acts,
    setOnline: (value: boolean) => (online = value),
    marks: () =>
      outbox
        .getSnapshot()
        .filter((e): e is OpEntry => e.kind === 'op')
        .map((e) => e.op),
  };
}

const room = (roomId: string, lastRead: number, lastMessage: number, unread: number, mentions = 0): ReadStateDto => ({
  roomId,
  lastReadEventId: lastRead,
  lastMessageEventId: lastMessage,
  unread,
  mentions,
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('counts', () => {
  test('the summary gives the counts; a message by someone else adds one, a mention one more, the user’s own adds none', async () => {
    const { store, emit } = setup([room('general', 10, 12, 2), room('dm', 0, 0, 0)]);
    await store.load(P);
    expect(store.getSnapshot(P)).toMatchObject({ loaded: true, rooms: { general: { unread: 2, mentions: 0 }, dm: { unread: 0 } } });
    emit(created('general', BO));
    emit(created('general', BO, { mentions: [ME] }));
    emit(created('general', BO, { mentions: ['room'] }));
    emit(created('general', ME, { mentions: [ME] }));
    emit(created('dm', BO, { mentions: undefined }));
    expect(store.getRoom(P, 'general')).toMatchObject({ unread: 5, mentions: 2 });
    expect(store.getRoom(P, 'dm')).toMatchObject({ unread: 1, mentions: 0 });
  });

  test('a message already counted (a replay after a reconnect) is not counted again', async () => {
    const { store, emit } = setup([room('general', 10, 12, 2)]);
    await store.load(P);
    emit(created('general', BO, { eventId: 12 }));
    emit(created('general', BO, { eventId: 11 }));
    expect(store.getRoom(P, 'general')).toMatchObject({ unread: 2, lastMessage: 12 });
  });

  test('the user’s own read.updated (another device) clears the room here too', async () => {
    const { store, emit } = setup([room('general', 10, 12, 2, 1)]);
    await store.load(P);
    const before = store.getSnapshot(P);
    emit(readUpdated('general', ME, 12));
    expect(store.getRoom(P, 'general')).toEqual({ lastRead: 12, lastMessage: 12, unread: 0, mentions: 0 });
    expect(store.getSnapshot(P)).not.toBe(before);
  });

  test('a reload of the summary keeps a mark the server has not confirmed yet', async () => {
    const { store, setOnline } = setup([room('general', 10, 12, 2)], { online: false });
    setOnline(false);
    await store.load(P);
    store.markRead(P, 'general', 12);
    await store.load(P);
    expect(store.getRoom(P, 'general')).toMatchObject({ lastRead: 12, unread: 0 });
  });
});

describe('marks', () => {
  test('a mark clears the room at once and goes out through the outbox; one that does not move sends nothing', async () => {
    const { store, acts } = setup([room('general', 10, 12, 2, 1)]);
    await store.load(P);
    expect(store.markRead(P, 'general', 12)).toBe(true);
    expect(store.getRoom(P, 'general')).toMatchObject({ lastRead: 12, unread: 0, mentions: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(acts.map((a) => a.op)).toEqual([{ type: 'read.mark', roomId: 'general', eventId: 12 }]);
    expect(store.markRead(P, 'general', 11)).toBe(false);
    expect(store.markRead(P, 'general', 12)).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(acts).toHaveLength(1);
  });

  test('marks of one room are coalesced: at most one every few seconds, carrying the newest position', async () => {
    const { store, emit, acts } = setup([room('general', 10, 12, 2)]);
    await store.load(P);
    store.markRead(P, 'general', 11);
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 5; i++) {
      const e = created('general', BO);
      emit(e);
      store.markRead(P, 'general', e.id);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(acts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(acts.map((a) => a.op)).toEqual([
      { type: 'read.mark', roomId: 'general', eventId: 11 },
      { type: 'read.mark', roomId: 'general', eventId: nextEventId },
    ]);
    expect(store.getRoom(P, 'general')).toMatchObject({ unread: 0 });
  });

  test('offline, a newer mark of a room replaces the queued older one in the outbox; other rooms keep theirs', async () => {
    const { store, marks, outbox, setOnline, acts } = setup([room('general', 10, 20, 5), room('dm', 0, 9, 3)], { online: false });
    await store.load(P);
    store.markRead(P, 'general', 15);
    store.markRead(P, 'dm', 9);
    await vi.advanceTimersByTimeAsync(3000);
    store.markRead(P, 'general', 20);
    await vi.advanceTimersByTimeAsync(3000);
    expect(marks()).toEqual([
      { type: 'read.mark', roomId: 'dm', eventId: 9 },
      { type: 'read.mark', roomId: 'general', eventId: 20 },
    ]);
    setOnline(true);
    await outbox.flush();
    expect(acts.map((a) => a.op)).toEqual([
      { type: 'read.mark', roomId: 'dm', eventId: 9 },
      { type: 'read.mark', roomId: 'general', eventId: 20 },
    ]);
  });

  test('a mark the server refuses is dropped from the outbox and the counts are read again', async () => {
    const refusal = Object.assign(new Error('You cannot mark as read past the last message of the room.'), { data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    const { store, outbox, readApi } = setup([room('general', 10, 12, 2)], { act: () => Promise.reject(refusal) });
    await store.load(P);
    store.markRead(P, 'general', 12);
    await vi.advanceTimersByTimeAsync(0);
    await outbox.flush();
    expect(outbox.getSnapshot()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(readApi.summary).toHaveBeenCalledTimes(2);
  });

  test('mark all read clears every room and queues one op', async () => {
    const { store, acts } = setup([room('general', 10, 12, 2), room('dm', 0, 9, 3, 1)]);
    await store.load(P);
    store.markAllRead(P);
    expect(Object.values(store.getSnapshot(P).rooms).map((r) => r.unread + r.mentions)).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(0);
    expect(acts.map((a) => a.op)).toEqual([{ type: 'read.markAll' }]);
  });
});

describe('receipts', () => {
  test('another member’s read.updated moves their receipt; receipts off hides them', async () => {
    const { store, emit } = setup([room('dm', 0, 5, 0)]);
    await store.load(P);
    await store.loadReceipts(P, 'dm');
    emit(readUpdated('dm', BO, 5));
    expect(store.getReceipts(P, 'dm')?.readers).toEqual([{ userId: BO, displayName: 'Bo', eventId: 5, at: '2026-12-06T10:00:01.000Z' }]);
    await store.setReceiptsEnabled(false);
    expect(store.receiptsEnabled).toBe(false);
    emit(readUpdated('dm', BO, 7));
    expect(store.getReceipts(P, 'dm')).toEqual({ roomId: 'dm', status: 'off', readers: [] });
    await store.setReceiptsEnabled(true);
    expect(store.getReceipts(P, 'dm')?.readers.map((r) => r.displayName)).toEqual(['Bo']);
  });
});
