import { uuidv7 } from 'uuidv7';
import type { MessageDto } from '@parley/api';
import { classifySendError, retryAfterMs, type ParleyApi } from './api.ts';
import { reconnectDelayMs } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { isReactionEmoji, isUserOp, type OutboxOp } from './ops.ts';
import type { ClientStorage } from './storage.ts';
import type { OutboxUploads, PendingAttachment } from './upload-store.ts';
import { MEDIA_FILENAME_MAX_CHARS, MESSAGE_MAX_CHARS, mediaSizeRefusal } from '@parley/rules';

/** The server's limit (`@parley/rules`); the server checks again. */
export { MESSAGE_MAX_CHARS };
/** Refusals for sending too fast that are waited out before a message is marked FAILED. */
export const MAX_RATE_LIMITED_ATTEMPTS = 5;
const STORAGE_KEY = 'outbox';

export type OutboxStatus = 'queued' | 'sending' | 'failed';

interface EntryBase {
  /** The entry's id: a send's `clientId`, an op's `opId` (both UUIDv7, made when queued). */
  readonly clientId: string;
  readonly createdAt: string;
  readonly status: OutboxStatus;
  /** Why it failed, for people. */
  readonly error: string | null;
  readonly rateLimited: number;
  /** After a rate limit: when the server said to try again (ISO-8601); null otherwise. */
  readonly retryAt?: string | null;
}

/** A message waiting to be sent. */
export interface SendEntry extends EntryBase {
  /** Entries stored before ops existed have no kind: they are sends. */
  readonly kind: 'send';
  readonly partitionId: string;
  readonly roomId: string;
  readonly body: string;
  readonly author: { readonly id: string; readonly name: string } | null;
  /** The id of the message this one answers. */
  readonly replyTo: string | null;
  /** A file that goes with it: uploaded first (same mediaId on every try), then the message. */
  readonly attachment?: PendingAttachment | null;
}

/** A change waiting to be made (an edit, a deletion, a reaction, a pin, a dismissal, a block). */
export interface OpEntry extends EntryBase {
  readonly kind: 'op';
  /** The same as `clientId`: repeating the op with it applies it once. */
  readonly opId: string;
  /** Null for user-wide ops (`user.block`, `user.unblock`). */
  readonly partitionId: string | null;
  /** The room of the message it changes, when the client knew it (the view shows the op there). */
  readonly roomId: string | null;
  readonly op: OutboxOp;
  /** Who made it (for the optimistic view of reactions and pins); null when the client was not told. */
  readonly actorId: string | null;
}

export type OutboxEntry = SendEntry | OpEntry;

export interface SendOptions {
  partitionId: string;
  roomId: string;
  body: string;
  author?: { id: string; name: string } | null | undefined;
  /** The id of a message of the same room this one answers. */
  replyTo?: string | null | undefined;
  /** A file to send with it (the body may then be empty); `filename` defaults to the File's name. */
  attachment?: { file: Blob; filename?: string | undefined } | null | undefined;
}

export interface ActOptions {
  /** Null only for `user.block` / `user.unblock`. */
  partitionId: string | null;
  op: OutboxOp;
  roomId?: string | null | undefined;
  actorId?: string | null | undefined;
}

export interface OutboxOptions {
  api: ParleyApi;
  storage: ClientStorage;
  /** False while the platform says it is offline: nothing is attempted then. */
  canSend?: (() => boolean) | undefined;
  /** Called with the server's copy before the entry leaves the outbox (no flicker). */
  onSent?: ((message: MessageDto) => void) | undefined;
  /** Called with the server's answer to an op before the entry leaves the outbox. */
  onOpDone?: ((entry: OpEntry, result: unknown) => void) | undefined;
  random?: (() => number) | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
  /** Where the files of sends are kept and uploaded; without it, sends cannot carry files. */
  uploads?: OutboxUploads | undefined;
}

export class OutboxError extends Error {
  override name = 'OutboxError';
}

/** A message with a file may have no text. */
function checkCaption(body: string): string {
  const trimmed = body.trim();
  if (trimmed.length > MESSAGE_MAX_CHARS) throw new OutboxError(`A message has at most ${MESSAGE_MAX_CHARS} characters.`);
  return trimmed;
}

/** Trims and checks a message body the way the server will. */
export function checkBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) throw new OutboxError('A message cannot be empty.');
  if (trimmed.length > MESSAGE_MAX_CHARS) throw new OutboxError(`A message has at most ${MESSAGE_MAX_CHARS} characters.`);
  return trimmed;
}

