import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyPartitionTemplates, latestTemplateVersion, parsePartitionId, upgradePartition } from '@parley/db';
import { createTestApi, type TestApi } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test('a workspace made before conversations is upgraded: its rooms are public, their creators admins, old messages read with the new fields', async () => {
  const ada = await api.signUp('ada_up');
  await ada.caller.partition.create({ id: 'legacy', name: 'Legacy' });
  const general = (await ada.caller.room.list({ partitionId: 'legacy' }))[0]!.id;
  await ada.caller.message.send({ partitionId: 'legacy', roomId: general, clientId: newClientId(), body: 'before' });
  // Rebuild it as template version 2 had it (the chat and media tables only), with its rows.
  const pid = parsePartitionId('legacy');
  await api.deps.db.transaction().execute(async (trx) => {
    for (const t of [
      'read_positions',
      'room_notify',
      'note_versions',
      'notes',
      'ops',
      'announcement_dismissals',
      'announcements',
      'reactions',
      'message_hides',
      'message_edits',
      'media',
      'events',
      'messages',
      'room_members',
      'rooms',
    ]) {
      await sql`create temp table ${sql.id(`keep_${t}`)} as select * from ${sql.table(`${t}_legacy`)}`.execute(trx).catch(() => undefined);
      await sql`drop table ${sql.table(`${t}_legacy`)} cascade`.execute(trx);
    }
    await applyPartitionTemplates(trx, pid, 0, 2);
    await sql`insert into rooms_legacy (id, name, created_by, created_at) select id, name, created_by, created_at from keep_rooms`.execute(trx);
    await sql`insert into room_members_legacy (room_id, user_id, joined_at) select room_id, user_id, joined_at from keep_room_members`.execute(trx);
    await sql`insert into messages_legacy (id, room_id, author_id, client_id, body, event_id, created_at) select id, room_id, author_id, client_id, body, event_id, created_at from keep_messages`.execute(
      trx,
    );
    // Events as version 2 wrote them: a created message without the new fields.
    await sql`insert into events_legacy select id, type, room_id, actor_id, case when type = 'message.created' then data - 'replyTo' - 'editedAt' - 'deletedAt' - 'pinnedAt' - 'pinnedBy' - 'reactions' else data end, created_at from keep_events`.execute(
      trx,
    );
  });
  expect(await upgradePartition(api.deps.db, pid)).toBe(await latestTemplateVersion());
  const rooms = await ada.caller.room.list({ partitionId: 'legacy' });
  expect(rooms[0]).toMatchObject({ kind: 'public', topic: '', myRole: 'admin' });
  const page = await ada.caller.message.list({ partitionId: 'legacy', roomId: general });
  expect(page.messages[0]).toMatchObject({ body: 'before', reactions: [], replyTo: null, editedAt: null });
  const onEvent = (await ada.caller.event.onEvent({ partitionId: 'legacy', lastEventId: 0 })) as AsyncIterable<unknown>;
  for await (const item of onEvent) {
    const event = (item as [string, { type: string; data: Record<string, unknown> }])[1];
    if (event.type === 'message.created') {
      expect(event.data).toMatchObject({ body: 'before', reactions: [], replyTo: null, pinnedAt: null });
      break;
    }
  }
});
