import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { fileStorage } from './file-storage.ts';
import { MessageStore } from './message-store.ts';
import { Outbox, OutboxError } from './outbox.ts';
import { memoryStorage, type ClientStorage } from './storage.ts';
import { FakeServer, ME } from './test-server.ts';
import { settle } from './test-timers.ts';
import { UploadStore } from './upload-store.ts';
import type { AttachmentDto, UploadRequest, UploadResponse, UploadTransport } from './uploads.ts';

const P = 'acme';
const R = 'general';

/**
 * The server's media endpoint in memory: stores each mediaId once (a repeat answers the stored
 * record), reports progress in two steps, and can hold an upload, lose its answer, or refuse.
 */
class FakeMedia {
  readonly stored = new Map<string, { bytes: string; filename: string }>();
  /** Every request that reached it (retries included). */
  readonly requests: string[] = [];
  /** What the next requests do, in order; then they store and answer. */
  plan: ('hold' | 'lose-reply' | { status: number; message: string })[] = [];
  held: { request: UploadRequest; resolve: (r: UploadResponse) => void; reject: (e: unknown) => void }[] = [];
  aborted = 0;

  transport: UploadTransport = async (request) => {
    const mediaId = request.url.split('/').at(-1)!;
    this.requests.push(mediaId);
    const step = this.plan.shift();
    if (typeof step === 'object') return { status: step.status, text: JSON.stringify({ error: { message: step.message } }), retryAfter: null };
    const bytes = await request.body.text();
    request.onProgress(Math.floor(request.body.size / 2), request.body.size);
    if (step === 'hold') {
      return new Promise<UploadResponse>((resolve, reject) => {
        this.held.push({ request, resolve, reject });
        request.signal.addEventListener('abort', () => {
          this.aborted++;
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    }
    const answer = this.#store(request, mediaId, bytes);
    if (step === 'lose-reply') throw new TypeError('fetch failed');
    return answer;
  };

  release(): void {
    const h = this.held.shift()!;
    const mediaId = h.request.url.split('/').at(-1)!;
    void h.request.body.text().then((bytes) => h.resolve(this.#store(h.request, mediaId, bytes)));
  }

  #store(request: UploadRequest, mediaId: string, bytes: string): UploadResponse {
    request.onProgress(request.body.size, request.body.size);
    const filename = decodeURIComponent(request.headers['x-filename'] ?? '');
    if (!this.stored.has(mediaId)) this.stored.set(mediaId, { bytes, filename });
    const dto: AttachmentDto = { id: mediaId, roomId: R, filename, mimeType: 'image/png', sizeBytes: request.body.size, width: 4, height: 3, hasThumb: true };
    return { status: 200, text: JSON.stringify(dto), retryAfter: null };
  }
}

let server: FakeServer;
let media: FakeMedia;
let online: boolean;
const closers: (() => void)[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  media = new FakeMedia();
  online = true;
});
afterEach(() => {
  for (const close of closers.splice(0)) close();
  vi.useRealTimers();
});

function makeClient(storage: ClientStorage = memoryStorage(), maxBytes?: number) {
  const uploads = new UploadStore({ baseUrl: 'http://parley.test', transport: media.transport, storage, maxBytes });
  let store: MessageStore | undefined;
  const api = server.api(ME);
  const outbox = new Outbox({ api, storage, uploads, canSend: () => online, random: () => 0, onSent: (m) => store?.addMessage(m) });
  store = new MessageStore({ api, storage, outbox, me: () => ME.id });
  closers.push(() => {
    outbox.close();
    uploads.close();
    store.close();
  });
  return { outbox, uploads, store, storage };
}

const png = () => new File(['PNGDATA'], 'cat.png', { type: 'image/png' });
const sendFile = (outbox: Outbox, body = '', file: Blob = png()) => outbox.send({ partitionId: P, roomId: R, body, author: ME, attachment: { file } });

describe('a send with a file', () => {
  test('uploads the file first, then sends the message with its mediaId, and forgets the stored copy', async () => {
    const { outbox, storage } = makeClient();
    const entry = sendFile(outbox, 'look');
    await settle();
    const mediaId = entry.kind === 'send' ? entry.attachment!.mediaId : '';
    expect(media.stored.get(mediaId)).toEqual({ bytes: 'PNGDATA', filename: 'cat.png' });
    expect(server.calls.send.map((s) => [s.body, s.mediaId])).toEqual([['look', mediaId]]);
    expect(outbox.getSnapshot()).toEqual([]);
    expect(await storage.get(`upload:${mediaId}`)).toBeUndefined();
  });

  test('may have no text; over the limit it is refused before anything is queued', () => {
    const { outbox } = makeClient(memoryStorage(), 4);
    expect(() => sendFile(outbox, '', new Blob(['12345']))).toThrow(new OutboxError('A file can be at most 4 B; this one is 5 B.'));
    expect(outbox.getSnapshot()).toEqual([]);
    expect(() => outbox.send({ partitionId: P, roomId: R, body: '  ', author: ME })).toThrow(OutboxError);
  });

  test('offline it waits with its message; online both go out, once', async () => {
    online = false;
    const { outbox } = makeClient();
    sendFile(outbox, 'offline pic');
    await settle();
    expect(media.requests).toEqual([]);
    expect(outbox.getSnapshot().map((e) => e.status)).toEqual(['queued']);

    online = true;
    await outbox.flush();
    await settle();
    expect(media.requests).toHaveLength(1);
    expect(server.messages(P).map((m) => m.body)).toEqual(['offline pic']);
  });

  test('survives a reload: a new client on the same storage uploads the same bytes with the same mediaId, once', async () => {
    online = false;
    const storage = memoryStorage();
    const first = makeClient(storage);
    const entry = sendFile(first.outbox, 'after reload');
    const mediaId = entry.kind === 'send' ? entry.attachment!.mediaId : '';
    await first.outbox.saved();
    await first.uploads.saved();
    first.outbox.close();
    first.uploads.close();

    online = true;
    const second = makeClient(storage);
    await second.outbox.flush();
    await settle();
    expect(media.requests).toEqual([mediaId]);
    expect(media.stored.get(mediaId)?.bytes).toBe('PNGDATA');
    expect(server.messages(P).map((m) => m.body)).toEqual(['after reload']);
  });

  test('in a JSON file too (the bytes as base64): a Node program that restarts sends the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-upload-'));
    try {
      online = false;
      const first = makeClient(fileStorage(join(dir, 'state.json')));
      sendFile(first.outbox, 'from a bot', new Blob([new Uint8Array([0, 255, 1, 254])], { type: 'application/octet-stream' }));
      await first.outbox.ready;
      await first.outbox.saved();
      await first.uploads.saved();
      first.outbox.close();
      first.uploads.close();
      online = true;
      const second = makeClient(fileStorage(join(dir, 'state.json')));
      await second.outbox.flush();
      await vi.waitFor(() => expect(server.messages(P)).toHaveLength(1));
      expect([...media.stored.values()][0]!.bytes).toBe(new TextDecoder().decode(new Uint8Array([0, 255, 1, 254])));
      await second.uploads.saved();
      await second.outbox.saved();
    } finally {
      for (const close of closers.splice(0)) close();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  });

  test('a lost answer to the upload is retried with the same mediaId: the server keeps one file, the message goes once', async () => {
    const { outbox } = makeClient();
    media.plan = ['lose-reply'];
    sendFile(outbox, 'flaky');
    await settle();
    expect(media.requests).toHaveLength(1);
    expect(server.calls.send).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(media.requests).toHaveLength(2);
    expect(new Set(media.requests).size).toBe(1);
    expect(media.stored.size).toBe(1);
    expect(server.messages(P).map((m) => m.body)).toEqual(['flaky']);
  });

  test('an uploaded file is not uploaded again when only its message failed', async () => {
    const { outbox } = makeClient();
    server.failNext('send', new TypeError('fetch failed'));
    sendFile(outbox, 'send fails once');
    await settle();
    expect(outbox.getSnapshot()[0]).toMatchObject({ status: 'queued', attachment: { uploaded: { hasThumb: true } } });
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(media.requests).toHaveLength(1);
    expect(server.messages(P)).toHaveLength(1);
  });

  test("a refused file (413) fails with the server's words and is not retried until asked", async () => {
    const { outbox, storage } = makeClient();
    media.plan = [{ status: 413, message: 'A file can be at most 25 MB.' }];
    const entry = sendFile(outbox);
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(media.requests).toHaveLength(1);
    expect(outbox.getSnapshot()).toMatchObject([{ status: 'failed', error: 'A file can be at most 25 MB.' }]);

    outbox.retry(entry.clientId);
    await settle();
    expect(media.requests).toHaveLength(2);
    expect(server.messages(P)).toHaveLength(1);
    expect(await storage.get(`upload:${media.requests[0]}`)).toBeUndefined();
  });

  test('Remove on a failed one forgets it and its stored file', async () => {
    const { outbox, storage } = makeClient();
    media.plan = [{ status: 415, message: 'That type of file cannot be sent.' }];
    const entry = sendFile(outbox);
    await settle();
    const mediaId = entry.kind === 'send' ? entry.attachment!.mediaId : '';
    expect(await storage.get(`upload:${mediaId}`)).toBeInstanceOf(Blob);
    outbox.cancel(entry.clientId);
    await settle();
    expect(outbox.getSnapshot()).toEqual([]);
    expect(await storage.get(`upload:${mediaId}`)).toBeUndefined();
  });
});

describe('progress and cancel', () => {
  test('progress is visible while the file goes up; Cancel aborts it and nothing is sent', async () => {
    const { outbox, uploads, store } = makeClient();
    store.watch(P);
    media.plan = ['hold'];
    const entry = sendFile(outbox, 'big one');
    await settle();
    const mediaId = entry.kind === 'send' ? entry.attachment!.mediaId : '';
    expect(uploads.getProgress(mediaId)).toEqual({ loaded: 3, total: 7 });
    const shown = store.getRoom(P, R).messages;
    expect(shown.map((m) => [m.body, m.status, m.attachment?.local, m.attachment?.filename])).toEqual([['big one', 'SENDING', true, 'cat.png']]);

    outbox.cancel(entry.clientId);
    await settle();
    expect(media.aborted).toBe(1);
    expect(uploads.getProgress(mediaId)).toBeUndefined();
    expect(outbox.getSnapshot()).toEqual([]);
    expect(store.getRoom(P, R).messages).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls.send).toEqual([]);
  });

  test('a held upload shows as SENDING until the file is stored, then the message is sent with it', async () => {
    const { outbox, store } = makeClient();
    store.watch(P);
    media.plan = ['hold'];
    sendFile(outbox, 'with picture');
    await settle();
    expect(server.calls.send).toEqual([]);
    expect(store.getRoom(P, R).messages.map((m) => m.status)).toEqual(['SENDING']);
    media.release();
    await settle();
    const [message] = store.getRoom(P, R).messages;
    expect(message?.status).toBe('SENT');
    expect(server.calls.send[0]?.mediaId).toBeTruthy();
  });
});
