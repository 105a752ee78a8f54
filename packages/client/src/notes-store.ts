import type { NoteDto, NoteHistoryPage, NoteSummaryDto, ParleyEvent } from '@parley/api';
import { uuidv7 } from 'uuidv7';
import { errorCode } from './api.ts';
import { Emitter } from './emitter.ts';
import type { NoteDrafts } from './note-drafts.ts';
import { NoteEditor, type Connectivity, type NoteEditorOptions } from './note-editor.ts';
import type { NotesApi, NoteUnlockResult } from './notes-api.ts';
import type { ClientStorage } from './storage.ts';

/** A note as the store knows it: the list's fields, and its text once read (`note.get`, a save, `note.saved`), else null. */
export interface NoteItem extends NoteSummaryDto {
  body: string | null;
}

/** A workspace's notes, most recently changed first. Same object until something in it changes. */
export interface NotesView {
  /** `loading` until the first `note.list` answer; `cached` notes show meanwhile (from storage: offline reading). */
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** True while the notes come from storage, not yet from the server. */
  cached: boolean;
  error: string | null;
  notes: readonly NoteItem[];
}

/** Where the store's events come from: `createParleyClient` passes the message store's stream (`watch`, `onEvent`). */
export interface NoteEventSource {
  /** Keeps the partition's event stream open; counted, like `messages.watch`. */
  watch(partitionId: string): () => void;
  /** Every new event of the watched partitions. */
  onEvent(listener: (event: ParleyEvent) => void): () => void;
}

export interface NotesStoreOptions {
  api: NotesApi;
  events: NoteEventSource;
  /** Keeps each workspace's notes (with the texts read) for reading offline. Default: none. */
  storage?: ClientStorage | undefined;
  onStorageError?: ((error: unknown) => void) | undefined;
  /** Where editors keep unsaved text (`editor()`). Default: in memory. */
  drafts?: NoteDrafts | undefined;
  /** The client's connection, for editors: offline drafts, retaking the lock when it is back. */
  connectivity?: Connectivity | undefined;
}

/** What `editor()` may tune (the rest comes from the client). */
export type NoteEditorTuning = Partial<Pick<NoteEditorOptions, 'renewEveryMs' | 'typingRenewMs' | 'page' | 'now'>>;

interface Stored {
  v: 1;
  notes: NoteItem[];
}

interface PartitionNotes {
  readonly id: string;
  watchers: number;
  stopStream: (() => void) | null;
  status: NotesView['status'];
  cached: boolean;
  error: string | null;
  readonly notes: Map<string, NoteItem>;
  /** Deleted ids: an answer that left before the deletion never brings one back. */
  readonly deleted: Set<string>;
  lastEventId: number | null;
  /** Events that arrived while `note.list` was under way: applied again on top of its answer. */
  during: ParleyEvent[] | null;
  restored: Promise<void> | null;
  view: NotesView | null;
  saveTimer: ReturnType<typeof setTimeout> | undefined;
}

const EMPTY: NotesView = Object.freeze({ status: 'idle', cached: false, error: null, notes: Object.freeze([]) });
const SAVE_DELAY_MS = 300;
const storageKey = (partitionId: string) => `notes:${partitionId}`;

function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Could not load the notes.';
}

function byRecency(a: NoteItem, b: NoteItem): number {
  return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? 1 : -1;
}

/**
 * Each workspace's notes, kept live from its event stream (`note.created/saved/locked/renewed/
 * unlocked/deleted`), de-duplicated by event id: a replayed or repeated event changes nothing, a
 * `note.saved` older than the copy held (by `version`) neither. Framework-agnostic
 * (`subscribe`/`getSnapshot`); the React hooks are `useNotes` and `useNote`. With a storage the
 * notes (and the texts read) survive a reload, for reading offline.
 *
 * @example
 * ```ts
 * const stop = client.notes.watch('acme');
 * client.notes.subscribe(() => render(client.notes.getSnapshot('acme').notes));
 * const note = await client.notes.create({ partitionId: 'acme', title: 'Plan', body: '' });
 * ```
 */
export class NotesStore {
  readonly #opts: NotesStoreOptions;
  readonly #emitter = new Emitter();
  readonly #partitions = new Map<string, PartitionNotes>();
  readonly #offEvents: () => void;
  #closed = false;