/**
 * Checks an op the way the server will where the client can tell (an empty or too long edit, a
 * reaction that is not one emoji). The 5-minute edit window is the server's to judge: its clock
 * decides, and an edit that arrives late fails with the server's reason.
 *
 * @example
 * ```ts
 * checkOp({ type: 'message.edit', messageId, body: ' fixed ' }, 'acme'); // body 'fixed'
 * ```
 */
export function checkOp(op: OutboxOp, partitionId: string | null): OutboxOp {
  if (!isUserOp(op) && !partitionId) throw new OutboxError(`${op.type} needs a workspace.`);
  switch (op.type) {
    case 'message.edit':
      return { ...op, body: checkBody(op.body) };
    case 'reaction.add':
    case 'reaction.remove':
      if (!isReactionEmoji(op.emoji)) throw new OutboxError('A reaction is one emoji, such as 👍.');
      return op;
    default:
      return op;
  }
}

/**
 * A read mark waiting (or failed) for the same room as a newer one: only the newest position
 * matters, so the older one is dropped rather than sent (one that is on its way is left alone;
 * the server never moves a position back, whichever arrives first).
 */
function isReplacedBy(old: OutboxEntry, next: OpEntry): boolean {
  return (
    next.op.type === 'read.mark' &&
    old.kind === 'op' &&
    old.status !== 'sending' &&
    old.op.type === 'read.mark' &&
    old.partitionId === next.partitionId &&
    old.op.roomId === next.op.roomId
  );
}

/** Stored entries from before ops existed are sends without `kind` and `replyTo`. */
function normalize(stored: unknown): OutboxEntry | null {
  if (!stored || typeof stored !== 'object' || !('clientId' in stored)) return null;
  const e = stored as Partial<OutboxEntry> & { clientId: string };
  if (e.kind === 'op') return e as OpEntry;
  return { ...(e as SendEntry), kind: 'send', replyTo: (e as Partial<SendEntry>).replyTo ?? null };
}

/**
 * The durable send queue. Every send and every op (edit, delete, reaction, pin, dismissal,
 * block) goes through it, online or not: the entry is written to storage, then sent in order,
 * one at a time, with its clientId (an op's opId), so a retry after a lost reply, a reload or a
 * crash applies it at most once. Network failures wait (backoff, or the next
 * `flush()` when the connection comes back); refusals mark the entry `failed` with the
 * server's reason, kept until retried or cancelled; rate limits are waited out a few times.
 */
export class Outbox {
  readonly ready: Promise<void>;
  readonly #opts: OutboxOptions;
  readonly #emitter = new Emitter();
  #entries: readonly OutboxEntry[] = [];
  #running = false;
  #again = false;
  #closed = false;
  #unauthorized = false;
  #transientFailures = 0;
  /** Epoch ms before which nothing is sent: the server's `retryAfterMs` after a rate limit. */
  #notBefore = 0;
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #saving: Promise<void> = Promise.resolve();
  #loaded = false;

  constructor(options: OutboxOptions) {
    this.#opts = options;
    this.ready = this.#load();
  }

  getSnapshot = (): readonly OutboxEntry[] => this.#entries;

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** True after the server said the session is gone: entries wait for a new sign-in. */
  get blockedBySession(): boolean {
    return this.#unauthorized;
  }

  /**
   * Queues a message (with its file, if any) and starts sending. Throws `OutboxError` for an
   * empty or too long body, or a file over the server's limit.
   */
  send(options: SendOptions): OutboxEntry {
    const attachment = this.#attach(options.attachment);
    const entry: SendEntry = {
      kind: 'send',
      clientId: uuidv7(),
      partitionId: options.partitionId,
      roomId: options.roomId,
      body: attachment ? checkCaption(options.body) : checkBody(options.body),
      ...(attachment ? { attachment } : {}),
      createdAt: new Date().toISOString(),
      author: options.author ?? null,
      replyTo: options.replyTo ?? null,
      status: 'queued',
      error: null,
      rateLimited: 0,
    };
    this.#set([...this.#entries, entry]);
    void this.flush();
    return entry;
  }

  /**
   * Queues an op after everything already waiting, with a new opId, and starts sending. Throws
   * `OutboxError` for an empty or too long edit or a reaction that is not one emoji.
   */
  act(options: ActOptions): OpEntry {
    const opId = uuidv7();
    const entry: OpEntry = {
      kind: 'op',
      clientId: opId,
      opId,
      partitionId: options.partitionId,
      roomId: options.roomId ?? null,
      op: checkOp(options.op, options.partitionId),
      actorId: options.actorId ?? null,
      createdAt: new Date().toISOString(),
      status: 'queued',
      error: null,
      rateLimited: 0,
    };
    this.#set([...this.#entries.filter((e) => !isReplacedBy(e, entry)), entry]);
    void this.flush();
    return entry;
  }

