import { sql } from 'kysely';
import { expect, test } from 'vitest';
import { createDb } from './create-db.ts';

test('the embedded database runs with small buffers, so its memory stays bounded', async () => {
  await using database = await createDb({ dataDir: 'memory://' });
  expect(database.driver).toBe('pglite');
  const show = async (name: string) => (await sql<Record<string, string>>`show ${sql.raw(name)}`.execute(database.db)).rows[0]![name];
  expect(await show('shared_buffers')).toBe('16MB');
  expect(await show('maintenance_work_mem')).toBe('16MB');
  // PGlite's own start parameters still apply alongside ours.
  expect(await show('search_path')).toBe('public');
  const row = (await sql<{ at: string; n: number }>`select '2026-01-02 03:04:05+00'::timestamptz as at, 5::int8 as n`.execute(database.db)).rows[0]!;
  expect(row).toEqual({ at: '2026-01-02T03:04:05.000Z', n: 5 });
});
