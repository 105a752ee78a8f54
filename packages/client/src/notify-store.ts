import type { TRPCClient } from '@trpc/client';
import type { AppRouter, ParleyEvent, RoomNotifyDto } from '@parley/api';
import { defaultNotifyLevel, type NotifyLevel } from '@parley/rules';
import { Emitter } from './emitter.ts';
import type { ActOptions, OpEntry, OutboxEntry } from './outbox.ts';

/** A workspace's notification levels: the server's, with this device's pending changes on top. */
export interface NotifySnapshot {
  /** `notify.list` has answered at least once. */
  readonly loaded: boolean;
  /** By room id: the rooms and direct messages you are in (a room not listed has its default). */
  readonly levels: Readonly<Record<string, NotifyLevel>>;
  readonly error: string | null;
}

/** The server call the store makes besides the outbox's changes (tests give a fake). */
export interface NotifyApi {
  list(partitionId: string): Promise<RoomNotifyDto[]>;
}

/** @example `trpcNotifyApi(client.trpc)` */
export function trpcNotifyApi(trpc: TRPCClient<AppRouter>): NotifyApi {
  return { list: (partitionId) => trpc.notify.list.query({ partitionId }) };
}

export interface NotifyStoreOptions {
  api: NotifyApi;
  /** Where changes go (durable, retried, applied once by opId). */
  outbox: { act(options: ActOptions): OpEntry; getSnapshot(): readonly OutboxEntry[]; subscribe(listener: () => void): () => void };
  /** The workspace's live events (the message store's stream): `notify.changed` from your other devices. */
  events: { onEvent(listener: (event: ParleyEvent) => void): () => void };
}

interface PartitionState {
  levels: Map<string, NotifyLevel>;
  loaded: boolean;
  error: string | null;
  loading: Promise<void> | null;
}

const NOT_LOADED: PartitionState = { levels: new Map(), loaded: false, error: null, loading: null };

/**
 * How loudly each room and direct message gets this user's attention (`all`, `mentions`,
 * `mute`), for every workspace it was loaded for. A change is shown at once and goes through
 * the outbox (so it survives being offline and a reload); the other devices of the user follow
 * through the personal `notify.changed` event.
 *
 * @example
 * ```ts
 * await client.notify.load('acme');
 * client.notify.set('acme', roomId, 'mute');
 * client.notify.levelOf('acme', roomId, 'public'); // 'mute'
 * ```
 */
export class NotifyStore {
  readonly #opts: NotifyStoreOptions;
  readonly #emitter = new Emitter();
  readonly #partitions = new Map<string, PartitionState>();
  readonly #snapshots = new Map<string, { key: string; snapshot: NotifySnapshot }>();
  readonly #off: (() => void)[];

  constructor(options: NotifyStoreOptions) {
    this.#opts = options;
    this.#off = [
      options.events.onEvent((event) => {
        if (event.type !== 'notify.changed') return;
        this.#state(event.partitionId).levels.set(event.data.roomId, event.data.level);
        this.#emitter.emit();
      }),
      options.outbox.subscribe(() => this.#emitter.emit()),
    ];
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** Reads the levels of a workspace (again: after a reconnect, say). */
  load(partitionId: string): Promise<void> {
    const state = this.#state(partitionId);
    state.loading ??= this.#opts.api
      .list(partitionId)
      .then(
        (rows) => {
          state.levels = new Map(rows.map((r) => [r.roomId, r.level]));
          state.loaded = true;
          state.error = null;
        },
        (error: unknown) => {
          state.error = error instanceof Error && error.message ? error.message : 'Could not load notification settings.';
        },
      )
      .finally(() => {
        state.loading = null;
        this.#emitter.emit();
      });
    return state.loading;
  }

  /** The same object until something in it changes. */
  getSnapshot = (partitionId: string): NotifySnapshot => {
    const state = this.#partitions.get(partitionId) ?? NOT_LOADED;
    const levels = new Map(state.levels);
    for (const e of this.#opts.outbox.getSnapshot()) {
      if (e.kind === 'op' && e.partitionId === partitionId && e.status !== 'failed' && e.op.type === 'notify.set') levels.set(e.op.roomId, e.op.level);
    }
    const key = `${state.loaded}|${state.error}|${[...levels].map(([r, l]) => `${r}=${l}`).join(',')}`;
    const cached = this.#snapshots.get(partitionId);
    if (cached?.key === key) return cached.snapshot;
    const snapshot: NotifySnapshot = { loaded: state.loaded, levels: Object.fromEntries(levels), error: state.error };
    this.#snapshots.set(partitionId, { key, snapshot });
    return snapshot;
  };

  /** Your level for a room: the one you chose (pending included), else the default for its kind (`dm`: all; else mentions). */
  levelOf(partitionId: string, roomId: string, kind: string): NotifyLevel {
    return this.getSnapshot(partitionId).levels[roomId] ?? defaultNotifyLevel(kind);
  }

  /** Changes a room's level: shown at once, sent through the outbox. */
  set(partitionId: string, roomId: string, level: NotifyLevel): OpEntry {
    return this.#opts.outbox.act({ partitionId, roomId, op: { type: 'notify.set', roomId, level } });
  }

  /** Called by the outbox when a change was applied: the server's answer is the level now. */
  opApplied(entry: OutboxEntry, result: unknown): void {
    if (entry.kind !== 'op' || entry.op.type !== 'notify.set' || !entry.partitionId) return;
    const level = (result as { level?: NotifyLevel } | null)?.level ?? entry.op.level;
    this.#state(entry.partitionId).levels.set(entry.op.roomId, level);
    this.#emitter.emit();
  }

  close(): void {
    for (const off of this.#off) off();
  }

  #state(partitionId: string): PartitionState {
    let state = this.#partitions.get(partitionId);
    if (!state) this.#partitions.set(partitionId, (state = { levels: new Map(), loaded: false, error: null, loading: null }));
    return state;
  }
}
