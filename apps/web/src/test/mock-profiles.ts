import { http, HttpResponse, type RequestHandler } from 'msw';
import type { createTRPCMsw } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import { PROFILE_REFUSAL, profileFieldRefusal, type AppRouter, type Profile } from '@parley/client';
import type { Me, ParleyEvent, Role } from '../lib/trpc.ts';
import type { Audience, PartitionState } from './mock-state.ts';

/** What the profile procedures need of `MockParley`. */
export interface ProfileHost {
  readonly partitions: ReadonlyMap<string, PartitionState>;
  access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role };
  signedIn(): Me;
  /** The signed-in user's `auth.me` changed (their display name). */
  setMe(me: Me): void;
  append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent;
  once<T>(opId: string | undefined, run: () => T): T;
}

type Trpc = ReturnType<typeof createTRPCMsw<AppRouter>>;
type Change = { displayName?: string | undefined; status?: string | undefined; avatarId?: string | null | undefined };

/** A zod refusal of `profile.schema.ts` as the server's errorFormatter writes it (see mock-notes.ts `invalid`). */
function invalid(field: string, message: string): TRPCError {
  return Object.assign(new TRPCError({ code: 'BAD_REQUEST', message: `${field}: ${message}` }), { fieldErrors: { [field]: [message] } });
}

/**
 * Profiles (`profile.list`, `profile.mine`, `profile.update`) and `POST /avatar` as the real
 * server has them: the same checks and words, an avatar usable only by whoever uploaded it, and
 * a change logged as `profile.updated` in every workspace of the person (the member lists and
 * `auth.me` say the new name too). Tests change someone else's with `changeAs`.
 */
export class MockProfiles {
  /** Set statuses and avatars (display names live in the member lists). */
  readonly #extra = new Map<string, { status: string; avatarId: string | null }>();
  /** Uploaded avatars: id → uploader. */
  readonly avatars = new Map<string, string>();
  /** The content types of the avatar uploads, in order. */
  readonly uploads: string[] = [];
  /** The next `POST /avatar` is refused with this (status, message), once. */
  refuseNextUpload: { status: number; message: string } | null = null;
  readonly #host: ProfileHost;

  constructor(host: ProfileHost) {
    this.#host = host;
  }

  /** The person's profile now (a member of any workspace). */
  profileOf(userId: string): Profile {
    for (const p of this.#host.partitions.values()) {
      const member = p.members.find((m) => m.userId === userId);
      if (member) return { userId, displayName: member.displayName, status: '', avatarId: null, ...this.#extra.get(userId) };
    }
    throw new Error(`no member ${userId}`);
  }

  /** Someone (Bob, say) changes their profile, with no checks: stored, and `profile.updated` in each of their workspaces. */
  changeAs(userId: string, change: Change): Profile {
    return this.#apply(userId, change);
  }

  #apply(userId: string, change: Change): Profile {
    const before = this.profileOf(userId);
    const profile: Profile = {
      userId,
      displayName: change.displayName ?? before.displayName,
      status: change.status ?? before.status,
      avatarId: change.avatarId === undefined ? before.avatarId : change.avatarId,
    };
    this.#extra.set(userId, { status: profile.status, avatarId: profile.avatarId });
    for (const p of this.#host.partitions.values()) {
      const i = p.members.findIndex((m) => m.userId === userId);
      if (i < 0) continue;
      p.members[i] = { ...p.members[i]!, displayName: profile.displayName };
      this.#host.append(p, null, (id, at) => ({ id, partitionId: p.partition.id, roomId: null, at, actorId: userId, type: 'profile.updated', data: profile }));
    }
    return profile;
  }

  procedures(t: Trpc): RequestHandler[] {
    const host = this.#host;
    return [
      t.profile.list.query(({ input }) => {
        const { p } = host.access(input.partitionId, 'viewer');
        return p.members.map((m) => this.profileOf(m.userId));
      }),
      t.profile.mine.query(() => this.profileOf(host.signedIn().id)),
      t.profile.update.mutation(({ input }) => {
        const me = host.signedIn();
        const displayName = input.displayName?.trim();
        const status = input.status?.trim();
        if (displayName !== undefined) {
          const refusal = profileFieldRefusal('displayName', displayName);
          if (refusal) throw invalid('displayName', refusal);
        }
        if (status !== undefined) {
          const refusal = profileFieldRefusal('status', status);
          if (refusal) throw invalid('status', refusal);
        }
        if (displayName === undefined && status === undefined && input.avatarId === undefined) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: PROFILE_REFUSAL.nothingToChange });
        }
        if (input.avatarId && this.avatars.get(input.avatarId) !== me.id) throw new TRPCError({ code: 'NOT_FOUND', message: PROFILE_REFUSAL.noSuchAvatar });
        return host.once(input.opId, () => {
          const profile = this.#apply(me.id, { displayName, status, avatarId: input.avatarId });
          host.setMe({ ...me, displayName: profile.displayName });
          return profile;
        });
      }),
    ];
  }

  /** `POST /avatar` on `origin`: the signed-in user's image, answered `201 { id }`. */
  httpHandlers(origin: string): RequestHandler[] {
    return [
      http.post(`${origin}/avatar`, ({ request }) => {
        const type = request.headers.get('content-type') ?? '';
        this.uploads.push(type);
        const refusal = this.refuseNextUpload;
        if (refusal) {
          this.refuseNextUpload = null;
          return HttpResponse.json({ error: { message: refusal.message, code: 'BAD_REQUEST', httpStatus: refusal.status } }, { status: refusal.status });
        }
        const me = this.#host.signedIn();
        const id = `av-${this.avatars.size + 1}`;
        this.avatars.set(id, me.id);
        return HttpResponse.json({ id }, { status: 201 });
      }),
    ];
  }
}
