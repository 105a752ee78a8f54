import type { NoteDto, NoteLockInfo, ParleyEvent } from '@parley/api';
import { NOTE_LOCK_RENEW_MS } from '@parley/rules';
import { uuidv7 } from 'uuidv7';
import { errorCode } from './api.ts';
import { Emitter } from './emitter.ts';
import type { NoteDrafts } from './note-drafts.ts';
import { networkRetryDelayMs, renewDelayMs, TYPING_RENEW_MS } from './note-lock-schedule.ts';
import { lockHolderOf, type NotesApi } from './notes-api.ts';

/**
 * `idle`: not editing (or refused: `lockedBy` says who holds it); `locking`: asking for the lock;
 * `held`: this editor holds it (renewed by itself); `lost`: a renewal or save was refused
 * (PRECONDITION_FAILED: expired and taken, force-unlocked, re-locked elsewhere) and the unsaved
 * text is kept in `draft`; `offline-draft`: editing without the server, into a durable draft.
 */
export type NoteEditorStatus = 'idle' | 'locking' | 'held' | 'lost' | 'offline-draft';

export interface NoteText {
  title: string;
  body: string;
}

/** Both texts when the note changed since the draft's base version: `resolve('mine' | 'theirs')`. */
export interface NoteConflict {
  theirs: NoteText & { version: number };
  yours: NoteText & { baseVersion: number };
}

export interface NoteEditorState {
  status: NoteEditorStatus;
  /** The note as last read or saved (the text a draft is compared with); null until read. */
  note: NoteDto | null;
  /** While `held`: the lock's expiry (ISO-8601, database clock). */
  expiresAt: string | null;
  /** Who holds the lock instead of us: after a refused `acquire()` (CONFLICT) or a lock lost to someone. */
  lockedBy: NoteLockInfo | null;
  /** Typed and not saved (kept durably), with the version it was edited from; null: nothing unsaved. */
  draft: (NoteText & { baseVersion: number }) | null;
  conflict: NoteConflict | null;
  saving: boolean;
  /** The last refusal or failure, in the server's words. */
  error: string | null;
}

/** Whether the server can be reached, and when that changes (the client's connection). */
export interface Connectivity {
  isOnline(): boolean;
  /** Called when the network or the connection comes back. */
  onOnline(listener: () => void): () => void;
}

/** A page being hidden and shown again (browsers: `visibilitychange` and `pagehide`). */
export interface PageLifecycle {
  onHide(listener: () => void): () => void;
  onShow(listener: () => void): () => void;
}

/** The slice of the notes store an editor uses (the cached copy offline, the saved notes back in). */
export interface NoteCache {
  getNote(partitionId: string, noteId: string): (Omit<NoteDto, 'body'> & { body: string | null }) | null;
  loadNote(partitionId: string, noteId: string): Promise<NoteDto>;
  put(partitionId: string, note: NoteDto): void;
  subscribe(listener: () => void): () => void;
}

export interface NoteEditorOptions {
  api: NotesApi;
  partitionId: string;
  noteId: string;
  drafts: NoteDrafts;
  /** Reads the cached note (offline) and takes the saved ones. */
  notes?: NoteCache | undefined;
  /** The partition's events: an unlock or a lock by someone else makes the editor check its lock at once. */
  events?: ((listener: (event: ParleyEvent) => void) => () => void) | undefined;
  connectivity?: Connectivity | undefined;
  /** Default: the browser's page events when there is a `document`; null: none. */
  page?: PageLifecycle | null | undefined;
  /** Seed 001: 2 minutes; never later than half the time left to `expiresAt` anyway. */
  renewEveryMs?: number | undefined;
  /** Typing renews the lock at most this often (default 30 s). */
  typingRenewMs?: number | undefined;
  /** The database clock as seen here (default `Date.now`): the client's clock should be within a fraction of the lock's length. */
  now?: (() => number) | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
}

/** An editor that holds nothing and was never asked to (also what a hook shows before its editor exists). */
export const IDLE_NOTE_EDITOR: NoteEditorState = Object.freeze({
  status: 'idle',
  note: null,
  expiresAt: null,
  lockedBy: null,
  draft: null,
  conflict: null,
  saving: false,
  error: null,
});

