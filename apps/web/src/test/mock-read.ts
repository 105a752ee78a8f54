import type { RequestHandler } from 'msw';
import type { createTRPCMsw } from 'msw-trpc';
import { TRPCError } from '@trpc/server';
import { READ_PAST_END, RECEIPTS_MAX_MEMBERS, REFUSAL, type AppRouter, type MessageDto, type ReadReceiptsDto, type ReadStateDto } from '@parley/client';
import type { Me, ParleyEvent, Role } from '../lib/trpc.ts';
import { findRoom } from './mock-conversations.ts';
import { roomAudience, type Audience, type MockRoom, type PartitionState } from './mock-state.ts';

/** What the read procedures need of `MockParley`. */
export interface ReadHost {
  readonly partitions: ReadonlyMap<string, PartitionState>;
  access(partitionId: string, min: 'viewer' | 'member' | 'admin'): { p: PartitionState; me: Me; role: Role };
  signedIn(): Me;
  append(p: PartitionState, audience: Audience, make: (id: number, at: string) => ParleyEvent): ParleyEvent;
  once<T>(opId: string | undefined, run: () => T): T;
  /** Every message of the partition as the server has it now (deleted ones as tombstones). */
  messages(p: PartitionState): MessageDto[];
  displayName(userId: string): string;
}

type Trpc = ReturnType<typeof createTRPCMsw<AppRouter>>;

/**
 * Read positions and receipts (`read.summary`, `read.mark`, `read.markAll`, `read.receipts`,
 * `user.receipts`, `user.setReceipts`) as the real server has them (`features/read`): positions
 * only move forward, a mark past the room's last message is refused, a move is a `read.updated`
 * event for the reader, and for the room's members too where receipts apply.
 */
export class MockRead {
  /** `${partitionId}/${roomId}/${userId}` → { eventId, at }. */
  readonly positions = new Map<string, { eventId: number; at: string }>();
  /** Who turned receipts off. */
  readonly receiptsOff = new Set<string>();
  /** Every `read.mark` the client sent, in order. */
  readonly marks: { roomId: string; eventId: number }[] = [];
  readonly #host: ReadHost;

  constructor(host: ReadHost) {
    this.#host = host;
  }

  /** Someone (Bob, say) reads a room up to `eventId`, with no checks. */
  readAs(partitionId: string, roomId: string, userId: string, eventId: number): void {
    const p = this.#host.partitions.get(partitionId)!;
    this.#move(p, findRoom(p, roomId)!, userId, eventId);
  }

  procedures(t: Trpc): RequestHandler[] {
    const host = this.#host;
    return [
      t.read.summary.query(({ input }) => {
        const { p, me } = host.access(input.partitionId, 'viewer');
        return p.rooms.filter((r) => r.members.has(me.id)).map((r) => this.#state(p, r, me.id));
      }),
      t.read.mark.mutation(({ input }) =>
        host.once(input.opId, () => {
          const { p, me } = host.access(input.partitionId, 'viewer');
          const r = findRoom(p, input.roomId);
          if (!r || !r.members.has(me.id)) throw new TRPCError({ code: 'NOT_FOUND', message: REFUSAL.noSuchRoom });
          this.marks.push({ roomId: input.roomId, eventId: input.eventId });
          const { lastReadEventId, lastMessageEventId } = this.#state(p, r, me.id);
          if (input.eventId > lastMessageEventId) throw new TRPCError({ code: 'BAD_REQUEST', message: READ_PAST_END });
          if (input.eventId <= lastReadEventId) return { roomId: input.roomId, eventId: lastReadEventId, moved: false };
          this.#move(p, r, me.id, input.eventId);
          return { roomId: input.roomId, eventId: input.eventId, moved: true };
        }),
      ),
      t.read.markAll.mutation(({ input }) =>
        host.once(input.opId, () => {
          const { p, me } = host.access(input.partitionId, 'viewer');
          const rooms = [];
          for (const r of p.rooms.filter((room) => room.members.has(me.id))) {
            const state = this.#state(p, r, me.id);
            if (state.lastMessageEventId <= state.lastReadEventId) continue;
            this.#move(p, r, me.id, state.lastMessageEventId);
            rooms.push({ roomId: r.room.id, eventId: state.lastMessageEventId, moved: true });
          }
          return { rooms };
        }),
      ),
      t.read.receipts.query(({ input }): ReadReceiptsDto => {
        const { p, me } = host.access(input.partitionId, 'viewer');
        const r = findRoom(p, input.roomId);
        if (!r || !r.members.has(me.id)) throw new TRPCError({ code: 'NOT_FOUND', message: REFUSAL.noSuchRoom });
        if (this.receiptsOff.has(me.id)) return { roomId: input.roomId, status: 'off', readers: [] };
        if (!this.#small(r)) return { roomId: input.roomId, status: 'too-big', readers: [] };
        const readers = [...r.members.keys()]
          .filter((id) => id !== me.id && !this.receiptsOff.has(id))
          .flatMap((id) => {
            const at = this.positions.get(`${p.partition.id}/${r.room.id}/${id}`);
            return at ? [{ userId: id, displayName: host.displayName(id), eventId: at.eventId, at: at.at }] : [];
          })
          .sort((a, b) => b.eventId - a.eventId);
        return { roomId: input.roomId, status: 'shown', readers };
      }),
      t.user.receipts.query(() => ({ enabled: !this.receiptsOff.has(host.signedIn().id) })),
      t.user.setReceipts.mutation(({ input }) => {
        const me = host.signedIn();
        if (input.enabled) this.receiptsOff.delete(me.id);
        else this.receiptsOff.add(me.id);
        return { enabled: input.enabled };
      }),
    ];
  }

  #small(r: MockRoom): boolean {
    return r.room.kind === 'dm' || r.members.size <= RECEIPTS_MAX_MEMBERS;
  }

  #state(p: PartitionState, r: MockRoom, userId: string): ReadStateDto {
    const messages = this.#host.messages(p).filter((m) => m.roomId === r.room.id);
    const joinedAt = r.members.get(userId)?.joinedAt ?? '';
    const position = this.positions.get(`${p.partition.id}/${r.room.id}/${userId}`)?.eventId;
    // Never marked: read up to where the room was when they joined (as the server's default).
    const lastRead = position ?? Math.max(0, ...messages.filter((m) => m.createdAt <= joinedAt).map((m) => m.eventId));
    const unread = messages.filter((m) => m.eventId > lastRead && m.authorId !== userId && !m.deletedAt);
    return {
      roomId: r.room.id,
      lastReadEventId: lastRead,
      lastMessageEventId: Math.max(0, ...messages.map((m) => m.eventId)),
      unread: unread.length,
      mentions: unread.filter((m) => (m.mentions ?? []).includes(userId) || (m.mentions ?? []).includes('room')).length,
    };
  }

  #move(p: PartitionState, r: MockRoom, userId: string, eventId: number): void {
    const receipts = this.#small(r) && !this.receiptsOff.has(userId);
    const event = this.#host.append(p, receipts ? roomAudience(r) : new Set([userId]), (id, at) => ({
      id,
      partitionId: p.partition.id,
      roomId: r.room.id,
      at,
      actorId: userId,
      type: 'read.updated',
      data: { roomId: r.room.id, userId, eventId, receipts },
    }));
    this.positions.set(`${p.partition.id}/${r.room.id}/${userId}`, { eventId, at: event.at });
  }
}
