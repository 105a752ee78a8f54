import { type Kysely, sql } from 'kysely';

/**
 * Message search (issue 13): each message's words as a stored, generated `tsvector`, a GIN
 * index on it, and a B-tree on the time of sending for searches within dates. PostgreSQL keeps the column in step with `body` in the same statement that
 * writes the body, so an edit is found by its new text only, and a deletion for everyone (the
 * body becomes '') leaves nothing to find.
 *
 * The text search configuration is `simple`: it lower-cases words and does nothing else (no
 * stemming, no stop words). A workspace writes in any mix of languages, and a language's
 * configuration would mangle the others' words (`english` stems "Bücher" as if it were English
 * and drops "it" and "was"); `simple` treats every language alike, and finds exactly the words
 * typed: "deploy" finds "deploy", not "deploying". It is also the one configuration every
 * PostgreSQL (PGlite included) has. Changing it later means rewriting this column in every
 * workspace, so it is named here, once, and `search.repo.ts` uses the same name.
 *
 * On a workspace that already has messages, adding a stored column rewrites the table (under
 * its lock, at the node's start): about a minute per million messages.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  const messages = sql.table(t('messages'));
  await sql`alter table ${messages} add column search_tsv tsvector generated always as (to_tsvector('simple'::regconfig, body)) stored`.execute(db);
  await sql`create index ${sql.id(`${t('messages')}_search_idx`)} on ${messages} using gin (search_tsv)`.execute(db);
  // A search with dates reads its hits newest first along this index, from the end of the
  // range: without it PostgreSQL walks back through every newer message first (measured in
  // `pnpm bench:search`: 230 ms for a common word a year back, 8 ms with it).
  await sql`create index ${sql.id(`${t('messages')}_created_idx`)} on ${messages} (created_at, event_id)`.execute(db);
}
