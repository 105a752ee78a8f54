import type { BlockedUserDto } from '@parley/api';
import type { ParleyApi } from './api.ts';
import { Emitter } from './emitter.ts';
import type { OpEntry, Outbox, OutboxEntry } from './outbox.ts';

/** What `client.blocks.getView()` (and `useBlocks()`) gives. @example `view.ids.has(message.authorId)` */
export interface BlocksSnapshot {
  /** Blocked user ids, pending blocks and unblocks applied. */
  readonly ids: ReadonlySet<string>;
  /** The server's list (names), as last read. */
  readonly users: readonly BlockedUserDto[];
  /** The server's list has been read. */
  readonly loaded: boolean;
  readonly error: string | null;
}

/** @example `new BlocksStore({ api, outbox })` */
export interface BlocksStoreOptions {
  api: Pick<ParleyApi, 'blocks'>;
  outbox: Outbox;
}

/**
 * Whom this user blocked, in every workspace: the server's list (`user.blocks`, read by
 * `load()`) with the outbox's pending blocks and unblocks on top, in order. Blocking goes
 * through the outbox (durable, retried, applied once); the server sends no event for it, so an
 * answered block changes the list here directly.
 *
 * @example
 * ```ts
 * await client.blocks.load();
 * client.blocks.block(userId);          // shown at once, sent through the outbox
 * client.blocks.getSnapshot().has(userId); // true
 * ```
 */
export class BlocksStore {
  readonly #opts: BlocksStoreOptions;
  readonly #emitter = new Emitter();
  readonly #offOutbox: () => void;
  #server = new Map<string, BlockedUserDto>();
  #loaded = false;
  #loading: Promise<void> | null = null;
  #error: string | null = null;
  #view: { ids: ReadonlySet<string>; server: Map<string, BlockedUserDto>; loaded: boolean; error: string | null; view: BlocksSnapshot } | null = null;
  #snapshot: { entries: readonly OutboxEntry[]; server: Map<string, BlockedUserDto>; ids: ReadonlySet<string> } | null = null;

  constructor(options: BlocksStoreOptions) {
    this.#opts = options;
    // Only the outbox's blocks and unblocks change the snapshot; other entries keep it as it is.
    this.#offOutbox = options.outbox.subscribe(() => {
      const before = this.#snapshot?.ids;
      if (before !== this.getSnapshot()) this.#emitter.emit();
    });
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** Blocked user ids, pending blocks and unblocks applied. The same set until it changes. */
  getSnapshot = (): ReadonlySet<string> => {
    const entries = this.#opts.outbox.getSnapshot();
    const cached = this.#snapshot;
    if (cached && cached.server === this.#server && sameUserOps(cached.entries, entries)) return cached.ids;
    const ids = new Set(this.#server.keys());
    for (const e of entries) {
      if (e.kind !== 'op' || e.status === 'failed') continue;
      if (e.op.type === 'user.block') ids.add(e.op.userId);
      if (e.op.type === 'user.unblock') ids.delete(e.op.userId);
    }
    const same = cached && cached.ids.size === ids.size && [...ids].every((id) => cached.ids.has(id));
    const result = same ? cached.ids : ids;
    this.#snapshot = { entries: userOps(entries), server: this.#server, ids: result };
    return result;
  };

  /** Everything a screen shows, as one object that changes only when something in it does. */
  getView = (): BlocksSnapshot => {
    const ids = this.getSnapshot();
    const v = this.#view;
    if (v && v.ids === ids && v.server === this.#server && v.loaded === this.#loaded && v.error === this.#error) return v.view;
    const view: BlocksSnapshot = { ids, users: [...this.#server.values()], loaded: this.#loaded, error: this.#error };
    this.#view = { ids, server: this.#server, loaded: this.#loaded, error: this.#error, view };
    return view;
  };

  /** The server's list (names and when), as last read. */
  getUsers(): readonly BlockedUserDto[] {
    return [...this.#server.values()];
  }

  /** The server's list has been read at least once: the snapshot is the whole truth (plus pending ops). */
  get loaded(): boolean {
    return this.#loaded;
  }

  get error(): string | null {
    return this.#error;
  }

  /** Reads the server's list (again). */
  load(): Promise<void> {
    this.#loading ??= this.#opts.api
      .blocks()
      .then(
        (users) => {
          this.#server = new Map(users.map((u) => [u.userId, u]));
          this.#loaded = true;
          this.#error = null;
        },
        (error: unknown) => {
          this.#error = error instanceof Error && error.message ? error.message : 'Could not load the people you blocked.';
        },
      )
      .finally(() => {
        this.#loading = null;
        this.#emitter.emit();
      });
    return this.#loading;
  }

  /** Blocks a person (through the outbox; shown at once). */
  block(userId: string): OpEntry {
    return this.#opts.outbox.act({ partitionId: null, op: { type: 'user.block', userId } });
  }

  unblock(userId: string): OpEntry {
    return this.#opts.outbox.act({ partitionId: null, op: { type: 'user.unblock', userId } });
  }

  /** The server answered a block or an unblock (wired to the outbox's `onOpDone`). */
  opApplied(entry: OpEntry, result: unknown): void {
    const op = entry.op;
    if (op.type !== 'user.block' && op.type !== 'user.unblock') return;
    const blocked = result && typeof result === 'object' && 'blocked' in result ? Boolean(result.blocked) : op.type === 'user.block';
    const next = new Map(this.#server);
    if (blocked) next.set(op.userId, next.get(op.userId) ?? { userId: op.userId, username: '', displayName: '', blockedAt: new Date().toISOString() });
    else next.delete(op.userId);
    this.#server = next;
    this.#emitter.emit();
  }

  close(): void {
    this.#offOutbox();
  }
}

function userOps(entries: readonly OutboxEntry[]): OutboxEntry[] {
  return entries.filter((e) => e.kind === 'op' && (e.op.type === 'user.block' || e.op.type === 'user.unblock'));
}

function sameUserOps(cached: readonly OutboxEntry[], entries: readonly OutboxEntry[]): boolean {
  const now = userOps(entries);
  return now.length === cached.length && now.every((e, i) => e === cached[i]);
}
