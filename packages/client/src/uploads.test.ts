import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { classifySendError, errorCode, retryAfterMs } from './api.ts';
import { fetchTransport, uploadMedia, UploadError, type AttachmentDto } from './uploads.ts';

/** A tiny stand-in for the server's `POST /media/<pid>/<roomId>/<mediaId>`: answers what `next` says. */
interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
let server: Server;
let baseUrl: string;
let received: Received[] = [];
let next: (req: Received, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      next(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const upload = (file: Blob, filename = 'résumé 1.pdf', signal = new AbortController().signal) =>
  uploadMedia({ baseUrl, transport: fetchTransport(), token: 'tok', partitionId: 'acme', roomId: 'r1', mediaId: 'm1', file, filename, signal });

test('posts the bytes to /media/<pid>/<room>/<mediaId> with the name URI-encoded and the bearer token, and returns the record', async () => {
  const dto: AttachmentDto = {
    id: 'm1',
    roomId: 'r1',
    filename: 'résumé 1.pdf',
    mimeType: 'application/pdf',
    sizeBytes: 5,
    width: null,
    height: null,
    hasThumb: false,
  };
  next = (_req, res) => json(res, 200, dto);
  const progress: number[] = [];
  const result = await uploadMedia({
    baseUrl,
    transport: fetchTransport(),
    token: 'tok',
    partitionId: 'acme',
    roomId: 'r1',
    mediaId: 'm1',
    file: new Blob(['%PDF-']),
    filename: 'résumé 1.pdf',
    signal: new AbortController().signal,
    onProgress: (loaded) => progress.push(loaded),
  });
  expect(result).toEqual(dto);
  expect(received).toHaveLength(1);
  expect(received[0]!.url).toBe('/media/acme/r1/m1');
  expect(received[0]!.body.toString()).toBe('%PDF-');
  expect(received[0]!.headers['x-filename']).toBe(encodeURIComponent('résumé 1.pdf'));
  expect(decodeURIComponent(String(received[0]!.headers['x-filename']))).toBe('résumé 1.pdf');
  expect(received[0]!.headers.authorization).toBe('Bearer tok');
  expect(progress).toEqual([0, 5]);
});

test("a 413 is a permanent refusal in the server's words", async () => {
  next = (_req, res) => json(res, 413, { error: { message: 'A file can be at most 25 MB.' } });
  const error = await upload(new Blob(['x'])).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UploadError);
  expect((error as Error).message).toBe('A file can be at most 25 MB.');
  expect(errorCode(error)).toBe('PAYLOAD_TOO_LARGE');
  expect(classifySendError(error)).toBe('permanent');
});

test('a 415 and a 404 are permanent; a 401 waits for a session; a 5xx is retried', async () => {
  const kinds: string[] = [];
  for (const status of [415, 404, 401, 503]) {
    next = (_req, res) => json(res, status, { error: { message: `status ${status}` } });
    kinds.push(classifySendError(await upload(new Blob(['x'])).catch((e: unknown) => e)));
  }
  expect(kinds).toEqual(['permanent', 'permanent', 'unauthorized', 'transient']);
});

test("a 429 is a rate limit with the server's Retry-After", async () => {
  next = (_req, res) => json(res, 429, { error: { message: 'Slow down.' } }, { 'retry-after': '3' });
  const error = await upload(new Blob(['x'])).catch((e: unknown) => e);
  expect(classifySendError(error)).toBe('rate-limited');
  expect(retryAfterMs(error)).toBe(3000);
});

test('an unreachable server is a transient failure, a cancel an AbortError', async () => {
  const unreachable = await uploadMedia({
    baseUrl: 'http://127.0.0.1:1',
    transport: fetchTransport(),
    partitionId: 'acme',
    roomId: 'r1',
    mediaId: 'm1',
    file: new Blob(['x']),
    filename: 'a.txt',
    signal: new AbortController().signal,
  }).catch((e: unknown) => e);
  expect(classifySendError(unreachable)).toBe('transient');

  next = () => {
    // Never answers: only the abort ends it.
  };
  const controller = new AbortController();
  const pending = upload(new Blob(['x']), 'a.txt', controller.signal).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  expect(((await pending) as Error).name).toBe('AbortError');
});
