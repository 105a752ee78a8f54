import { DynamicModule } from 'kysely';
import type { Database, PartitionTableName } from './schema.ts';

declare const brand: unique symbol;
/** A partition id that has passed {@link parsePartitionId}: safe inside an SQL identifier. */
export type PartitionId = string & { readonly [brand]: 'PartitionId' };

export const PARTITION_ID_PATTERN = /^[a-z0-9][a-z0-9_]{2,31}$/;

export function isPartitionId(value: string): value is PartitionId {
  return PARTITION_ID_PATTERN.test(value);
}

/** Validates a partition id before it can reach SQL. Throws on anything else. */
export function parsePartitionId(value: string): PartitionId {
  if (!isPartitionId(value)) {
    throw new Error(`invalid partition id ${JSON.stringify(value)}: expected ${PARTITION_ID_PATTERN}`);
  }
  return value;
}

/**
 * The one way to name a per-partition table. The template-literal return type makes
 * Kysely resolve the table's row type, so queries stay fully typed.
 */
export function pt<K extends PartitionTableName>(partitionId: PartitionId, table: K): `${K}_${string}` {
  // Re-check at runtime: a cast elsewhere must not smuggle an unchecked string into SQL.
  if (!isPartitionId(partitionId)) throw new Error(`invalid partition id ${JSON.stringify(partitionId)}`);
  return `${table}_${partitionId}`;
}

const dynamic = new DynamicModule<Database>();

/**
 * `pt()` with an alias, for joins: `db.selectFrom(ptAs(pid, 'messages', 'm'))`. Kysely's
 * dynamic table keeps the row type, which a `'… as m'` string with a template type does not.
 */
export function ptAs<K extends PartitionTableName, A extends string>(partitionId: PartitionId, table: K, alias: A) {
  return dynamic.table(pt(partitionId, table)).as(alias);
}
