import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { ApiDeps } from '../../context.ts';
import { handleMediaRequest, isMediaPath } from './media.http.ts';
import type { AttachmentDto } from './media.types.ts';

/** What apps/server does for the media routes, and nothing else: bearer tokens, one allowed Origin. */
export async function startMediaServer(deps: ApiDeps, opts: { ip?: string } = {}): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!isMediaPath(path)) {
      res.writeHead(404).end();
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const origin = req.headers.origin;
    void handleMediaRequest(req, res, deps, {
      token: bearer,
      tokenSource: bearer ? 'bearer' : null,
      originAllowed: origin === undefined || origin === 'http://parley.test',
      ip: opts.ip ?? '127.0.0.1',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A PNG of this size (a gradient, so it is not trivially small). */
export function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
}

/** What the media routes answer in JSON: an attachment, an avatar's `{ id }`, or a refusal. */
export type AnswerJson = AttachmentDto & { error: { message: string; code: string; httpStatus: number } };

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Parsed for the test to read (undefined when the body is not JSON). */
  json: AnswerJson;
}

async function answer(res: Response): Promise<Answer> {
  const body = Buffer.from(await res.arrayBuffer());
  let json: AnswerJson | undefined;
  try {
    json = JSON.parse(body.toString('utf8')) as AnswerJson;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body, json: json as AnswerJson };
}

export async function upload(url: string, token: string | null, bytes: Uint8Array, opts: { filename?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.filename !== undefined) headers['x-filename'] = encodeURIComponent(opts.filename);
  return answer(await fetch(url, { method: 'POST', headers, body: bytes }));
}

export async function download(url: string, token: string | null, opts: { method?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  return answer(await fetch(url, { method: opts.method ?? 'GET', headers }));
}

/**
 * A request that declares or streams more than the server will take: resolves with the status
 * and body of the server's answer and how many bytes were written before it came.
 */
export function overLimitRequest(
  url: string,
  token: string,
  opts: { declaredLength?: number; chunk: Buffer; chunks: number },
): Promise<{ status: number; body: string; written: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, 'x-filename': 'big.bin' };
    if (opts.declaredLength !== undefined) headers['content-length'] = opts.declaredLength;
    const req = request(url, { method: 'POST', headers });
    let written = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, written });
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const writeMore = () => {
      if (answered || written >= opts.chunks * opts.chunk.length) return;
      written += opts.chunk.length;
      if (req.write(opts.chunk)) setImmediate(writeMore);
      else req.once('drain', writeMore);
    };
    if (opts.chunks === 0) req.flushHeaders();
    else writeMore();
  });
}
