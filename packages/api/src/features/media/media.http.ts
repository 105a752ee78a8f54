import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { formatBytes, REFUSAL } from '@parley/rules';
import { createContext, type ApiDeps, type RequestInfo } from '../../context.ts';
import { AppError, internalErrorId, internalErrorMessage } from '../../errors.ts';
import { describeRule, enforceRateLimit, ipKey } from '../../rate-limit.ts';
import { idSchema, partitionIdSchema } from '../../schemas.ts';
import { validateSession } from '../auth/session.ts';
import { findMemberRole } from '../partition/partition.service.ts';
import { openAvatar, openMedia, prepareUpload, storeAvatar, storeUpload, UnsupportedType, type ServedFile } from './media.service.ts';
import { sanitizeFilename } from './media.typing.ts';

/**
 * Uploads and downloads as plain HTTP routes (not tRPC), so a body streams in under a hard
 * limit instead of being parsed as JSON. The same guards as a tRPC call, in the same order:
 * the Origin allowlist, the per-address request limit, the session (cookie or bearer), then
 * the workspace role and the room membership.
 *
 * - `POST /media/<partitionId>/<roomId>/<mediaId>`: the body is the file; `X-Filename` its name.
 * - `GET|HEAD /media/<partitionId>/<mediaId>` and `…/<mediaId>/thumb`.
 * - `POST /avatar`: the body is an image; `GET|HEAD /avatar/<id>`.
 */

/** How long a browser may keep a downloaded file without asking again (it is private to the user). */
export const MEDIA_CACHE_SECONDS = 3600;
/** Avatars never change under their id. */
const AVATAR_CACHE = 'private, max-age=31536000, immutable';
/** Nothing served from these routes may run script or load anything, even opened directly. */
const SANDBOX_CSP = "sandbox; default-src 'none'";
/**
 * After a refusal sent before the body was read, the connection is closed this much later:
 * at once, the client's TCP stack could discard the refusal it has not read yet (a reset).
 */
const CLOSE_AFTER_REFUSAL_MS = 2000;

const mediaIdSchema = z.uuid({ version: 'v7' });

