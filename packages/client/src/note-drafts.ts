import type { ClientStorage } from './storage.ts';

/** Text typed into a note and not saved yet, with the version it was edited from. */
export interface NoteDraft {
  partitionId: string;
  noteId: string;
  title: string;
  body: string;
  /** The note's version the text was edited from: saved only while the note is still at it. */
  baseVersion: number;
  /** Local epoch ms of the last keystroke kept. */
  updatedAt: number;
}

type DraftRef = Pick<NoteDraft, 'partitionId' | 'noteId'>;

const INDEX_KEY = 'note-drafts';
const draftKey = (partitionId: string, noteId: string) => `note-draft:${partitionId}:${noteId}`;

/**
 * The durable drafts of notes, keyed by (partitionId, noteId), in the client's storage
 * (IndexedDB in browsers, a file or memory in Node): they survive a reload and a crash. An
 * index lists them (`list()`: the SPA marks those notes "not saved"). Writes are serialized.
 *
 * @example
 * ```ts
 * const drafts = new NoteDrafts(storage);
 * await drafts.set({ partitionId: 'acme', noteId, title, body, baseVersion: 3, updatedAt: Date.now() });
 * ```
 */
export class NoteDrafts {
  readonly #storage: ClientStorage;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(storage: ClientStorage) {
    this.#storage = storage;
  }

  get(partitionId: string, noteId: string): Promise<NoteDraft | undefined> {
    return this.#serial(() => this.#storage.get<NoteDraft>(draftKey(partitionId, noteId)));
  }

  set(draft: NoteDraft): Promise<void> {
    return this.#serial(async () => {
      await this.#storage.set(draftKey(draft.partitionId, draft.noteId), draft);
      const index = (await this.#storage.get<DraftRef[]>(INDEX_KEY)) ?? [];
      if (!index.some((d) => d.partitionId === draft.partitionId && d.noteId === draft.noteId)) {
        await this.#storage.set(INDEX_KEY, [...index, { partitionId: draft.partitionId, noteId: draft.noteId }]);
      }
    });
  }

  delete(partitionId: string, noteId: string): Promise<void> {
    return this.#serial(async () => {
      await this.#storage.delete(draftKey(partitionId, noteId));
      const index = (await this.#storage.get<DraftRef[]>(INDEX_KEY)) ?? [];
      const rest = index.filter((d) => !(d.partitionId === partitionId && d.noteId === noteId));
      if (rest.length !== index.length) await this.#storage.set(INDEX_KEY, rest);
    });
  }

  /** The notes that have a draft (of one workspace, or all). */
  list(partitionId?: string): Promise<DraftRef[]> {
    return this.#serial(async () => {
      const index = (await this.#storage.get<DraftRef[]>(INDEX_KEY)) ?? [];
      return partitionId === undefined ? index : index.filter((d) => d.partitionId === partitionId);
    });
  }

  /** Resolves when the writes asked for so far are done. */
  saved(): Promise<void> {
    return this.#serial(async () => {});
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }
}