/** A network failure: no answer, no code. A refusal always has a code. */
const isNetworkFailure = (error: unknown) => errorCode(error) === undefined;
const messageOf = (error: unknown) => (error instanceof Error && error.message ? error.message : String(error));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The browser's page events, or null outside a browser. */
export function browserPageLifecycle(): PageLifecycle | null {
  // Typed by what is used: programs built without the DOM library compile this file too.
  type Target = { addEventListener(type: string, listener: () => void): void; removeEventListener(type: string, listener: () => void): void };
  const doc = (globalThis as { document?: Target & { visibilityState?: string } }).document;
  const win = (globalThis as { window?: Target }).window;
  if (!doc?.addEventListener || !win?.addEventListener) return null;
  return {
    onHide(listener) {
      const onVisibility = () => doc.visibilityState === 'hidden' && listener();
      doc.addEventListener('visibilitychange', onVisibility);
      win.addEventListener('pagehide', listener);
      return () => {
        doc.removeEventListener('visibilitychange', onVisibility);
        win.removeEventListener('pagehide', listener);
      };
    },
    onShow(listener) {
      const onVisibility = () => doc.visibilityState === 'visible' && listener();
      doc.addEventListener('visibilitychange', onVisibility);
      win.addEventListener('pageshow', listener);
      return () => {
        doc.removeEventListener('visibilitychange', onVisibility);
        win.removeEventListener('pageshow', listener);
      };
    },
  };
}

/**
 * The lock helper of one note (seed 001): `acquire()` takes the note's database lock and keeps
 * it (renewed every 2 minutes, never later than half the time left, and on typing), `save()`
 * writes under it with the fencing token, `release()` ends it (also on `dispose()` and when the
 * page is hidden; shown again, it takes the lock again). A refused renewal or save makes it
 * `lost`, with the unsaved text kept in `draft` (copy it, or `acquire()` again: the text is
 * saved when the note did not change meanwhile, else `conflict` shows both). Text typed with no
 * server (`offline-draft`) is kept in durable storage; when the server is back, the editor takes
 * the lock and saves it the same way. Nothing typed is dropped without `cancel()` or
 * `resolve('theirs')`.
 *
 * @example
 * ```ts
 * const editor = client.notes.editor('acme', noteId);
 * editor.subscribe(() => render(editor.getSnapshot()));
 * if (await editor.acquire()) editor.edit(title, body);
 * await editor.save();
 * editor.dispose();
 * ```
 */
export class NoteEditor {
  readonly partitionId: string;
  readonly noteId: string;
  readonly #opts: NoteEditorOptions;
  readonly #emitter = new Emitter();
  readonly #now: () => number;
  readonly #offs: (() => void)[] = [];
  #state: NoteEditorState = IDLE_NOTE_EDITOR;
  #token: number | null = null;
  #deadline = 0;
  #lastRenewAt = 0;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #draftTimer: ReturnType<typeof setTimeout> | undefined;
  /** The user asked to edit: re-take the lock when the server or the page comes back. */
  #wanted = false;
  #resumeOnShow = false;
  #pendingSave = false;
  #disposed = false;
  #chain: Promise<unknown> = Promise.resolve();
  #acquiring: Promise<boolean> | null = null;
  readonly ready: Promise<void>;

