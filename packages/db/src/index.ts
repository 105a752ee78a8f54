/**
 * @parley/db — Kysely types, the connection (pg or embedded PGlite), the global migrator and
 * the per-partition table provisioner.
 *
 * @example
 * ```ts
 * const { db, close } = await createDb({ dataDir: './.data/db' });
 * await migrateToLatest(db);
 * const rows = await db.selectFrom(pt(parsePartitionId('acme'), 'messages')).selectAll().execute();
 * await close();
 * ```
 */
export * from './schema.ts';
export { createDb, PREPARED, type CreateDbOptions, type DbDriver, type DbHandle, type PoolStats } from './create-db.ts';
export { PARTITION_ID_PATTERN, isPartitionId, parsePartitionId, pt, ptAs, type PartitionId } from './partition-id.ts';
export { applyPartitionTemplates, latestTemplateVersion, migrateToLatest, tableExists, upgradeAllPartitions, upgradePartition } from './migrate.ts';
export { pgErrorCode } from './pg-error.ts';