/** Whether apps/server should hand this path to {@link handleMediaRequest}. */
export function isMediaPath(path: string): boolean {
  return path.startsWith('/media/') || path === '/avatar' || path.startsWith('/avatar/');
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** Answers one request to a media route; `info` is what the transport made of it (as for tRPC). */
export async function handleMediaRequest(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, info: RequestInfo): Promise<void> {
  try {
    await route(req, res, deps, info);
  } catch (error) {
    refuse(req, res, deps, error);
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, info: RequestInfo): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const parts = path.split('/').slice(1);
  const method = req.method ?? 'GET';
  if (parts[0] === 'avatar') {
    if (parts.length === 1) {
      allow(method, ['POST']);
      return uploadAvatar(req, res, deps, info);
    }
    if (parts.length === 2) {
      allow(method, ['GET', 'HEAD']);
      const id = parse(idSchema, parts[1], 'That is not an avatar id.');
      const ctx = await authenticate(deps, info, 'download');
      return serve(req, res, await openAvatar(ctx, id), AVATAR_CACHE);
    }
    throw new HttpRefusal(404, 'NOT_FOUND', 'No such route.');
  }
  const partitionId = parse(partitionIdSchema, parts[1], 'That is not a workspace id.');
  if (parts.length === 4 && method === 'POST') {
    const roomId = parse(idSchema, parts[2], 'That is not a room id.');
    const mediaId = parse(mediaIdSchema, parts[3], 'The media id must be a UUIDv7 made by the client.');
    return uploadMedia(req, res, deps, info, { partitionId, roomId, mediaId });
  }
  if (parts.length === 3 || (parts.length === 4 && parts[3] === 'thumb')) {
    allow(method, ['GET', 'HEAD']);
    const mediaId = parse(mediaIdSchema, parts[2], 'That is not a media id.');
    const ctx = await inWorkspace(deps, info, partitionId, 'download');
    const file = await openMedia(ctx, mediaId, parts.length === 4 ? 'thumb' : 'file');
    return serve(req, res, file, `private, max-age=${MEDIA_CACHE_SECONDS}`);
  }
  if (parts.length === 4) allow(method, ['POST']);
  throw new HttpRefusal(404, 'NOT_FOUND', 'No such route.');
}

async function uploadMedia(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiDeps,
  info: RequestInfo,
  target: { partitionId: ReturnType<typeof partitionIdSchema.parse>; roomId: string; mediaId: string },
): Promise<void> {
  const limit = deps.config.mediaMaxBytes;
  refuseDeclaredLength(req, limit, 'A file');
  const name = sanitizeFilename(header(req, 'x-filename'));
  if (!name.ok) throw new HttpRefusal(400, 'BAD_REQUEST', name.message);
  const ctx = await inWorkspace(deps, info, target.partitionId, 'upload');
  const existing = await prepareUpload(ctx, target.roomId, target.mediaId);
  if (existing) return json(req, res, 200, existing);
  // Held until stored: typing, the thumbnail and the write all work on the bytes in memory.
  const { attachment, created } = await withinUploadMemory(deps, req, limit, async () => {
    const bytes = await readBody(req, limit, 'A file');
    return storeUpload(ctx, { roomId: target.roomId, mediaId: target.mediaId, filename: name.filename, bytes });
  });
  json(req, res, created ? 201 : 200, attachment);
}

async function uploadAvatar(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, info: RequestInfo): Promise<void> {
  const limit = deps.config.avatarMaxBytes;
  refuseDeclaredLength(req, limit, 'An avatar');
  const ctx = await authenticate(deps, info, 'upload');
  const avatar = await withinUploadMemory(deps, req, limit, async () => storeAvatar(ctx, await readBody(req, limit, 'An avatar')));
  json(req, res, 201, avatar);
}

/** Bytes of uploads being read, per API (one per node). */
const uploadsInMemory = new WeakMap<ApiDeps, { bytes: number }>();
/** How long a client refused for memory waits before trying again. */
const BUSY_RETRY_MS = 5000;

/**
 * Reads an upload only while the node's uploads in memory stay under `uploadMemoryBytes`: it
 * reserves the declared length (a chunked body: the limit) first, and gives it back once the
 * bytes are stored or refused. Over the budget: 503 with Retry-After, nothing read.
 */
async function withinUploadMemory<T>(deps: ApiDeps, req: IncomingMessage, limit: number, read: () => Promise<T>): Promise<T> {
  let usage = uploadsInMemory.get(deps);
  if (!usage) uploadsInMemory.set(deps, (usage = { bytes: 0 }));
  const declared = Number(header(req, 'content-length'));
  const reserve = Number.isFinite(declared) && declared > 0 ? Math.min(declared, limit) : limit;
  if (usage.bytes > 0 && usage.bytes + reserve > deps.config.uploadMemoryBytes) {
    throw new HttpRefusal(503, 'SERVICE_UNAVAILABLE', 'Parley is busy receiving other files. Your upload will be tried again in a moment.', BUSY_RETRY_MS);
  }
  usage.bytes += reserve;
  try {
    return await read();
  } finally {
    usage.bytes -= reserve;
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new HttpRefusal(405, 'METHOD_NOT_SUPPORTED', `Use ${methods.join(' or ')} here.`);
}

function parse<T>(schema: z.ZodType<T>, value: string | undefined, message: string): T {
  const parsed = schema.safeParse(value === undefined ? undefined : safeDecode(value));
  if (!parsed.success) throw new HttpRefusal(400, 'BAD_REQUEST', message);
  return parsed.data;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function tooLarge(limit: number, what: string): HttpRefusal {
  return new HttpRefusal(413, 'PAYLOAD_TOO_LARGE', `${what} can be at most ${formatBytes(limit)}.`);
}

/** By the declared length, before a byte of the body is read. */
function refuseDeclaredLength(req: IncomingMessage, limit: number, what: string): void {
  const declared = header(req, 'content-length');
  if (declared !== undefined && Number(declared) > limit) {
    const refusal = tooLarge(limit, what);
    refusal.message = `${what} can be at most ${formatBytes(limit)}; this one is ${formatBytes(Number(declared))}.`;
    throw refusal;
  }
}

/**
 * The whole body, counted while it arrives (a chunked body declares no length): past `limit`
 * reading stops and the upload is refused; nothing of it is kept.
 */
function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(tooLarge(limit, what));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (total === 0) reject(new HttpRefusal(400, 'BAD_REQUEST', 'That file is empty.'));
      else resolve(Buffer.concat(chunks, total));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client closed the connection during the upload'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The tRPC guards: Origin, the per-address limit, then the session (renewed or cleared as tRPC
 * does). Downloads count against their own per-address budget (`downloadsPerIp`), uploads
 * against the procedure calls'.
 */
async function authenticate(deps: ApiDeps, info: RequestInfo, kind: 'upload' | 'download') {
  if (!info.originAllowed) throw new AppError('FORBIDDEN', 'This origin is not allowed to call Parley.');
  if (kind === 'download') {
    const rule = deps.config.rateLimits.downloadsPerIp;
    await enforceRateLimit(deps, `dl:${ipKey(info.ip)}`, rule, `Too many downloads from your network (${describeRule(rule)}).`);
  } else {
    const rule = deps.config.rateLimits.requestsPerIp;
    await enforceRateLimit(deps, `ip:${ipKey(info.ip)}`, rule, `Too many requests from your network (${describeRule(rule)}).`);
  }
  const session = info.token ? await validateSession(deps, info.token) : null;
  if (!session) {
    if (info.token && info.tokenSource === 'cookie') info.setSessionCookie?.(null);
    throw new AppError('UNAUTHORIZED', REFUSAL.signIn);
  }
  if (session.renewed && info.tokenSource === 'cookie') info.setSessionCookie?.(info.token, new Date(session.session.expires_at));
  return Object.assign(createContext(deps, info), { user: session.user });
}

async function inWorkspace(deps: ApiDeps, info: RequestInfo, partitionId: ReturnType<typeof partitionIdSchema.parse>, kind: 'upload' | 'download') {
  const ctx = await authenticate(deps, info, kind);
  const role = await findMemberRole(ctx, partitionId, ctx.user.id);
  if (!role) throw new AppError('NOT_FOUND', 'No such workspace, or you are not a member of it.');
  return Object.assign(ctx, { partitionId, role });
}

function serve(req: IncomingMessage, res: ServerResponse, file: ServedFile, cacheControl: string): Promise<void> {
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': String(file.sizeBytes),
    'content-disposition': file.disposition,
    'x-content-type-options': 'nosniff',
    'content-security-policy': SANDBOX_CSP,
    'cache-control': cacheControl,
  });
  if (req.method === 'HEAD') {
    file.body.destroy();
    res.end();
    return Promise.resolve();
  }
  // A client that goes away mid-download ends the pipeline; there is nobody left to answer.
  return pipeline(file.body, res).catch(() => undefined);
}