  constructor(opts: NoteEditorOptions) {
    this.#opts = opts;
    this.partitionId = opts.partitionId;
    this.noteId = opts.noteId;
    this.#now = opts.now ?? Date.now;
    const cached = opts.notes?.getNote(opts.partitionId, opts.noteId);
    if (cached && cached.body !== null) this.#state = { ...IDLE_NOTE_EDITOR, note: { ...cached, body: cached.body } };
    const page = opts.page === undefined ? browserPageLifecycle() : opts.page;
    if (page) {
      this.#offs.push(
        page.onHide(() => {
          if (this.#token === null && this.#state.status !== 'locking') return;
          this.#resumeOnShow = true;
          void this.release({ keepWanted: true });
        }),
        page.onShow(() => {
          if (!this.#resumeOnShow) return;
          this.#resumeOnShow = false;
          void this.acquire();
        }),
      );
    }
    if (opts.connectivity) this.#offs.push(opts.connectivity.onOnline(() => this.#onOnline()));
    if (opts.events) this.#offs.push(opts.events((event) => this.#onEvent(event)));
    if (opts.notes) this.#offs.push(opts.notes.subscribe(() => this.#onStore()));
    this.ready = this.#restore();
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);
  getSnapshot = (): NoteEditorState => this.#state;

  /**
   * Takes the lock (true when held). Refused → `idle` with `lockedBy`; no server → `offline-draft`
   * (retried when it is back). Held with a draft: saved at once when the note is still at the
   * draft's base version, else `conflict`.
   */
  acquire(): Promise<boolean> {
    if (this.#disposed) return Promise.resolve(false);
    this.#wanted = true;
    if (this.#token !== null) return Promise.resolve(true);
    this.#acquiring ??= this.#serial(() => this.#acquire()).finally(() => (this.#acquiring = null));
    return this.#acquiring;
  }

  /** Each keystroke: the text is kept (durably, after 250 ms), and typing renews a held lock (throttled). */
  edit(title: string, body: string): void {
    if (this.#disposed) return;
    const base = this.#state.note;
    const baseVersion = this.#state.draft?.baseVersion ?? base?.version ?? 0;
    const unchanged = base !== null && base.title === title && base.body === body && baseVersion === base.version;
    const draft = unchanged ? null : { title, body, baseVersion };
    const conflict = this.#state.conflict && draft ? { ...this.#state.conflict, yours: draft } : this.#state.conflict;
    const status = this.#state.status === 'idle' && !this.#online() ? 'offline-draft' : this.#state.status;
    this.#set({ draft, conflict, status });
    this.#scheduleDraftWrite();
    if (this.#token !== null && this.#now() - this.#lastRenewAt >= (this.#opts.typingRenewMs ?? TYPING_RENEW_MS)) void this.#renewNow();
  }

  /**
   * Saves the draft (or the given text) under the lock as a new version. Not held: takes the lock
   * first (a lost lock's text is saved only if the note did not change meanwhile). No server:
   * the draft stays (durable) and is saved when the server is back. True when saved.
   */
  async save(text?: NoteText): Promise<boolean> {
    if (text) this.edit(text.title, text.body);
    if (this.#disposed || this.#state.conflict) return false;
    if (this.#token === null) return this.acquire().then((held) => held && this.#state.draft === null);
    return this.#serial(() => this.#saveDraft());
  }

  /** Restores an old version (`note.history`) as the next one, under the lock. */
  async restore(version: number): Promise<boolean> {
    if (this.#token === null || this.#disposed) return false;
    return this.#serial(async () => {
      const token = this.#token;
      if (token === null) return false;
      try {
        const note = await this.#opts.api.restore({ partitionId: this.partitionId, noteId: this.noteId, token, version, opId: uuidv7() });
        this.#saved(note, null);
        return true;
      } catch (error) {
        this.#refused(error);
        return false;
      }
    });
  }

  /** The conflict's choice: `mine` saves your text under the lock; `theirs` drops your draft. */
  async resolve(choice: 'mine' | 'theirs'): Promise<boolean> {
    const conflict = this.#state.conflict;
    if (!conflict) return false;
    if (choice === 'theirs') {
      this.#set({ conflict: null, draft: null, note: this.#state.note ? { ...this.#state.note, ...conflict.theirs } : null });
      await this.#writeDraft();
      return true;
    }
    this.#set({ conflict: null, draft: { ...conflict.yours, baseVersion: conflict.theirs.version } });
    return this.save();
  }

  /** Ends the lock (the draft, if any, stays). */
  async release(opts: { keepWanted?: boolean } = {}): Promise<void> {
    if (!opts.keepWanted) this.#wanted = false;
    clearTimeout(this.#retryTimer);
    this.#stopRenewing();
    const token = this.#token;
    this.#token = null;
    if (this.#state.status === 'held' || this.#state.status === 'locking') this.#set({ status: 'idle', expiresAt: null, saving: false });
    await this.#flushDraft();
    if (token !== null) {
      // Best effort: an unreleased lock expires by itself (and the sweep tells everyone).
      await this.#opts.api.unlock({ partitionId: this.partitionId, noteId: this.noteId, token }).catch(() => {});
    }
  }

  /** Drops the draft and releases the lock ("Cancel"). */
  async cancel(): Promise<void> {
    this.#set({
      draft: null,
      conflict: null,
      error: null,
      status: this.#state.status === 'lost' || this.#state.status === 'offline-draft' ? 'idle' : this.#state.status,
    });
    await this.#writeDraft();
    await this.release();
  }

  /** Releases the lock (best effort), keeps the draft, stops listening. */
  dispose(): void {
    if (this.#disposed) return;
    void this.release();
    this.#disposed = true;
    for (const off of this.#offs.splice(0)) off();
  }

  async #restore(): Promise<void> {
    try {
      const stored = await this.#opts.drafts.get(this.partitionId, this.noteId);
      if (stored && !this.#state.draft) {
        const draft = { title: stored.title, body: stored.body, baseVersion: stored.baseVersion };
        this.#set({ draft, status: this.#online() ? this.#state.status : 'offline-draft' });
        // A draft from before (offline, a reload, a lost lock): save it as soon as the server allows.
        if (this.#online()) void this.acquire();
        else this.#wanted = true;
      }
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
    if (!this.#state.note && this.#online()) {
      try {
        const note = this.#opts.notes
          ? await this.#opts.notes.loadNote(this.partitionId, this.noteId)
          : await this.#opts.api.get(this.partitionId, this.noteId);
        const known = this.getSnapshot().note;
        if (!known || known.version < note.version) this.#set({ note });
      } catch {
        // Read again when the lock is taken.
      }
    }
  }

  async #acquire(): Promise<boolean> {
    if (this.#token !== null) return true;
    if (this.#disposed || !this.#wanted) return false;
    if (!this.#online()) return this.#offline();
    this.#set({ status: 'locking', error: null, lockedBy: null });
    try {
      const grant = await this.#opts.api.lock(this.partitionId, this.noteId);
      if (this.#disposed || !this.#wanted) {
        await this.#opts.api.unlock({ partitionId: this.partitionId, noteId: this.noteId, token: grant.token }).catch(() => {});
        if (this.#state.status === 'locking') this.#set({ status: 'idle' });
        return false;
      }
      this.#token = grant.token;
      this.#held(grant.expiresAt);
    } catch (error) {
      if (isNetworkFailure(error)) return this.#offline();
      this.#wanted = false;
      this.#set({ status: 'idle', lockedBy: lockHolderOf(error), error: messageOf(error) });
      return false;
    }
    return this.#reconcile();
  }

  /** Under a fresh lock: read the note; save the draft when its base is still current, else show the conflict. */
  async #reconcile(): Promise<boolean> {
    let current: NoteDto;
    try {
      current = await this.#opts.api.get(this.partitionId, this.noteId);
    } catch (error) {
      if (isNetworkFailure(error)) return true;
      this.#refused(error);
      return false;
    }
    this.#opts.notes?.put(this.partitionId, current);
    const draft = this.#state.draft;
    this.#set({ note: current });
    if (!draft) return true;
    if (current.title === draft.title && current.body === draft.body) {
      this.#set({ draft: null });
      await this.#writeDraft();
      return true;
    }
    if (current.version === draft.baseVersion) {
      await this.#saveDraft();
      return this.#token !== null;
    }
    this.#set({ conflict: { theirs: { title: current.title, body: current.body, version: current.version }, yours: draft } });
    return true;
  }

  async #saveDraft(): Promise<boolean> {
    const draft = this.#state.draft;
    if (!draft) return true;
    const opId = uuidv7();
    this.#set({ saving: true, error: null });
    for (let attempt = 0; ; attempt += 1) {
      const token = this.#token;
      if (token === null) {
        this.#set({ saving: false });
        return false;
      }
      try {
        const note = await this.#opts.api.save({ partitionId: this.partitionId, noteId: this.noteId, token, title: draft.title, body: draft.body, opId });
        this.#pendingSave = false;
        this.#saved(note, draft);
        return true;
      } catch (error) {
        if (!isNetworkFailure(error)) {
          this.#refused(error);
          return false;
        }
        const remaining = this.#deadline - this.#now();
        if (!this.#online() || remaining <= 0) {
          // Kept (durably): saved when the server is back.
          this.#pendingSave = true;
          this.#set({ saving: false, error: messageOf(error) });
          if (remaining <= 0) await this.#offline();
          return false;
        }
        await sleep(networkRetryDelayMs(attempt, remaining));
      }
    }
  }

  /** A save's answer: the note moves on; the draft goes unless more was typed meanwhile. */
  #saved(note: NoteDto, sent: NoteText | null): void {
    this.#opts.notes?.put(this.partitionId, note);
    const draft = this.#state.draft;
    const typedSince = draft && sent && (draft.title !== sent.title || draft.body !== sent.body);
    this.#set({ note, saving: false, error: null, draft: typedSince ? { ...draft, baseVersion: note.version } : null });
    void this.#writeDraft();
  }

  /** A refusal of a call made under the lock. */
  #refused(error: unknown): void {
    const code = errorCode(error);
    if (code === 'PRECONDITION_FAILED' || code === 'NOT_FOUND') {
      this.#token = null;
      this.#wanted = false;
      this.#stopRenewing();
      this.#set({ status: 'lost', saving: false, expiresAt: null, lockedBy: lockHolderOf(error), error: messageOf(error) });
      void this.#flushDraft();
      return;
    }
    this.#set({ saving: false, error: messageOf(error) });
  }

  #held(expiresAt: string): void {
    this.#lastRenewAt = this.#now();
    this.#deadline = Date.parse(expiresAt);
    this.#set({ status: 'held', expiresAt, lockedBy: null });
    this.#scheduleRenewal();
  }

  #scheduleRenewal(): void {
    clearTimeout(this.#renewTimer);
    const delay = renewDelayMs(this.#deadline, this.#now(), this.#opts.renewEveryMs ?? NOTE_LOCK_RENEW_MS);
    this.#renewTimer = setTimeout(() => void this.#renewNow(), delay);
  }

  #stopRenewing(): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  /** One renewal, retried quickly on network failures until `expiresAt`; after it, the text goes to a draft. */
  #renewNow(): Promise<void> {
    this.#lastRenewAt = this.#now();
    return this.#serial(async () => {
      for (let attempt = 0; ; attempt += 1) {
        const token = this.#token;
        if (token === null || this.#disposed) return;
        try {
          const { expiresAt } = await this.#opts.api.renew({ partitionId: this.partitionId, noteId: this.noteId, token });
          if (this.#token !== token) return;
          this.#held(expiresAt);
          if (this.#pendingSave) await this.#saveDraft();
          return;
        } catch (error) {
          if (this.#token !== token) return;
          if (!isNetworkFailure(error)) return this.#refused(error);
          const remaining = this.#deadline - this.#now();
          if (remaining <= 0) {
            await this.#offline();
            return;
          }
          await sleep(networkRetryDelayMs(attempt, remaining));
        }
      }
    });
  }

  /** No server: keep editing into the durable draft; take the lock again when it is back. */
  async #offline(): Promise<boolean> {
    this.#token = null;
    this.#stopRenewing();
    this.#set({ status: 'offline-draft', expiresAt: null, saving: false });
    await this.#flushDraft();
    clearTimeout(this.#retryTimer);
    // Besides the connection's own signal, try again now and then (a server back without a new socket).
    this.#retryTimer = setTimeout(() => void this.#onOnline(), 5000);
    return false;
  }

  #onOnline(): void {
    if (this.#disposed || !this.#online()) return;
    if (this.#token !== null && this.#pendingSave) void this.#serial(() => this.#saveDraft());
    else if (this.#state.status === 'offline-draft' && this.#wanted) void this.acquire();
  }

  #onEvent(event: ParleyEvent): void {
    if (event.partitionId !== this.partitionId || this.#token === null) return;
    // Someone ended or took "our" lock (force-unlock, expiry): a renewal finds out at once.
    if (event.type === 'note.unlocked' && event.data.noteId === this.noteId) void this.#renewNow();
  }

  /** A newer copy in the store (someone saved while we were not holding the lock): the base moves, the draft's baseVersion does not. */
  #onStore(): void {
    const item = this.#opts.notes?.getNote(this.partitionId, this.noteId);
    if (!item || item.body === null) return;
    const note = this.#state.note;
    if (note && item.version <= note.version) return;
    this.#set({ note: { ...item, body: item.body } });
  }

  #online(): boolean {
    return this.#opts.connectivity?.isOnline() ?? true;
  }

  #scheduleDraftWrite(): void {
    clearTimeout(this.#draftTimer);
    this.#draftTimer = setTimeout(() => void this.#writeDraft(), 250);
  }

  #flushDraft(): Promise<void> {
    if (this.#draftTimer === undefined) return Promise.resolve();
    return this.#writeDraft();
  }

  async #writeDraft(): Promise<void> {
    clearTimeout(this.#draftTimer);
    this.#draftTimer = undefined;
    const draft = this.#state.draft;
    try {
      if (draft) await this.#opts.drafts.set({ partitionId: this.partitionId, noteId: this.noteId, ...draft, updatedAt: Date.now() });
      else await this.#opts.drafts.delete(this.partitionId, this.noteId);
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  #set(patch: Partial<NoteEditorState>): void {
    this.#state = { ...this.#state, ...patch };
    this.#emitter.emit();
  }
}