  /** Changes a message (or the text of an edit) that has not left yet. */
  edit(clientId: string, body: string): void {
    const entry = this.#waiting(clientId);
    const checked = entry.kind === 'send' && entry.attachment ? checkCaption(body) : checkBody(body);
    if (entry.kind === 'send') this.#patch(clientId, { body: checked });
    else if (entry.op.type === 'message.edit') this.#patch(clientId, { op: { ...entry.op, body: checked } });
    else throw new OutboxError('Only a message or an edit has a text to change.');
  }

  /**
   * Takes back an entry that has not left yet, or dismisses a failed one. A file still uploading
   * is stopped; once uploaded, only its message is left to send and that is on its way.
   */
  cancel(clientId: string): void {
    const current = this.#current(clientId);
    const uploading = current?.kind === 'send' && current.status === 'sending' && current.attachment && !current.attachment.uploaded;
    if (!uploading) this.#waiting(clientId);
    this.#set(this.#entries.filter((e) => e.clientId !== clientId));
    if (current?.kind === 'send' && current.attachment) this.#opts.uploads?.discard(current.attachment.mediaId);
  }

  /** Sends a failed message again, after the ones already waiting, with the same clientId. */
  retry(clientId: string): void {
    const entry = this.#entries.find((e) => e.clientId === clientId);
    if (!entry || entry.status !== 'failed') return;
    this.#set([...this.#entries.filter((e) => e.clientId !== clientId), { ...entry, status: 'queued', error: null, rateLimited: 0 }]);
    void this.flush();
  }