function json(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  // Answered without reading the rest of the body (a retry of a stored upload, a refusal): that
  // rest must not be taken for the next request on the connection.
  const unread = !req.complete;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (unread) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
  if (unread) res.once('finish', () => setTimeout(() => req.socket.destroy(), CLOSE_AFTER_REFUSAL_MS).unref());
}

function refuse(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (req.destroyed && !req.complete) return;
  let status: number;
  let code: string;
  let message: string;
  let retryAfterMs: number | undefined;
  if (error instanceof HttpRefusal) {
    ({ status, code, message, retryAfterMs } = error);
  } else if (error instanceof AppError) {
    status = STATUS[error.code] ?? 400;
    code = error.code;
    message = error.message;
    retryAfterMs = error.retryAfterMs;
  } else if (error instanceof UnsupportedType) {
    status = 415;
    code = 'UNSUPPORTED_MEDIA_TYPE';
    message = error.message;
  } else {
    const errorId = internalErrorId(error as object);
    deps.log.error({ err: error, path: req.url, errorId }, 'media request failed');
    status = 500;
    code = 'INTERNAL_SERVER_ERROR';
    message = internalErrorMessage(errorId);
  }
  if (retryAfterMs) res.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
  if (status === 405)
    res.setHeader(
      'allow',
      message
        .replace(/^Use | here\.$/g, '')
        .split(' or ')
        .join(', '),
    );
  json(req, res, status, { error: { message, code, httpStatus: status, ...(retryAfterMs ? { retryAfterMs } : {}) } });
}
