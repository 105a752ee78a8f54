import type { TRPCClient } from '@trpc/client';
import type { AppRouter, ParleyEvent, ProfileDto } from '@parley/api';
import { uuidv7 } from 'uuidv7';
import { errorCode } from './api.ts';
import { Emitter } from './emitter.ts';

/** How a person shows up: their display name, status line ('' = none) and avatar (null = initials). */
export type Profile = ProfileDto;

/** A change of your own profile: only what is given changes; `avatarId: null` removes the avatar. */
export interface ProfileChange {
  displayName?: string | undefined;
  status?: string | undefined;
  avatarId?: string | null | undefined;
}

/** The server calls the store needs (`profile.list`, `profile.mine`, `profile.update`, `POST /avatar`). */
export interface ProfilesApi {
  list(partitionId: string): Promise<Profile[]>;
  mine(): Promise<Profile>;
  update(change: ProfileChange & { opId: string }): Promise<Profile>;
  /** Stores an image as an avatar (not yet yours: `update({ avatarId })` makes it so). */
  uploadAvatar(file: Blob, signal?: AbortSignal): Promise<{ id: string }>;
  /** Where the image of an avatar id is served. */
  avatarUrl(avatarId: string): string;
}

/** The events a store follows: the workspace streams `client.messages` keeps open. */
export interface ProfileEventSource {
  watch(partitionId: string): () => void;
  onEvent(listener: (event: ParleyEvent) => void): () => void;
}

/** @example `new ProfilesStore({ api: trpcProfilesApi(trpc, { url }), events: client.messages })` */
export interface ProfilesStoreOptions {
  api: ProfilesApi;
  events: ProfileEventSource;
}

/** An avatar upload the server refused (too big, not an image), with its words and HTTP status. */
export class AvatarUploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AvatarUploadError';
  }
}

/**
 * `profile.*` over the typed tRPC client, and `POST /avatar` with `fetch` (the session cookie in
 * browsers, `Authorization: Bearer` for programs).
 * @example
 * ```ts
 * const api = trpcProfilesApi(client.trpc, { url: 'http://localhost:3000', token });
 * const { id } = await api.uploadAvatar(file);
 * ```
 */
