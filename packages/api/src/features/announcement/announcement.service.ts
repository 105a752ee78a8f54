import { uuidv7 } from 'uuidv7';
import { pt, ptAs, type Role } from '@parley/db';
import { REFUSAL } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import type { InPartition } from '../room/room.service.ts';
import type { CreateAnnouncementInput, DismissAnnouncementInput } from './announcement.schema.ts';
import type { AnnouncementDto } from './announcement.types.ts';

/** How many undismissed announcements a member is shown at most (the newest). */
export const ANNOUNCEMENTS_SHOWN = 20;

/** Posts an announcement to the whole workspace (owners and admins; checked by the router). */
export async function createAnnouncement(ctx: InPartition & { role: Role }, input: CreateAnnouncementInput): Promise<AnnouncementDto> {
  return commitChange(ctx, { opId: input.opId, kind: 'announcement.create' }, async (trx) => {
    const row = await trx
      .insertInto(pt(ctx.partitionId, 'announcements'))
      // The event id is set to the event's right after it is appended (below).
      .values({ id: uuidv7(), author_id: ctx.user.id, body: input.body, event_id: 0 })
      .returningAll()
      .executeTakeFirstOrThrow();
    const dto: AnnouncementDto = {
      id: row.id,
      partitionId: ctx.partitionId,
      authorId: ctx.user.id,
      authorName: ctx.user.display_name,
      body: row.body,
      createdAt: row.created_at,
    };
    return {
      result: dto,
      events: [{ type: 'announcement.created', roomId: null, actorId: ctx.user.id, data: dto }],
      afterAppend: async (t, [event]) => {
        await t.updateTable(pt(ctx.partitionId, 'announcements')).set({ event_id: event!.id }).where('id', '=', row.id).execute();
      },
    };
  });
}

export async function listAnnouncements(ctx: InPartition): Promise<AnnouncementDto[]> {
  const rows = await ctx.db
    .selectFrom(ptAs(ctx.partitionId, 'announcements', 'a'))
    .innerJoin('users as u', 'u.id', 'a.author_id')
    .select(['a.id', 'a.author_id', 'u.display_name', 'a.body', 'a.created_at'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom(ptAs(ctx.partitionId, 'announcement_dismissals', 'd'))
            .select('d.announcement_id')
            .whereRef('d.announcement_id', '=', 'a.id')
            .where('d.user_id', '=', ctx.user.id),
        ),
      ),
    )
    .orderBy('a.created_at', 'desc')
    .limit(ANNOUNCEMENTS_SHOWN)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    partitionId: ctx.partitionId,
    authorId: r.author_id,
    authorName: r.display_name,
    body: r.body,
    createdAt: r.created_at,
  }));
}

/** Hides an announcement for the caller, on all their devices. */
export async function dismissAnnouncement(ctx: InPartition, input: DismissAnnouncementInput): Promise<{ id: string; dismissed: true }> {
  return commitChange(ctx, { opId: input.opId, kind: 'announcement.dismiss' }, async (trx) => {
    const exists = await trx.selectFrom(pt(ctx.partitionId, 'announcements')).select('id').where('id', '=', input.announcementId).executeTakeFirst();
    if (!exists) throw new AppError('NOT_FOUND', REFUSAL.noSuchAnnouncement);
    const r = await trx
      .insertInto(pt(ctx.partitionId, 'announcement_dismissals'))
      .values({ announcement_id: input.announcementId, user_id: ctx.user.id })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    const result = { id: input.announcementId, dismissed: true as const };
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return { result, events: [] };
    return {
      result,
      events: [{ type: 'announcement.dismissed', roomId: null, actorId: ctx.user.id, data: { id: input.announcementId, userId: ctx.user.id } }],
    };
  });
}
