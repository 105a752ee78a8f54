import { uuidv7 } from 'uuidv7';
import type { MessageDto } from '@parley/api';
import { classifySendError, retryAfterMs, type ParleyApi } from './api.ts';
import { reconnectDelayMs } from './backoff.ts';
import { Emitter } from './emitter.ts';
import type { ClientStorage } from './storage.ts';

/** Mirrors the server's limit (`MESSAGE_MAX_CHARS`); the server checks again. */
export const MESSAGE_MAX_CHARS = 4000;
/** Refusals for sending too fast that are waited out before a message is marked FAILED. */
export const MAX_RATE_LIMITED_ATTEMPTS = 5;
const STORAGE_KEY = 'outbox';

export type OutboxStatus = 'queued' | 'sending' | 'failed';

export interface OutboxEntry {
  readonly clientId: string;
  readonly partitionId: string;
  readonly roomId: string;
  readonly body: string;
  readonly createdAt: string;
  readonly author: { readonly id: string; readonly name: string } | null;
  readonly status: OutboxStatus;
  /** Why it failed, for people. */
  readonly error: string | null;
  readonly rateLimited: number;
  /** After a rate limit: when the server said to try again (ISO-8601); null otherwise. */
  readonly retryAt?: string | null;
}

export interface SendOptions {
  partitionId: string;
  roomId: string;
  body: string;
  author?: { id: string; name: string } | null | undefined;
}

export interface OutboxOptions {
  api: ParleyApi;
  storage: ClientStorage;
  /** False while the platform says it is offline: nothing is attempted then. */
  canSend?: (() => boolean) | undefined;
  /** Called with the server's copy before the entry leaves the outbox (no flicker). */
  onSent?: ((message: MessageDto) => void) | undefined;
  random?: (() => number) | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
}

export class OutboxError extends Error {
  override name = 'OutboxError';
}

/** Trims and checks a message body the way the server will. */
export function checkBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) throw new OutboxError('A message cannot be empty.');
  if (trimmed.length > MESSAGE_MAX_CHARS) throw new OutboxError(`A message has at most ${MESSAGE_MAX_CHARS} characters.`);
  return trimmed;
}

/**
 * The durable send queue. Every send goes through it, online or not: the entry is written to
 * storage, then sent in order, one at a time, with its clientId, so a retry after a lost reply,
 * a reload or a crash posts it at most once. Network failures wait (backoff, or the next
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

  /** Queues a message and starts sending. Throws `OutboxError` for an empty or too long body. */
  send(options: SendOptions): OutboxEntry {
    const entry: OutboxEntry = {
      clientId: uuidv7(),
      partitionId: options.partitionId,
      roomId: options.roomId,
      body: checkBody(options.body),
      createdAt: new Date().toISOString(),
      author: options.author ?? null,
      status: 'queued',
      error: null,
      rateLimited: 0,
    };
    this.#set([...this.#entries, entry]);
    void this.flush();
    return entry;
  }

  /** Changes a message that has not left yet. */
  edit(clientId: string, body: string): void {
    this.#waiting(clientId);
    const checked = checkBody(body);
    this.#patch(clientId, { body: checked });
  }

  /** Takes back a message that has not left yet. */
  cancel(clientId: string): void {
    this.#waiting(clientId);
    this.#set(this.#entries.filter((e) => e.clientId !== clientId));
  }

  /** Sends a failed message again, after the ones already waiting, with the same clientId. */
  retry(clientId: string): void {
    const entry = this.#entries.find((e) => e.clientId === clientId);
    if (!entry || entry.status !== 'failed') return;
    this.#set([
      ...this.#entries.filter((e) => e.clientId !== clientId),
      { ...entry, status: 'queued', error: null, rateLimited: 0 },
    ]);
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
      try {
        const message = await this.#opts.api.send({
          partitionId: entry.partitionId,
          roomId: entry.roomId,
          clientId: entry.clientId,
          body: this.#current(entry.clientId)?.body ?? entry.body,
        });
        // Closed while it was on its way: writing now would replace the queue a new outbox on
        // the same storage keeps. The stored copy is resent later with the same clientId, and
        // the server answers it with this very message.
        if (this.#closed) return;
        this.#transientFailures = 0;
        this.#unauthorized = false;
        this.#opts.onSent?.(message);
        this.#set(this.#entries.filter((e) => e.clientId !== entry.clientId));
      } catch (error) {
        if (this.#closed) return;
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

  #wakeIn(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = setTimeout(() => void this.flush(), ms);
  }

  #waiting(clientId: string): void {
    const entry = this.#current(clientId);
    if (!entry) throw new OutboxError('That message is no longer waiting to be sent.');
    if (entry.status === 'sending') throw new OutboxError('That message is already on its way.');
  }

  #current(clientId: string): OutboxEntry | undefined {
    return this.#entries.find((e) => e.clientId === clientId);
  }

  #patch(clientId: string, patch: Partial<OutboxEntry>): void {
    this.#set(this.#entries.map((e) => (e.clientId === clientId ? { ...e, ...patch } : e)));
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
    this.#saving = this.#saving
      .then(() => this.#opts.storage.set(STORAGE_KEY, stored))
      .catch((error: unknown) => this.#opts.onStorageError?.(error));
  }

  async #load(): Promise<void> {
    try {
      const stored = (await this.#opts.storage.get<OutboxEntry[]>(STORAGE_KEY)) ?? [];
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
  return error instanceof Error && error.message ? error.message : 'The server refused this message.';
}