export function trpcProfilesApi(
  trpc: TRPCClient<AppRouter>,
  opts: { url: string; token?: () => string | null; fetch?: typeof globalThis.fetch | undefined },
): ProfilesApi {
  return {
    list: (partitionId) => trpc.profile.list.query({ partitionId }),
    mine: () => trpc.profile.mine.query(),
    update: (change) => trpc.profile.update.mutate(change),
    async uploadAvatar(file, signal) {
      const doFetch = opts.fetch ?? globalThis.fetch;
      const token = opts.token?.() ?? null;
      const headers: Record<string, string> = { 'content-type': file.type || 'application/octet-stream' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await doFetch(new URL('/avatar', opts.url).toString(), {
        method: 'POST',
        body: file,
        headers,
        credentials: 'include',
        signal: signal ?? null,
      });
      const text = await res.text();
      let body: { id?: unknown; error?: { message?: unknown } } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not JSON (a proxy's page): the status says enough.
      }
      if (res.ok && typeof body.id === 'string') return { id: body.id };
      const message = typeof body.error?.message === 'string' ? body.error.message : `The image could not be uploaded (HTTP ${res.status}).`;
      throw new AvatarUploadError(message, res.status);
    },
    avatarUrl: (avatarId) => new URL(`/avatar/${encodeURIComponent(avatarId)}`, opts.url).toString(),
  };
}

interface PartitionLoad {
  watchers: number;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  off: (() => void) | null;
}

const messageOf = (error: unknown) => (error instanceof Error && error.message ? error.message : 'Profiles could not be loaded.');

/**
 * Everyone's profile by user id, for showing names, statuses and avatars wherever a person
 * appears. Loaded once per watched workspace (`profile.list`), then kept current by the
 * `profile.updated` events of its stream (which a reconnect replays), so a change shows live
 * everywhere. A profile is the same in every workspace, so the store holds one per person.
 *
 * An answer of `profile.list` that was on its way while an event about someone arrived keeps
 * the event's (newer) profile for that person.
 *
 * @example
 * ```ts
 * const stop = client.profiles.watch('acme');
 * client.profiles.get(message.authorId)?.displayName ?? message.authorName;
 * await client.profiles.update({ status: 'On holiday' });
 * ```
 */
export class ProfilesStore {
  readonly #opts: ProfilesStoreOptions;
  readonly #emitter = new Emitter();
  readonly #partitions = new Map<string, PartitionLoad>();
  readonly #offEvents: () => void;
  #byId: Readonly<Record<string, Profile>> = {};
  /** Counts events applied; per person, the count when their last one was. */
  #eventSeq = 0;
  readonly #eventAt = new Map<string, number>();
  /** A change that failed without a refusal (the network, the change limit): its opId, kept for the same change. */
  #unfinished: { key: string; opId: string } | null = null;

  constructor(options: ProfilesStoreOptions) {
    this.#opts = options;
    this.#offEvents = options.events.onEvent((event) => {
      if (event.type !== 'profile.updated') return;
      this.#eventAt.set(event.data.userId, ++this.#eventSeq);
      this.#put([event.data]);
    });
  }

  subscribe = (listener: () => void): (() => void) => this.#emitter.on(listener);

  /** Every known profile by user id; the same object until one changes. */
  getSnapshot = (): Readonly<Record<string, Profile>> => this.#byId;

  get(userId: string): Profile | undefined {
    return this.#byId[userId];
  }

  /** Whether a watched workspace's profiles have loaded. */
  status(partitionId: string): { status: 'idle' | PartitionLoad['status']; error: string | null } {
    const p = this.#partitions.get(partitionId);
    return p ? { status: p.status, error: p.error } : { status: 'idle', error: null };
  }

  avatarUrl(avatarId: string): string {
    return this.#opts.api.avatarUrl(avatarId);
  }

  /** Loads the workspace's profiles and follows its stream until the returned function is called (counted). */
  watch(partitionId: string): () => void {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = { watchers: 0, status: 'loading', error: null, off: null };
      this.#partitions.set(partitionId, p);
    }
    p.watchers++;
    if (p.watchers === 1) {
      p.off = this.#opts.events.watch(partitionId);
      if (p.status !== 'ready') void this.load(partitionId);
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      const q = this.#partitions.get(partitionId);
      if (!q) return;
      q.watchers--;
      if (q.watchers === 0) {
        q.off?.();
        q.off = null;
      }
    };
  }

  /** Reads the workspace's profiles again (after an error). */
  async load(partitionId: string): Promise<void> {
    let p = this.#partitions.get(partitionId);
    if (!p) {
      p = { watchers: 0, status: 'loading', error: null, off: null };
      this.#partitions.set(partitionId, p);
    }
    const startSeq = this.#eventSeq;
    if (p.status === 'error') {
      p.status = 'loading';
      p.error = null;
      this.#emitter.emit();
    }
    try {
      const list = await this.#opts.api.list(partitionId);
      this.#put(list.filter((profile) => (this.#eventAt.get(profile.userId) ?? 0) <= startSeq));
      p.status = 'ready';
      p.error = null;
    } catch (error) {
      p.status = 'error';
      p.error = messageOf(error);
    }
    this.#emitter.emit();
  }

  /** Your own profile, from the server (and into the store). */
  async mine(): Promise<Profile> {
    const profile = await this.#opts.api.mine();
    this.#put([profile]);
    return profile;
  }

  /**
   * Changes your profile (needs the network). One `opId` for all attempts of the same change
   * (a lost answer is retried once at once; the same change asked again after the network or
   * the change limit stopped it keeps its opId): it completes in every workspace, never twice.
   * Refusals (bad input) reject with the server's error, `data.fieldErrors` naming the field.
   */
  async update(change: ProfileChange): Promise<Profile> {
    const key = JSON.stringify([change.displayName, change.status, change.avatarId]);
    // The same change again after it failed part-way keeps its opId: the server then completes
    // it in the workspaces not told yet, rather than starting over (and hitting the limit again).
    const opId = this.#unfinished?.key === key ? this.#unfinished.opId : uuidv7();
    const input = { ...change, opId };
    let profile: Profile;
    try {
      try {
        profile = await this.#opts.api.update(input);
      } catch (error) {
        // No answer (a dropped connection): once more with the same opId; a refusal is final.
        if (errorCode(error) !== undefined) throw error;
        profile = await this.#opts.api.update(input);
      }
    } catch (error) {
      const code = errorCode(error);
      this.#unfinished = code === undefined || code === 'TOO_MANY_REQUESTS' || code === 'INTERNAL_SERVER_ERROR' ? { key, opId } : null;
      throw error;
    }
    this.#unfinished = null;
    this.#eventAt.set(profile.userId, ++this.#eventSeq);
    this.#put([profile]);
    return profile;
  }

  /** Stores an image as an avatar and answers its id; `update({ avatarId })` then makes it yours. */
  uploadAvatar(file: Blob, signal?: AbortSignal): Promise<{ id: string }> {
    return this.#opts.api.uploadAvatar(file, signal);
  }

  close(): void {
    this.#offEvents();
    for (const p of this.#partitions.values()) p.off?.();
    this.#partitions.clear();
  }

  #put(profiles: readonly Profile[]): void {
    let next: Record<string, Profile> | null = null;
    for (const profile of profiles) {
      const before = (next ?? this.#byId)[profile.userId];
      if (before && before.displayName === profile.displayName && before.status === profile.status && before.avatarId === profile.avatarId) continue;
      next ??= { ...this.#byId };
      next[profile.userId] = { userId: profile.userId, displayName: profile.displayName, status: profile.status, avatarId: profile.avatarId };
    }
    if (next) {
      this.#byId = next;
      this.#emitter.emit();
    }
  }
}
