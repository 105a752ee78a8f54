import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDb, type DbHandle } from './create-db.ts';
import { applyPartitionTemplates, latestTemplateVersion, migrateToLatest, tableExists, upgradeAllPartitions } from './migrate.ts';
import { parsePartitionId } from './partition-id.ts';
import { createTestDatabase, postgresForTests, type TestDatabase } from './test-services.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('migrations and partition templates on PostgreSQL', () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    handle = await createDb({ databaseUrl: testDb.url });
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  test('global migrations apply once; a second run applies nothing', async () => {
    expect(await migrateToLatest(handle.db)).toEqual([
      '0001_accounts_partitions',
      '0002_cluster',
      '0003_blocks',
      '0004_rejoin_and_admin_setup',
      '0005_profiles',
      '0006_push',
    ]);
    expect(await migrateToLatest(handle.db)).toEqual([]);
    for (const t of ['users', 'sessions', 'partitions', 'memberships', 'nodes', 'leases', 'audit_log', 'blocks', 'past_memberships', 'admin_setup_tokens']) {
      expect(await tableExists(handle.db, t)).toBe(true);
    }
  });

  async function insertPartition(id: string) {
    await handle.db
      .insertInto('users')
      .values({ id: 'u1', username: 'u1', display_name: 'u1', password_hash: 'x' })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await handle.db
      .insertInto('partitions')
      .values({ id, name: id, created_by: 'u1', invite_code_hash: `h_${id}` })
      .execute();
  }

  test('provisioning creates the named tables, in the caller transaction', async () => {
    await insertPartition('p1234');
    const pid = parsePartitionId('p1234');
    await handle.db.transaction().execute((trx) => applyPartitionTemplates(trx, pid, 0));
    for (const t of ['rooms', 'room_members', 'messages', 'events', 'media']) {
      expect(await tableExists(handle.db, `${t}_p1234`)).toBe(true);
    }
    const row = await handle.db.selectFrom('partitions').select('template_version').where('id', '=', 'p1234').executeTakeFirstOrThrow();
    expect(row.template_version).toBe(await latestTemplateVersion());
  });

  test('a failed transaction leaves no tables behind', async () => {
    await insertPartition('p_rollback');
    const pid = parsePartitionId('p_rollback');
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await applyPartitionTemplates(trx, pid, 0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await tableExists(handle.db, 'messages_p_rollback')).toBe(false);
    await handle.db.deleteFrom('partitions').where('id', '=', 'p_rollback').execute();
  });

  test('a partition on an older template version is upgraded when the template gains a file', async () => {
    await insertPartition('p_old');
    const pid = parsePartitionId('p_old');
    // Provision as the first template file alone would have, as if created before 0002 existed.
    await handle.db.transaction().execute((trx) => applyPartitionTemplates(trx, pid, 0, 1));
    expect(await tableExists(handle.db, 'messages_p_old')).toBe(true);
    expect(await tableExists(handle.db, 'media_p_old')).toBe(false);
    expect(await upgradeAllPartitions(handle.db)).toEqual(['p_old']);
    expect(await tableExists(handle.db, 'media_p_old')).toBe(true);
    const cols = await handle.db.introspection.getTables();
    expect(cols.find((t) => t.name === 'messages_p_old')?.columns.map((c) => c.name)).toContain('media_id');
    expect(await upgradeAllPartitions(handle.db)).toEqual([]);
  });
});
