import { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import type { Kysely } from 'kysely';
import type { Database, PartitionId, Role, User } from '@parley/db';
import { hasRole, ROLE_NEEDED } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { assertRoomMember } from '../room/room.service.ts';
import { describeImage, makeAvatar } from './media.images.ts';
import * as repo from './media.repo.ts';
import type { MediaFacts } from './media.repo.ts';
import type { StoredBytes } from './media.storage.ts';
import type { AttachmentDto } from './media.types.ts';
import { SAFE_IMAGE_TYPES, servingHeaders, sniffType } from './media.typing.ts';

export type InPartition = Context & { user: User; partitionId: PartitionId };

export const NO_SUCH_MEDIA = 'No such file, or you cannot see it.';
export const MEDIA_ID_TAKEN = 'That media id is already used for another upload; generate a new one.';
export const NOT_ATTACHABLE = 'That file cannot be attached here: upload it to this room yourself first (a file goes with one message only).';
export const AVATAR_TYPES_ONLY = 'An avatar must be a JPEG, PNG, GIF or WebP image.';

export function toAttachmentDto(row: MediaFacts): AttachmentDto {
  return {
    id: row.id,
    roomId: row.room_id ?? '',
    filename: row.filename,
    mimeType: row.mime_type,
    sizeBytes: row.size_bytes,
    width: row.width ?? null,
    height: row.height ?? null,
    hasThumb: row.has_thumb,
  };
}

/**
 * Before an upload's body is read: the caller may upload to this room (a member of the
 * workspace, not a viewer, and of the room), and whether this media id is already theirs
 * (a retry after a lost answer: the stored record, and the body need not be read). Someone
 * else's id is a conflict.
 */
export async function prepareUpload(ctx: InPartition & { role: Role }, roomId: string, mediaId: string): Promise<AttachmentDto | null> {
  if (!hasRole(ctx.role, 'member')) throw new AppError('FORBIDDEN', ROLE_NEEDED.member);
  await assertRoomMember(ctx, roomId);
  return existingUpload(ctx, roomId, mediaId);
}

async function existingUpload(ctx: InPartition, roomId: string, mediaId: string): Promise<AttachmentDto | null> {
  const row = await repo.findMedia(ctx.db, ctx.partitionId, mediaId);
  if (!row) return null;
  if (row.uploader_id !== ctx.user.id || row.room_id !== roomId) throw new AppError('CONFLICT', MEDIA_ID_TAKEN);
  return toAttachmentDto(row);
}

/**
 * Stores an upload whose body was read whole (within the limit): its type from the bytes, an
 * image's size and thumbnail, the bytes where the node keeps them. Nothing goes to the event
 * log: nobody sees an upload until a message carries it (its `message.created` event does).
 * Returns the record and whether it was created now (false: a racing copy of the same upload won).
 */
export async function storeUpload(
  ctx: InPartition,
  upload: { roomId: string; mediaId: string; filename: string; bytes: Uint8Array },
): Promise<{ attachment: AttachmentDto; created: boolean }> {
  const mimeType = await sniffType(upload.bytes);
  const image = await describeImage(upload.bytes, mimeType);
  // A key of its own per attempt: a racing upload of the same id cannot overwrite the winner's object.
  const key = `media/${ctx.partitionId}/${upload.mediaId}/${uuidv7()}`;
  const stored = await ctx.mediaStorage.put(key, upload.bytes, mimeType);
  const row: repo.NewMedia = {
    id: upload.mediaId,
    uploaderId: ctx.user.id,
    roomId: upload.roomId,
    filename: upload.filename,
    mimeType,
    sizeBytes: upload.bytes.byteLength,
    ...stored,
    thumb: image?.thumb ?? null,
    width: image?.width ?? null,
    height: image?.height ?? null,
  };
  let created: boolean;
  try {
    created = await repo.insertMedia(ctx.db, ctx.partitionId, row);
  } catch (error) {
    await ctx.mediaStorage.delete(stored).catch(() => undefined);
    throw error;
  }
  if (!created) {
    await ctx.mediaStorage.delete(stored).catch((err: unknown) => ctx.log.warn({ err, key }, 'could not delete the object of a duplicate upload'));
    const winner = await existingUpload(ctx, upload.roomId, upload.mediaId);
    if (!winner) throw new Error(`media ${upload.mediaId} reported as stored but not found`);
    return { attachment: winner, created: false };
  }
  return {
    attachment: {
      id: row.id,
      roomId: row.roomId,
      filename: row.filename,
      mimeType,
      sizeBytes: row.sizeBytes,
      width: row.width,
      height: row.height,
      hasThumb: row.thumb !== null,
    },
    created: true,
  };
}

/** A file to serve: its bytes as a stream and the headers that keep it from running in the origin. */
export interface ServedFile {
  body: Readable;
  sizeBytes: number;
  contentType: string;
  disposition: string;
}

/**
 * A download (or its thumbnail): only for a member of the room it was uploaded for, now. A
 * non-member, someone of another workspace or someone removed gets NOT_FOUND, whatever the
 * reason, so the answer tells nothing about what exists.
 */
export async function openMedia(ctx: InPartition, mediaId: string, part: 'file' | 'thumb'): Promise<ServedFile> {
  const row = await repo.findMedia(ctx.db, ctx.partitionId, mediaId);
  if (!row?.room_id) throw new AppError('NOT_FOUND', NO_SUCH_MEDIA);
  try {
    await assertRoomMember(ctx, row.room_id);
  } catch (error) {
    if (error instanceof AppError) throw new AppError('NOT_FOUND', NO_SUCH_MEDIA);
    throw error;
  }
  if (part === 'thumb') {
    const thumb = await repo.findMediaThumb(ctx.db, ctx.partitionId, mediaId);
    if (!thumb?.thumb) throw new AppError('NOT_FOUND', 'That file has no thumbnail.');
    const name = `${row.filename.replace(/\.[^.]*$/, '')}-thumb.webp`;
    return { body: Readable.from([Buffer.from(thumb.thumb)]), sizeBytes: thumb.thumb.byteLength, ...served('image/webp', name) };
  }
  const data = row.storage === 'db' ? ((await repo.findMediaData(ctx.db, ctx.partitionId, mediaId))?.data ?? null) : null;
  const body = asReadable(await ctx.mediaStorage.get({ storage: row.storage, objectKey: row.object_key, data }));
  return { body, sizeBytes: row.size_bytes, ...served(row.mime_type, row.filename) };
}

function served(mimeType: string, filename: string) {
  const { contentType, disposition } = servingHeaders(mimeType, filename);
  return { contentType, disposition };
}

/**
 * What `message.send` attaches: a file uploaded to the same room by the sender, not carried by
 * another message (the same send retried — the same clientId — may carry it again).
 */
export async function attachableMedia(ctx: InPartition, input: { mediaId: string; roomId: string; clientId: string }): Promise<AttachmentDto> {
  const row = await repo.findMedia(ctx.db, ctx.partitionId, input.mediaId);
  if (!row || row.uploader_id !== ctx.user.id || row.room_id !== input.roomId) throw new AppError('BAD_REQUEST', NOT_ATTACHABLE);
  const carrier = await repo.findMessageWithMedia(ctx.db, ctx.partitionId, input.mediaId);
  if (carrier && carrier.client_id !== input.clientId) throw new AppError('BAD_REQUEST', NOT_ATTACHABLE);
  return toAttachmentDto(row);
}

/**
 * The file of a message deleted for everyone goes with its text: its row now (inside the
 * deletion's transaction, after the message stopped referring to it), its S3 object by
 * {@link deleteStoredObject} once that transaction committed.
 */
export async function deleteMediaInTx(trx: Kysely<Database>, partitionId: PartitionId, mediaId: string): Promise<StoredBytes | null> {
  const row = await repo.deleteMedia(trx, partitionId, mediaId);
  return row ? { storage: row.storage, objectKey: row.object_key, data: null } : null;
}

/** Deletes an S3 object after its row is gone; a failure is logged (an orphan object costs space, not privacy: nothing points to it). */
export async function deleteStoredObject(ctx: Pick<Context, 'mediaStorage' | 'log'>, stored: StoredBytes | null): Promise<void> {
  if (!stored || stored.storage !== 's3') return;
  await ctx.mediaStorage.delete(stored).catch((err: unknown) => ctx.log.warn({ err, key: stored.objectKey }, 'could not delete the object of a deleted file'));
}

/** The attachments of listed messages, by media id, in one query. */
export async function attachmentsByMediaId(
  ctx: Pick<InPartition, 'db' | 'partitionId'>,
  mediaIds: readonly (string | null)[],
): Promise<Map<string, AttachmentDto>> {
  const ids = [...new Set(mediaIds.filter((id): id is string => id !== null))];
  const rows = await repo.listMediaFacts(ctx.db, ctx.partitionId, ids);
  return new Map(rows.map((r) => [r.id, toAttachmentDto(r)]));
}

/**
 * A new avatar from an uploaded image (JPEG, PNG, GIF or WebP by its bytes, else
 * UNSUPPORTED_TYPE): the middle of it, 256 px square, WebP. It does not change anyone's
 * profile; the profile's mutation points `users.avatar_id` at it.
 */
export async function storeAvatar(ctx: Context & { user: User }, bytes: Uint8Array): Promise<{ id: string }> {
  const mimeType = await sniffType(bytes);
  if (!SAFE_IMAGE_TYPES.has(mimeType)) throw new UnsupportedType(AVATAR_TYPES_ONLY);
  let image: Buffer;
  try {
    image = await makeAvatar(bytes);
  } catch {
    throw new UnsupportedType('That image could not be read; try another file.');
  }
  const id = uuidv7();
  const stored = await ctx.mediaStorage.put(`avatars/${id}`, image, 'image/webp');
  await repo.insertAvatar(ctx.db, { id, userId: ctx.user.id, sizeBytes: image.byteLength, ...stored });
  return { id };
}

/** An avatar, for any signed-in user (it shows wherever its owner's name does). */
export async function openAvatar(ctx: Context, id: string): Promise<ServedFile> {
  const row = await repo.findAvatar(ctx.db, id);
  if (!row) throw new AppError('NOT_FOUND', 'No such avatar.');
  const body = asReadable(await ctx.mediaStorage.get({ storage: row.storage, objectKey: row.object_key, data: row.data }));
  return { body, sizeBytes: row.size_bytes, contentType: row.mime_type, disposition: 'inline' };
}

/** A file whose type (by its bytes) is not accepted here: HTTP 415. */
export class UnsupportedType extends Error {
  override name = 'UnsupportedType';
}

/** The storages hand out Node streams; typed as async iterables (see `MediaStorage.get`). */
function asReadable(body: AsyncIterable<Uint8Array>): Readable {
  return body instanceof Readable ? body : Readable.from(body);
}
