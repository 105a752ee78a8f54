import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { createDb, PREPARED, type DbHandle } from './create-db.ts';
import { createTestDatabase, postgresForTests, type TestDatabase } from './test-services.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('prepared statements on PostgreSQL', () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    handle = await createDb({ databaseUrl: testDb.url, poolSize: 2 });
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  test('on writeDb, a statement marked PREPARED is parsed once per connection and planned once (generic plan); others are not kept', async () => {
    await handle.writeDb.connection().execute(async (db) => {
      for (const ids of [[1], [1, 2, 3], [], [4, 5]]) {
        const { rows } = await sql<{ n: number }>`${sql.raw(PREPARED)} select count(*)::int as n from unnest(${ids}::int[]) as u(id) where u.id > ${0}`.execute(
          db,
        );
        expect(rows[0]!.n).toBe(ids.length);
      }
      await sql`select 1`.execute(db);
      const { rows } = await sql<{ statement: string; generic_plans: number; custom_plans: number }>`
        select statement, generic_plans::int, custom_plans::int from pg_prepared_statements`.execute(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.statement.startsWith(PREPARED)).toBe(true);
      expect(rows[0]).toMatchObject({ generic_plans: 4, custom_plans: 0 });
    });
  });
});