  /** Sends what is queued, in order. Called on every send and whenever the connection returns. */
  async flush(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    try {
      await this.ready;
      do {
        this.#again = false;
        await this.#drain();
      } while (this.#again && !this.#closed);
    } finally {
      this.#running = false;
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#wakeTimer);
  }

  /** Resolves when everything written so far is in storage. */
  async saved(): Promise<void> {
    await this.#saving;
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#closed || this.#opts.canSend?.() === false) return;
      const entry = this.#entries.find((e) => e.status === 'queued');
      if (!entry) return;
      // A new send (or a reconnect) must not cut a rate limit short: each early attempt would
      // only be refused again and count towards MAX_RATE_LIMITED_ATTEMPTS.
      const wait = this.#notBefore - Date.now();
      if (wait > 0) {
        this.#wakeIn(wait);
        return;
      }
      this.#patch(entry.clientId, { status: 'sending', retryAt: null });
      // The entry is durable before it leaves: a crash now means a resend, never a loss.
      await this.#saving;
      // Closed meanwhile: the stored copy (queued) is sent by whoever owns the storage now.
      if (this.#closed) return;
      // An edit made while the entry waited for its turn is what goes.
      const current = this.#current(entry.clientId) ?? entry;
      try {
        if (current.kind === 'send') {
          const mediaId = await this.#upload(current);
          // Cancelled while its file went up (the upload was aborted, or finished just before).
          if (this.#closed) return;
          if (!this.#current(entry.clientId)) continue;
          const message = await this.#opts.api.send({
            partitionId: current.partitionId,
            roomId: current.roomId,
            clientId: current.clientId,
            body: current.body,
            ...(current.replyTo ? { replyTo: current.replyTo } : {}),
            ...(mediaId ? { mediaId } : {}),
          });
          // Closed while it was on its way: writing now would replace the queue a new outbox on
          // the same storage keeps. The stored copy is resent later with the same clientId, and
          // the server answers it with this very message.
          if (this.#closed) return;
          this.#opts.onSent?.(message);
        } else {
          const result = await this.#opts.api.act({ partitionId: current.partitionId, opId: current.opId, op: current.op });
          // As for sends: the stored copy is sent again later with the same opId, and applied once.
          if (this.#closed) return;
          this.#opts.onOpDone?.(current, result);
        }
        this.#transientFailures = 0;
        this.#unauthorized = false;
        this.#set(this.#entries.filter((e) => e.clientId !== entry.clientId));
        if (current.kind === 'send' && current.attachment) this.#opts.uploads?.discard(current.attachment.mediaId);
      } catch (error) {
        if (this.#closed) return;
        if (!this.#current(entry.clientId)) continue;
        const kind = classifySendError(error);
        if (kind === 'permanent') {
          this.#patch(entry.clientId, { status: 'failed', error: describe(error) });
          continue;
        }
        if (kind === 'rate-limited') {
          const rateLimited = (this.#current(entry.clientId)?.rateLimited ?? 0) + 1;
          if (rateLimited >= MAX_RATE_LIMITED_ATTEMPTS) {
            this.#patch(entry.clientId, { status: 'failed', rateLimited, error: 'Not sent: you are sending too fast. Wait a moment, then retry.' });
            continue;
          }
          const waitMs = retryAfterMs(error) ?? 1000;
          this.#notBefore = Date.now() + waitMs;
          this.#patch(entry.clientId, { status: 'queued', rateLimited, retryAt: new Date(this.#notBefore).toISOString() });
          this.#wakeIn(waitMs);
          return;
        }
        this.#patch(entry.clientId, { status: 'queued' });
        if (kind === 'unauthorized') {
          // Kept for the next session of this user (the storage is theirs).
          this.#unauthorized = true;
          this.#emitter.emit();
          return;
        }
        this.#wakeIn(reconnectDelayMs(Math.min(this.#transientFailures++, 5), this.#opts.random));
        return;
      }
    }
  }

  /** Checks a file against the limit and keeps it until its message is sent. */
  #attach(attachment: SendOptions['attachment']): PendingAttachment | null {
    if (!attachment) return null;
    const uploads = this.#opts.uploads;
    if (!uploads) throw new OutboxError('This client cannot send files.');
    const refusal = mediaSizeRefusal(attachment.file.size, uploads.maxBytes);
    if (refusal) throw new OutboxError(refusal);
    const named = (attachment.file as Blob & { name?: unknown }).name;
    const filename = (attachment.filename ?? (typeof named === 'string' ? named : '')).trim().slice(0, MEDIA_FILENAME_MAX_CHARS) || 'file';
    const pending: PendingAttachment = {
      mediaId: uuidv7(),
      filename,
      mimeType: attachment.file.type || 'application/octet-stream',
      sizeBytes: attachment.file.size,
      uploaded: null,
    };
    uploads.keep(pending.mediaId, attachment.file);
    return pending;
  }

  /** Uploads a send's file unless it already went (its mediaId, or null without a file). */
  async #upload(entry: SendEntry): Promise<string | null> {
    const attachment = entry.attachment;
    if (!attachment) return null;
    if (attachment.uploaded) return attachment.mediaId;
    const uploads = this.#opts.uploads;
    if (!uploads) throw Object.assign(new OutboxError('This client cannot send files.'), { data: { code: 'BAD_REQUEST' } });
    const uploaded = await uploads.upload({ partitionId: entry.partitionId, roomId: entry.roomId, attachment });
    const now = this.#current(entry.clientId);
    // Remembered (and stored) so that a retry of the message does not upload the file again.
    if (now?.kind === 'send' && now.attachment) this.#patch(entry.clientId, { attachment: { ...now.attachment, uploaded } });
    return attachment.mediaId;
  }

  #wakeIn(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = setTimeout(() => void this.flush(), ms);
  }

  #waiting(clientId: string): OutboxEntry {
    const entry = this.#current(clientId);
    if (!entry) throw new OutboxError('That message is no longer waiting to be sent.');
    if (entry.status === 'sending') throw new OutboxError('That message is already on its way.');
    return entry;
  }

  #current(clientId: string): OutboxEntry | undefined {
    return this.#entries.find((e) => e.clientId === clientId);
  }

  #patch(clientId: string, patch: Partial<SendEntry> | Partial<OpEntry>): void {
    this.#set(this.#entries.map((e) => (e.clientId === clientId ? ({ ...e, ...patch } as OutboxEntry) : e)));
  }

  #set(entries: readonly OutboxEntry[]): void {
    this.#entries = entries;
    this.#emitter.emit();
    // Until the stored queue is read, writing would replace it.
    if (this.#loaded) this.#save();
  }

  #save(): void {
    if (this.#closed) return;
    const entries = this.#entries;
    // "sending" is a state of this process only: after a restart it is queued again.
    const stored = entries.map((e) => (e.status === 'sending' ? { ...e, status: 'queued' as const } : e));
    this.#saving = this.#saving.then(() => this.#opts.storage.set(STORAGE_KEY, stored)).catch((error: unknown) => this.#opts.onStorageError?.(error));
  }

  async #load(): Promise<void> {
    try {
      const raw = (await this.#opts.storage.get<unknown[]>(STORAGE_KEY)) ?? [];
      const stored = (Array.isArray(raw) ? raw : []).map(normalize).filter((e): e is OutboxEntry => e !== null);
      // Sends made before the load finished go after the stored ones.
      const known = new Set(stored.map((e) => e.clientId));
      this.#entries = [...stored, ...this.#entries.filter((e) => !known.has(e.clientId))];
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
    this.#loaded = true;
    this.#save();
    this.#emitter.emit();
  }
}

function describe(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'The server refused this.';
}
