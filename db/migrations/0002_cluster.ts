import { type Kysely, sql } from 'kysely';

// Frozen in time: imports kysely only, never the app's types.
// Every time in these tables is written by the database (`now()`), never by a node's clock:
// nodes disagree about the time, the database is the one clock they share.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'draining', 'inactive')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('stopped_at', 'timestamptz')
    .addColumn('connections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('leases_held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pid', 'integer')
    .addColumn('version', 'text')
    .addColumn('url', 'text')
    .execute();

  // One row per (job, scope), kept after release (holder null) so that `generation`, the
  // fencing counter, only ever grows.
  await db.schema
    .createTable('leases')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.references('nodes.id'))
    .addColumn('previous_holder', 'text')
    .addColumn('generation', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('acquired_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('renewed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('leases_pkey', ['job', 'scope'])
    .execute();
  await db.schema.createIndex('leases_holder_idx').on('leases').column('holder').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
}
