import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { tableExists } from '@parley/db';
import { INDEX_NAME_SUFFIXES } from '../../schemas.ts';
import { createTestApi, type TestApi, type TestUser } from '../../testing.ts';
import { trpcError, wireError } from '../../test-util.ts';

let api: TestApi;
let owner: TestUser;
beforeAll(async () => {
  api = await createTestApi();
  owner = await api.signUp('ids_owner');
  await owner.caller.partition.create({ id: 'acme', name: 'Acme' });
});
afterAll(() => api.close());

/** Every table, index, sequence, type and constraint name of the database. */
async function databaseNames(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select relname as name from pg_class where relnamespace = 'public'::regnamespace
    union select conname from pg_constraint where connamespace = 'public'::regnamespace
    union select typname from pg_type where typnamespace = 'public'::regnamespace`.execute(api.deps.db);
  return rows.map((r) => r.name);
}

describe('workspace ids and the names of their tables', () => {
  test("an id that would name another workspace's index is BAD_REQUEST, and nothing is created", async () => {
    // `acme` has the index rooms_acme_name_lower_key: this id would want it as a table name.
    const before = await databaseNames();
    const e = await trpcError(owner.caller.partition.create({ id: 'acme_name_lower_key', name: 'Clash' }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(wireError(e).message).toBe(
      'id: A workspace id cannot end in _pkey, _key, _idx, _seq, _fkey, _check, _excl, _not_null (those endings name database indexes).',
    );
    for (const id of ['acme_pkey', 'b_events_id_seq', 'new_team_idx']) {
      expect((await trpcError(owner.caller.partition.create({ id, name: 'Clash' }))).code).toBe('BAD_REQUEST');
    }
    expect(await databaseNames()).toEqual(before);
    expect((await owner.caller.partition.list()).map((p) => p.id)).toEqual(['acme']);
  });

  test('ids with underscores that name no index still work, next to each other', async () => {
    for (const id of ['acme_sales', 'acme_sales_emea', 'keys_team', 'key_people']) {
      await owner.caller.partition.create({ id, name: id });
      expect(await tableExists(api.deps.db, `rooms_${id}`)).toBe(true);
    }
  });

  test("every name a workspace's tables bring is its table's name or ends in a reserved suffix (the rule above holds for the templates)", async () => {
    const id = 'names_probe';
    const before = new Set(await databaseNames());
    await owner.caller.partition.create({ id, name: 'Probe' });
    const added = (await databaseNames()).filter((n) => !before.has(n));
    expect(added.length).toBeGreaterThan(10);
    const tables = new Set(
      (await sql<{ relname: string }>`select relname from pg_class where relkind = 'r' and relname like ${`%\\_${id}`}`.execute(api.deps.db)).rows.map(
        (r) => r.relname,
      ),
    );
    // The row types of the tables (and their array types, `_<table>`) share the tables' names.
    const other = added.filter((n) => !tables.has(n) && !tables.has(n.replace(/^_/, '')));
    const unsafe = other.filter((n) => !n.includes(`_${id}_`) || !INDEX_NAME_SUFFIXES.some((s) => n.endsWith(s)));
    expect(unsafe).toEqual([]);
  });
});
