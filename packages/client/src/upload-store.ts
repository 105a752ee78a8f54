import { MEDIA_MAX_BYTES_DEFAULT } from '@parley/rules';
import { Emitter } from './emitter.ts';
import type { ClientStorage } from './storage.ts';
import { mediaPath, uploadMedia, type AttachmentDto, type UploadTransport } from './uploads.ts';

/** The file of a send, as its outbox entry keeps it (the bytes are in storage beside it). */
export interface PendingAttachment {
  /** The client's id for the file (UUIDv7): uploading again with it stores it once. */
  readonly mediaId: string;
  readonly filename: string;
  /** The browser's guess from the name (for the preview); the server decides from the bytes. */
  readonly mimeType: string;
  readonly sizeBytes: number;
  /** The server's record, once the upload is done: then only the message remains to be sent. */
  readonly uploaded: AttachmentDto | null;
}

/** What the outbox asks of the uploads (the `UploadStore`; tests give a fake). */
export interface OutboxUploads {
  /** The largest file the server takes (bytes). */
  readonly maxBytes: number;
  /** Keeps the file (in memory at once, in storage soon after) until `discard`. */
  keep(mediaId: string, file: Blob): void;
  /** Uploads a kept file; rejects like a send (refusals carry `data.code`). */
  upload(target: { partitionId: string; roomId: string; attachment: PendingAttachment }): Promise<AttachmentDto>;
  /** Stops an upload under way (it rejects with an `AbortError`). */
  abort(mediaId: string): void;
  /** Forgets the file: the message went out, or was taken back. */
  discard(mediaId: string): void;
}

/** An upload under way: bytes sent of the total. */
export interface UploadProgress {
  readonly loaded: number;
  readonly total: number;
}

export interface UploadStoreOptions {
  /** The server's base URL. */
  baseUrl: string;
  transport: UploadTransport;
  storage: ClientStorage;
  token?: (() => string | null) | undefined;
  /** The largest file the server takes (its `MEDIA_MAX_BYTES`); default 25 MiB. */
  maxBytes?: number | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
  /** `URL.createObjectURL` where there is one (browsers): local previews of images. */
  objectUrls?: { create(blob: Blob): string; revoke(url: string): void } | null | undefined;
}

const KEY_PREFIX = 'upload:';

/** A Blob where the storage keeps them (IndexedDB, memory); base64 text where it is JSON (a file). */
type StoredFile = Blob | { readonly type: string; readonly base64: string };

async function encode(file: Blob, keepsBlobs: boolean): Promise<StoredFile> {
  if (keepsBlobs) return file;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  // In slices: spreading megabytes into one call overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { type: file.type, base64: btoa(binary) };
}

function decode(stored: StoredFile | undefined): Blob | undefined {
  if (!stored) return undefined;
  if (stored instanceof Blob) return stored;
  if (typeof stored.base64 !== 'string') return undefined;
  const binary = atob(stored.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: stored.type });
}

function missingFile(): Error {
  // NOT_FOUND: permanent, so the entry fails (Retry/Remove) instead of retrying for ever.
  return Object.assign(new Error('The file is no longer on this device. Remove this message and attach the file again.'), { data: { code: 'NOT_FOUND' } });
}

/** Image types a browser previews from a local copy. */
export function isPreviewableImage(mimeType: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/i.test(mimeType);
}

/**
 * The files of sends waiting in the outbox: kept durably beside the outbox (IndexedDB in the
 * browser) so an upload made offline survives a reload, uploaded with progress and cancel, and
 * shown at once from a local copy (`previewUrl`). Also where a workspace's media are (`url`,
 * `thumbUrl`).
 */
export class UploadStore implements OutboxUploads {
  readonly maxBytes: number;
  readonly #opts: UploadStoreOptions;
  readonly #emitter = new Emitter();
  readonly #files = new Map<string, Blob>();
  readonly #progress = new Map<string, UploadProgress>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #previews = new Map<string, string>();
  readonly #loading = new Set<string>();
  readonly #discarded = new Set<string>();
  #saving: Promise<void> = Promise.resolve();