  constructor(opts: NotesStoreOptions) {
    this.#opts = opts;
    this.#offEvents = opts.events.onEvent((event) => {
      if (!event.type.startsWith('note.')) return;
      const p = this.#partitions.get(event.partitionId);
      if (p) this.#onEvent(p, event);
    });
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** The workspace's notes; the same object until one of them changes. */
  getSnapshot = (partitionId: string): NotesView => {
    const p = this.#partitions.get(partitionId);
    if (!p) return EMPTY;
    p.view ??= Object.freeze({ status: p.status, cached: p.cached, error: p.error, notes: Object.freeze([...p.notes.values()].sort(byRecency)) });
    return p.view;
  };

  /** One note (null: not known, or deleted); its `body` is null until read (`loadNote`). */
  getNote(partitionId: string, noteId: string): NoteItem | null {
    return this.#partitions.get(partitionId)?.notes.get(noteId) ?? null;
  }

  /** True once the store saw the note deleted (its event or a NOT_FOUND). */
  isDeleted(partitionId: string, noteId: string): boolean {
    return this.#partitions.get(partitionId)?.deleted.has(noteId) ?? false;
  }

  /** Keeps the workspace's notes live: restores them from storage, loads `note.list`, follows the event stream. Counted. */
  watch(partitionId: string): () => void {
    const p = this.#partition(partitionId);
    p.watchers += 1;
    if (p.watchers === 1) {
      p.stopStream = this.#opts.events.watch(partitionId);
      void this.restore(partitionId).then(() => (p.watchers > 0 ? this.load(partitionId) : undefined));
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      p.watchers -= 1;
      if (p.watchers === 0) {
        p.stopStream?.();
        p.stopStream = null;
      }
    };
  }

  /** What storage has for the workspace, without the network (offline reading). */
  restore(partitionId: string): Promise<void> {
    const p = this.#partition(partitionId);
    p.restored ??= (async () => {
      const storage = this.#opts.storage;
      if (!storage) return;
      try {
        const stored = await storage.get<Stored>(storageKey(partitionId));
        if (stored?.v !== 1 || p.status === 'ready') return;
        for (const note of stored.notes) if (!p.notes.has(note.id) && !p.deleted.has(note.id)) p.notes.set(note.id, note);
        p.cached = p.notes.size > 0;
        this.#changed(p, false);
      } catch (error) {
        this.#opts.onStorageError?.(error);
      }
    })();
    return p.restored;
  }

  /** `note.list` again: replaces the summaries (texts already read are kept while their version holds). */
  async load(partitionId: string): Promise<void> {
    const p = this.#partition(partitionId);
    if (p.during) return;
    p.during = [];
    p.status = p.status === 'ready' ? 'ready' : 'loading';
    this.#changed(p, false);
    try {
      const list = await this.#opts.api.list(partitionId);
      const replay = p.during;
      p.during = null;
      const previous = new Map(p.notes);
      p.notes.clear();
      for (const summary of list) {
        if (p.deleted.has(summary.id)) continue;
        const known = previous.get(summary.id);
        p.notes.set(summary.id, { ...summary, body: known && known.version === summary.version ? known.body : null });
      }
      // Events seen during the request may be newer than the answer: the last word for their notes.
      for (const event of replay) this.#apply(p, event);
      p.status = 'ready';
      p.cached = false;
      p.error = null;
      this.#changed(p, true);
    } catch (error) {
      p.during = null;
      p.status = 'error';
      p.error = errorText(error);
      this.#changed(p, false);
    }
  }

  /** Reads one note with its text into the store (`note.get`). A NOT_FOUND marks it deleted and rethrows. */
  async loadNote(partitionId: string, noteId: string): Promise<NoteDto> {
    const p = this.#partition(partitionId);
    try {
      const note = await this.#opts.api.get(partitionId, noteId);
      this.#put(p, note);
      return note;
    } catch (error) {
      if (errorCode(error) === 'NOT_FOUND') this.#remove(p, noteId);
      throw error;
    }
  }

  /** `note.create` (a member); the new note is in the store at once. */
  async create(input: { partitionId: string; title: string; body?: string | undefined }): Promise<NoteDto> {
    const note = await this.#opts.api.create({ ...input, opId: uuidv7() });
    this.#put(this.#partition(input.partitionId), note);
    return note;
  }

  /** A note's versions, newest first (`before` pages back). */
  history(partitionId: string, noteId: string, page: { before?: number | undefined; limit?: number | undefined } = {}): Promise<NoteHistoryPage> {
    return this.#opts.api.history({ partitionId, noteId, ...page });
  }

  /** `note.delete` (its creator, a workspace admin or owner); gone from the store at once. */
  async delete(partitionId: string, noteId: string): Promise<void> {
    await this.#opts.api.delete({ partitionId, noteId, opId: uuidv7() });
    this.#remove(this.#partition(partitionId), noteId);
  }

  /** `note.forceUnlock` (workspace owners and admins): ends anyone's lock; the holder's token is fenced. */
  async forceUnlock(partitionId: string, noteId: string): Promise<NoteUnlockResult> {
    const result = await this.#opts.api.forceUnlock({ partitionId, noteId, opId: uuidv7() });
    const p = this.#partition(partitionId);
    const note = p.notes.get(noteId);
    if (note?.lock) this.#set(p, { ...note, lock: null });
    return result;
  }

  /**
   * The lock helper of one note (`NoteEditor`): acquire, renew, save, release, offline drafts.
   * One per open editor; `dispose()` it when the editor closes.
   */
  editor(partitionId: string, noteId: string, tuning: NoteEditorTuning = {}): NoteEditor {
    if (!this.#opts.drafts) throw new Error('NotesStore.editor() needs the `drafts` option (createParleyClient gives it).');
    return new NoteEditor({
      api: this.#opts.api,
      partitionId,
      noteId,
      drafts: this.#opts.drafts,
      notes: this,
      events: (listener) => this.#opts.events.onEvent(listener),
      connectivity: this.#opts.connectivity,
      onStorageError: this.#opts.onStorageError,
      ...tuning,
    });
  }

  /** A note's own answer (a save, a restore, `note.get`): kept when it is not older than the copy held. */
  put(partitionId: string, note: NoteDto): void {
    this.#put(this.#partition(partitionId), note);
  }

  /** Writes what is pending to storage. */
  async persist(): Promise<void> {
    await Promise.all([...this.#partitions.values()].map((p) => this.#save(p)));
  }

  close(): void {
    this.#closed = true;
    this.#offEvents();
    for (const p of this.#partitions.values()) {
      p.stopStream?.();
      p.stopStream = null;
    }
  }

  #partition(partitionId: string): PartitionNotes {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = {
        id: partitionId,
        watchers: 0,
        stopStream: null,
        status: 'idle',
        cached: false,
        error: null,
        notes: new Map(),
        deleted: new Set(),
        lastEventId: null,
        during: null,
        restored: null,
        view: null,
        saveTimer: undefined,
      };
      this.#partitions.set(partitionId, p);
    }
    return p;
  }

  #onEvent(p: PartitionNotes, event: ParleyEvent): void {
    if (p.lastEventId !== null && event.id <= p.lastEventId) return;
    p.lastEventId = event.id;
    p.during?.push(event);
    if (this.#apply(p, event)) this.#changed(p, true);
  }

  /** True when the view changed. */
  #apply(p: PartitionNotes, event: ParleyEvent): boolean {
    switch (event.type) {
      case 'note.created':
        if (p.deleted.has(event.data.id) || p.notes.has(event.data.id)) return false;
        p.notes.set(event.data.id, { ...event.data });
        return true;
      case 'note.saved': {
        const note = p.notes.get(event.data.id);
        if (!note || event.data.version <= note.version) return false;
        const { title, body, version, savedBy, savedByName, savedAt } = event.data;
        p.notes.set(note.id, { ...note, title, body, version, updatedBy: savedBy, updatedByName: savedByName, updatedAt: savedAt });
        return true;
      }
      case 'note.locked':
      case 'note.renewed': {
        const note = p.notes.get(event.data.noteId);
        if (!note) return false;
        p.notes.set(note.id, { ...note, lock: { holder: event.data.holder, expiresAt: event.data.expiresAt } });
        return true;
      }
      case 'note.unlocked': {
        const note = p.notes.get(event.data.noteId);
        // Only the lock it names: a late unlock must not clear the next holder's lock.
        if (!note?.lock || note.lock.holder.userId !== event.data.holderId) return false;
        p.notes.set(note.id, { ...note, lock: null });
        return true;
      }
      case 'note.deleted':
        p.deleted.add(event.data.id);
        return p.notes.delete(event.data.id);
      default:
        return false;
    }
  }

  #put(p: PartitionNotes, note: NoteDto): void {
    if (p.deleted.has(note.id)) return;
    const known = p.notes.get(note.id);
    if (known && known.version > note.version) return;
    this.#set(p, { ...note });
  }

  #set(p: PartitionNotes, note: NoteItem): void {
    p.notes.set(note.id, note);
    this.#changed(p, true);
  }

  #remove(p: PartitionNotes, noteId: string): void {
    p.deleted.add(noteId);
    p.notes.delete(noteId);
    this.#changed(p, true);
  }

  #changed(p: PartitionNotes, save: boolean): void {
    p.view = null;
    if (save && this.#opts.storage && !this.#closed) {
      clearTimeout(p.saveTimer);
      p.saveTimer = setTimeout(() => void this.#save(p), SAVE_DELAY_MS);
    }
    this.#emitter.emit();
  }

  async #save(p: PartitionNotes): Promise<void> {
    clearTimeout(p.saveTimer);
    p.saveTimer = undefined;
    const storage = this.#opts.storage;
    if (!storage || (p.status !== 'ready' && !p.cached)) return;
    try {
      await storage.set(storageKey(p.id), { v: 1, notes: [...p.notes.values()] } satisfies Stored);
    } catch (error) {
      this.#opts.onStorageError?.(error);
    }
  }
}
