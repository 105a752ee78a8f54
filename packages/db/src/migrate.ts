import { type Kysely, sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Database } from './schema.ts';
import { type PartitionId, pt } from './partition-id.ts';
import { loadTemplateModules } from './template-files.ts';

/** `db/migrations/*.ts` in name order; each exports `up(db)`. */
class FolderProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const { name, module } of await loadTemplateModules('migrations')) out[name] = module as Migration;
    return out;
  }
}

/** Applies the global migrations (idempotent, safe to run from several nodes at once). */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new FolderProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error('database migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A per-partition template file: creates or alters that partition's tables. */
export interface PartitionTemplate {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the frozen templates type their own tables
  up(db: Kysely<any>, table: (name: string) => string, partitionId: string): Promise<void>;
}

let templateCache: Promise<PartitionTemplate[]> | undefined;

export function loadPartitionTemplates(): Promise<PartitionTemplate[]> {
  templateCache ??= loadTemplateModules('partition').then((files) => files.map((f) => f.module as PartitionTemplate));
  return templateCache;
}

/** The number of template files: a partition at this version is up to date. */
export async function latestTemplateVersion(): Promise<number> {
  return (await loadPartitionTemplates()).length;
}

/**
 * Brings one partition's tables to the latest template version. Must run inside a
 * transaction that holds the partition row lock (see {@link upgradePartition}).
 */
export async function applyPartitionTemplates(trx: Kysely<Database>, partitionId: PartitionId, fromVersion: number, toVersion?: number): Promise<number> {
  const templates = await loadPartitionTemplates();
  const target = Math.min(toVersion ?? templates.length, templates.length);
  const table = (name: string) => pt(partitionId, name as 'messages');
  for (const template of templates.slice(fromVersion, target)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see PartitionTemplate
    await template.up(trx as Kysely<any>, table, partitionId);
  }
  await trx.updateTable('partitions').set({ template_version: target }).where('id', '=', partitionId).execute();
  return target;
}

/** Upgrades one partition under its row lock, so two nodes starting at once do not race. */
export async function upgradePartition(db: Kysely<Database>, partitionId: PartitionId): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('partitions').select('template_version').where('id', '=', partitionId).forUpdate().executeTakeFirstOrThrow();
    if (row.template_version >= (await latestTemplateVersion())) return row.template_version;
    return applyPartitionTemplates(trx, partitionId, row.template_version);
  });
}

/** Upgrades every partition whose template version is behind. Returns the ids upgraded. */
export async function upgradeAllPartitions(db: Kysely<Database>): Promise<string[]> {
  const latest = await latestTemplateVersion();
  const behind = await db.selectFrom('partitions').select('id').where('template_version', '<', latest).execute();
  for (const { id } of behind) await upgradePartition(db, id as PartitionId);
  return behind.map((r) => r.id);
}

/** Whether a table exists (used by health checks and tests). */
export async function tableExists(db: Kysely<Database>, name: string): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`select to_regclass(${name}) is not null as ok`.execute(db);
  return r.rows[0]?.ok ?? false;
}
