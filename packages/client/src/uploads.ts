/**
 * Uploading one attachment: `POST /media/<partitionId>/<roomId>/<mediaId>` with the file's bytes
 * as the body and its name in `X-Filename` (URI-encoded). The mediaId is the client's (UUIDv7),
 * so a repeat after a lost answer returns the stored record instead of a second copy.
 */

import type { AttachmentDto } from '@parley/api';

/** An attachment as the server describes it (`MessageDto.attachment`, the upload's answer). */
export type { AttachmentDto };

/** One upload request as a transport sees it. */
export interface UploadRequest {
  url: string;
  body: Blob;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** Bytes sent so far of `total`. */
  onProgress: (loaded: number, total: number) => void;
}

/** What came back: the status, the body as text and the `Retry-After` header. */
export interface UploadResponse {
  status: number;
  text: string;
  retryAfter: string | null;
}

/**
 * Sends one upload: rejects with a `TypeError` when the server cannot be reached and with an
 * `AbortError` when the signal aborts; any HTTP answer resolves.
 */
export type UploadTransport = (request: UploadRequest) => Promise<UploadResponse>;

/**
 * The part of `XMLHttpRequest` used here, typed locally so that programs compiled without the
 * DOM library (the Node server's tests import this package) still type-check.
 */
interface XhrLike {
  open(method: string, url: string): void;
  withCredentials: boolean;
  setRequestHeader(name: string, value: string): void;
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  ontimeout: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  getResponseHeader(name: string): string | null;
  abort(): void;
  send(body: Blob): void;
}
type XhrConstructor = new () => XhrLike;

function abortError(): Error {
  return new DOMException('The upload was cancelled.', 'AbortError');
}

/**
 * Browsers: `XMLHttpRequest`, the only API that reports upload progress; the session cookie goes
 * with it (same origin).
 * @example `createParleyClient({ url, uploadTransport: xhrTransport() })`
 */
export function xhrTransport(XHR: XhrConstructor = (globalThis as { XMLHttpRequest?: XhrConstructor }).XMLHttpRequest!): UploadTransport {
  return (request) =>
    new Promise<UploadResponse>((resolve, reject) => {
      if (request.signal.aborted) {
        reject(abortError());
        return;
      }
      const xhr = new XHR();
      xhr.open('POST', request.url);
      xhr.withCredentials = true;
      for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
      // Listening on `upload` must start before `send()` or no progress events are fired.
      xhr.upload.onprogress = (event: { loaded: number; total: number; lengthComputable: boolean }) =>
        request.onProgress(event.loaded, event.lengthComputable ? event.total : request.body.size);
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('retry-after') });
      xhr.onerror = () => reject(new TypeError('The server could not be reached.'));
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = () => reject(abortError());
      request.signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(request.body);
    });
}

/**
 * Node programs (and anywhere without XMLHttpRequest): `fetch` with the Blob as the body.
 * Progress is reported only at the start and the end.
 * @example `createParleyClient({ url, token, uploadTransport: fetchTransport(fetch) })`
 */
export function fetchTransport(fetchImpl: typeof globalThis.fetch = globalThis.fetch): UploadTransport {
  return async (request) => {
    const total = request.body.size;
    request.onProgress(0, total);
    const response = await fetchImpl(request.url, {
      method: 'POST',
      body: request.body,
      headers: request.headers,
      signal: request.signal,
      credentials: 'include',
    });
    const text = await response.text();
    if (response.ok) request.onProgress(total, total);
    return { status: response.status, text, retryAfter: response.headers.get('retry-after') };
  };
}

/** The tRPC code an HTTP status means, so that the outbox treats an upload's refusal like a send's. */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * A refused upload, shaped like a `TRPCClientError` (`data.code`, `data.retryAfterMs`) so that
 * `classifySendError` and `errorCode` read it the same way. A 5xx has no code: it is retried.
 */
export class UploadError extends Error {
  override name = 'UploadError';
  readonly status: number;
  readonly data: { code?: string; retryAfterMs?: number; httpStatus: number };
  constructor(status: number, message: string, retryAfterMs?: number, serverCode?: string) {
    super(message);
    this.status = status;
    // A 5xx stays without a code whatever the body says: it is worth another try.
    const code = status >= 500 ? undefined : (serverCode ?? CODE_OF_STATUS[status]);
    this.data = { httpStatus: status, ...(code ? { code } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The server's code from `{ error: { code } }`, when it gave one. */
function refusalCode(text: string): string | undefined {
  const body = parseJson(text) as { error?: { code?: unknown } } | undefined;
  const code = typeof body?.error === 'object' ? body.error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The server's words from `{ error: { message } }` (or `{ message }`), else a sentence for the status. */
function refusalMessage(status: number, text: string): string {
  const body = parseJson(text) as { error?: { message?: unknown } | string; message?: unknown } | undefined;
  const candidate = typeof body?.error === 'object' ? body.error.message : (body?.error ?? body?.message);
  if (typeof candidate === 'string' && candidate.trim()) return candidate;
  if (status === 413) return 'That file is too big.';
  if (status === 415) return 'That type of file cannot be sent.';
  if (status === 404 || status === 403) return 'You cannot send files to this room.';
  if (status === 401) return 'Sign in again to send files.';
  return `The upload failed (HTTP ${status}).`;
}

/** Where a workspace's media live. */
export function mediaPath(partitionId: string, mediaId: string): string {
  return `/media/${encodeURIComponent(partitionId)}/${encodeURIComponent(mediaId)}`;
}

export interface UploadMediaOptions {
  /** The server's base URL (`ParleyClientOptions.url`). */
  baseUrl: string;
  transport: UploadTransport;
  /** Programs send their session token; browsers rely on the cookie. */
  token?: string | null | undefined;
  partitionId: string;
  roomId: string;
  mediaId: string;
  file: Blob;
  filename: string;
  signal: AbortSignal;
  onProgress?: ((loaded: number, total: number) => void) | undefined;
}

/**
 * Uploads one file and returns the server's record of it. Throws `UploadError` for a refusal,
 * a `TypeError` when the server cannot be reached, an `AbortError` when cancelled.
 * @example
 * ```ts
 * const attachment = await uploadMedia({ baseUrl, transport: fetchTransport(), token, partitionId, roomId, mediaId: uuidv7(), file, filename: 'a.png', signal });
 * ```
 */
export async function uploadMedia(options: UploadMediaOptions): Promise<AttachmentDto> {
  const path = `/media/${encodeURIComponent(options.partitionId)}/${encodeURIComponent(options.roomId)}/${encodeURIComponent(options.mediaId)}`;
  const url = new URL(path, options.baseUrl);
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'x-filename': encodeURIComponent(options.filename),
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await options.transport({
    url: url.toString(),
    body: options.file,
    headers,
    signal: options.signal,
    onProgress: (loaded, total) => options.onProgress?.(loaded, total),
  });
  if (response.status >= 200 && response.status < 300) {
    const body = parseJson(response.text) as AttachmentDto | { attachment?: AttachmentDto } | undefined;
    const dto = body && 'attachment' in body && body.attachment ? body.attachment : (body as AttachmentDto | undefined);
    if (!dto || typeof dto.id !== 'string') throw new UploadError(502, 'The server answered the upload with something unexpected.');
    return dto;
  }
  const seconds = response.retryAfter === null ? NaN : Number(response.retryAfter);
  throw new UploadError(
    response.status,
    refusalMessage(response.status, response.text),
    Number.isFinite(seconds) ? seconds * 1000 : undefined,
    refusalCode(response.text),
  );
}