  constructor(options: UploadStoreOptions) {
    this.#opts = options;
    this.maxBytes = options.maxBytes ?? MEDIA_MAX_BYTES_DEFAULT;
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** The upload of this file under way, or undefined. */
  getProgress(mediaId: string): UploadProgress | undefined {
    return this.#progress.get(mediaId);
  }

  /** The full file, as the server serves it (images inline, everything else as a download). */
  url(partitionId: string, mediaId: string): string {
    return new URL(mediaPath(partitionId, mediaId), this.#opts.baseUrl).toString();
  }

  /** The server's thumbnail of an image (`hasThumb`). */
  thumbUrl(partitionId: string, mediaId: string): string {
    return `${this.url(partitionId, mediaId)}/thumb`;
  }

  /**
   * A local URL of a waiting image (an object URL), so it shows before it is uploaded; null for
   * other files, where there is no object URL support, or while the copy is read from storage
   * (subscribers are told when it is ready).
   */
  previewUrl(mediaId: string, mimeType: string): string | null {
    const objectUrls = this.#opts.objectUrls;
    if (!objectUrls || !isPreviewableImage(mimeType)) return null;
    const existing = this.#previews.get(mediaId);
    if (existing) return existing;
    const file = this.#files.get(mediaId);
    if (file) {
      const url = objectUrls.create(file);
      this.#previews.set(mediaId, url);
      return url;
    }
    if (!this.#loading.has(mediaId)) {
      this.#loading.add(mediaId);
      void this.#read(mediaId)
        .then((found) => {
          if (found && !this.#discarded.has(mediaId)) this.#emitter.emit();
        })
        .finally(() => this.#loading.delete(mediaId));
    }
    return null;
  }

  keep(mediaId: string, file: Blob): void {
    this.#discarded.delete(mediaId);
    this.#files.set(mediaId, file);
    const keepsBlobs = this.#opts.storage.keepsBlobs === true;
    this.#saving = this.#saving
      .then(async () => {
        if (!this.#discarded.has(mediaId)) await this.#opts.storage.set(KEY_PREFIX + mediaId, await encode(file, keepsBlobs));
      })
      .catch((error: unknown) => this.#opts.onStorageError?.(error));
  }

  async upload(target: { partitionId: string; roomId: string; attachment: PendingAttachment }): Promise<AttachmentDto> {
    const { mediaId, filename } = target.attachment;
    const file = await this.#read(mediaId);
    if (!file) throw missingFile();
    const controller = new AbortController();
    this.#controllers.get(mediaId)?.abort();
    this.#controllers.set(mediaId, controller);
    this.#setProgress(mediaId, { loaded: 0, total: file.size });
    try {
      return await uploadMedia({
        baseUrl: this.#opts.baseUrl,
        transport: this.#opts.transport,
        token: this.#opts.token?.(),
        partitionId: target.partitionId,
        roomId: target.roomId,
        mediaId,
        file,
        filename,
        signal: controller.signal,
        onProgress: (loaded, total) => {
          if (this.#controllers.get(mediaId) === controller) this.#setProgress(mediaId, { loaded, total });
        },
      });
    } finally {
      if (this.#controllers.get(mediaId) === controller) {
        this.#controllers.delete(mediaId);
        this.#setProgress(mediaId, undefined);
      }
    }
  }

  abort(mediaId: string): void {
    this.#controllers.get(mediaId)?.abort();
  }

  discard(mediaId: string): void {
    this.abort(mediaId);
    this.#discarded.add(mediaId);
    this.#files.delete(mediaId);
    const preview = this.#previews.get(mediaId);
    if (preview) {
      this.#previews.delete(mediaId);
      this.#opts.objectUrls?.revoke(preview);
    }
    this.#saving = this.#saving.then(() => this.#opts.storage.delete(KEY_PREFIX + mediaId)).catch((error: unknown) => this.#opts.onStorageError?.(error));
    this.#emitter.emit();
  }

  /** Resolves when every file kept or discarded so far is in storage (or gone from it). */
  async saved(): Promise<void> {
    await this.#saving;
  }

  close(): void {
    for (const controller of this.#controllers.values()) controller.abort();
    for (const url of this.#previews.values()) this.#opts.objectUrls?.revoke(url);
    this.#previews.clear();
  }

  async #read(mediaId: string): Promise<Blob | undefined> {
    const inMemory = this.#files.get(mediaId);
    if (inMemory) return inMemory;
    // A write still queued must land first (a send right after `keep`).
    await this.#saving;
    try {
      const file = decode(await this.#opts.storage.get<StoredFile>(KEY_PREFIX + mediaId));
      if (file && !this.#discarded.has(mediaId)) this.#files.set(mediaId, file);
      return file;
    } catch (error) {
      this.#opts.onStorageError?.(error);
      return undefined;
    }
  }

  #setProgress(mediaId: string, progress: UploadProgress | undefined): void {
    if (progress) this.#progress.set(mediaId, progress);
    else this.#progress.delete(mediaId);
    this.#emitter.emit();
  }
}
