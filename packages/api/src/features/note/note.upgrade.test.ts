import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { latestTemplateVersion, tableExists, upgradeAllPartitions } from '@parley/db';
import { createTestApi, createTestWorkspace, type TestApi } from '../../testing.ts';
import { undoAttentionTemplate } from '../../test-util.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test('a workspace made before notes (template 3) gets its notes tables at startup, and they work', async () => {
  const { owner } = await createTestWorkspace(api, 'pre_notes', 'nu_owner');
  // As template version 3 left it: no notes tables, and none of the later templates' parts (search).
  await api.deps.db.transaction().execute(async (trx) => {
    await undoAttentionTemplate(trx, 'pre_notes');
    await sql`drop table note_versions_pre_notes, notes_pre_notes`.execute(trx);
    await sql`drop index messages_pre_notes_created_idx`.execute(trx);
    await sql`alter table messages_pre_notes drop column search_tsv`.execute(trx);
    await trx.updateTable('partitions').set({ template_version: 3 }).where('id', '=', 'pre_notes').execute();
  });
  expect(await tableExists(api.deps.db, 'notes_pre_notes')).toBe(false);

  expect(await upgradeAllPartitions(api.deps.db)).toEqual(['pre_notes']);
  const row = await api.deps.db.selectFrom('partitions').select('template_version').where('id', '=', 'pre_notes').executeTakeFirstOrThrow();
  expect(row.template_version).toBe(await latestTemplateVersion());
  const note = await owner.caller.note.create({ partitionId: 'pre_notes', title: 'After the upgrade' });
  const { token } = await owner.caller.note.lock({ partitionId: 'pre_notes', noteId: note.id });
  expect((await owner.caller.note.save({ partitionId: 'pre_notes', noteId: note.id, token, body: 'works' })).version).toBe(2);
});
