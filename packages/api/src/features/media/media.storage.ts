import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { MediaStorageKind } from '@parley/db';
import type { S3Settings } from '../../config.ts';
import { AppError } from '../../errors.ts';

/** Where one stored file's bytes are, as its row (`media_<pid>`, `avatars`) records it. */
export interface StoredBytes {
  storage: MediaStorageKind;
  /** `s3`: the object's key in the bucket. */
  objectKey: string | null;
  /** `db`: the bytes themselves. */
  data: Uint8Array | null;
}

/**
 * Where uploads' bytes live. `put` stores new bytes where this node is configured to (the
 * database row itself, or the S3 bucket) and says what the row must record; `get` and `delete`
 * follow the row, so files stored before a switch to S3 stay readable.
 */
export interface MediaStorage {
  readonly kind: MediaStorageKind;
  put(key: string, bytes: Uint8Array, contentType: string): Promise<StoredBytes>;
  /**
   * The bytes as a stream (a Node `Readable`). Typed structurally: this interface is part of the
   * API's context, whose types the published client's declarations carry, and they must not
   * import `node:stream`.
   */
  get(stored: StoredBytes): Promise<AsyncIterable<Uint8Array>>;
  /** Removes an S3 object (a `db` file goes with its row). */
  delete(stored: StoredBytes): Promise<void>;
  close(): void;
}

/** The default: bytes in the row's `data` column (bytea); the embedded first run needs nothing else. */
export function createDbStorage(): MediaStorage {
  return {
    kind: 'db',
    put: (_key, bytes) => Promise.resolve({ storage: 'db', objectKey: null, data: bytes }),
    get: (stored) => Promise.resolve(fromRow(stored)),
    delete: () => Promise.resolve(),
    close() {},
  };
}

function fromRow(stored: StoredBytes): Readable {
  if (stored.storage === 'db' && stored.data) return Readable.from([Buffer.from(stored.data)]);
  throw new AppError('SERVICE_UNAVAILABLE', 'This file is kept in an S3 store this server is not configured for.');
}

/**
 * An S3-compatible bucket, through the AWS SDK v3 client only (AWS, MinIO, s3rver…). The
 * bytes pass through the node, which checks access first: the bucket is never public and no
 * URL of it is handed out.
 */
export function createS3Storage(settings: S3Settings): MediaStorage {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
  });
  const Bucket = settings.bucket;
  return {
    kind: 's3',
    async put(key, bytes, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: bytes, ContentType: contentType, ContentLength: bytes.byteLength }));
      return { storage: 's3', objectKey: key, data: null };
    },
    async get(stored) {
      if (stored.storage === 'db' || !stored.objectKey) return fromRow(stored);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: stored.objectKey }));
        if (out.Body instanceof Readable) return out.Body;
        if (out.Body) return Readable.fromWeb(out.Body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      } catch (error) {
        if (!(error instanceof NoSuchKey)) throw error;
      }
      throw new AppError('NOT_FOUND', 'That file is missing from storage.');
    },
    async delete(stored) {
      if (stored.storage !== 's3' || !stored.objectKey) return;
      await client.send(new DeleteObjectCommand({ Bucket, Key: stored.objectKey }));
    },
    close() {
      client.destroy();
    },
  };
}

/** S3 when configured, else the database. */
export function createMediaStorage(s3: S3Settings | null): MediaStorage {
  return s3 ? createS3Storage(s3) : createDbStorage();
}
