import { sql, type Kysely } from 'kysely';
import { pt, type Database, type MediaStorageKind, type PartitionId } from '@parley/db';

/** A media row without its bytes (what access checks and DTOs need). */
const MEDIA_FACTS = ['id', 'uploader_id', 'room_id', 'filename', 'mime_type', 'size_bytes', 'width', 'height', 'storage', 'object_key'] as const;

export function findMedia(db: Kysely<Database>, partitionId: PartitionId, mediaId: string) {
  return db
    .selectFrom(pt(partitionId, 'media'))
    .select(MEDIA_FACTS)
    .select(sql<boolean>`thumb is not null`.as('has_thumb'))
    .where('id', '=', mediaId)
    .executeTakeFirst();
}
export type MediaFacts = NonNullable<Awaited<ReturnType<typeof findMedia>>>;

/** The bytes of a `db` file (null for `s3`). */
export function findMediaData(db: Kysely<Database>, partitionId: PartitionId, mediaId: string) {
  return db.selectFrom(pt(partitionId, 'media')).select('data').where('id', '=', mediaId).executeTakeFirst();
}

export function findMediaThumb(db: Kysely<Database>, partitionId: PartitionId, mediaId: string) {
  return db.selectFrom(pt(partitionId, 'media')).select(['thumb', 'thumb_mime']).where('id', '=', mediaId).executeTakeFirst();
}

export interface NewMedia {
  id: string;
  uploaderId: string;
  roomId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  storage: MediaStorageKind;
  objectKey: string | null;
  data: Uint8Array | null;
  thumb: Uint8Array | null;
  width: number | null;
  height: number | null;
}

/** Inserts it unless the id is taken (a retried upload, or a race): false then. */
export async function insertMedia(db: Kysely<Database>, partitionId: PartitionId, m: NewMedia): Promise<boolean> {
  const r = await db
    .insertInto(pt(partitionId, 'media'))
    .values({
      id: m.id,
      uploader_id: m.uploaderId,
      room_id: m.roomId,
      filename: m.filename,
      mime_type: m.mimeType,
      size_bytes: m.sizeBytes,
      storage: m.storage,
      object_key: m.objectKey,
      data: m.data,
      thumb: m.thumb,
      thumb_mime: m.thumb ? 'image/webp' : null,
      width: m.width,
      height: m.height,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The message that carries this media, if any (the partial unique index of template 7 answers it). */
export function findMessageWithMedia(db: Kysely<Database>, partitionId: PartitionId, mediaId: string) {
  return db.selectFrom(pt(partitionId, 'messages')).select(['id', 'client_id']).where('media_id', '=', mediaId).limit(1).executeTakeFirst();
}

export function listMediaFacts(db: Kysely<Database>, partitionId: PartitionId, mediaIds: readonly string[]) {
  if (mediaIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom(pt(partitionId, 'media'))
    .select(MEDIA_FACTS)
    .select(sql<boolean>`thumb is not null`.as('has_thumb'))
    .where('id', 'in', mediaIds)
    .execute();
}

export function insertAvatar(
  db: Kysely<Database>,
  a: { id: string; userId: string; sizeBytes: number; storage: MediaStorageKind; objectKey: string | null; data: Uint8Array | null },
) {
  return db
    .insertInto('avatars')
    .values({ id: a.id, user_id: a.userId, mime_type: 'image/webp', size_bytes: a.sizeBytes, storage: a.storage, object_key: a.objectKey, data: a.data })
    .execute();
}

export function findAvatar(db: Kysely<Database>, id: string) {
  return db.selectFrom('avatars').select(['id', 'mime_type', 'size_bytes', 'storage', 'object_key', 'data']).where('id', '=', id).executeTakeFirst();
}

/** Removes a file's row (no message may refer to it any more); where its bytes were, for the S3 object's deletion. */
export function deleteMedia(db: Kysely<Database>, partitionId: PartitionId, mediaId: string) {
  return db.deleteFrom(pt(partitionId, 'media')).where('id', '=', mediaId).returning(['storage', 'object_key']).executeTakeFirst();
}
