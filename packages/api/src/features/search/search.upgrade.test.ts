import { sql } from 'kysely';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { latestTemplateVersion, upgradeAllPartitions } from '@parley/db';
import { createTestApi, createTestWorkspace, type TestApi } from '../../testing.ts';
import { newClientId, undoAttentionTemplate } from '../../test-util.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

test('a workspace made before search (template 4) is upgraded at startup, and its old messages are found', async () => {
  const { owner, general } = await createTestWorkspace(api, 'pre_search', 'su_owner');
  const P = { partitionId: 'pre_search' };
  await owner.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'written before search existed' });
  // As template version 4 left it: no search column, no indexes.
  await api.deps.db.transaction().execute(async (trx) => {
    await undoAttentionTemplate(trx, 'pre_search');
    await sql`alter table messages_pre_search drop column search_tsv`.execute(trx);
    await sql`drop index messages_pre_search_created_idx`.execute(trx);
    await trx.updateTable('partitions').set({ template_version: 4 }).where('id', '=', 'pre_search').execute();
  });
  expect(await upgradeAllPartitions(api.deps.db)).toEqual(['pre_search']);
  const row = await api.deps.db.selectFrom('partitions').select('template_version').where('id', '=', 'pre_search').executeTakeFirstOrThrow();
  expect(row.template_version).toBe(await latestTemplateVersion());
  const indexes = await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes
    where indexname in ('messages_pre_search_search_idx', 'messages_pre_search_created_idx') order by indexname`.execute(api.deps.db);
  expect(indexes.rows.map((r) => r.def.replace(/^.* USING /, ''))).toEqual(['btree (created_at, event_id)', 'gin (search_tsv)']);

  expect((await owner.caller.search.messages({ ...P, query: 'before' })).hits.map((h) => h.snippet.text)).toEqual(['written before search existed']);
  await owner.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'and written after' });
  expect((await owner.caller.search.messages({ ...P, query: 'written' })).hits.map((h) => h.snippet.text)).toEqual([
    'and written after',
    'written before search existed',
  ]);
});
