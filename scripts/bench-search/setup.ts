import pg from 'pg';
import { createNodeProcess, freePort, type NodeProcess } from '../cluster/index.ts';
import { createBenchDatabase } from '../bench/services.ts';
import { caller, type Caller } from './http.ts';
import type { SearchBenchOptions } from './options.ts';
import { vocabulary } from './vocabulary.ts';

export const PARTITION_ID = 'bench';
const PASSWORD = 'correct horse battery';
/** Rows per INSERT statement while loading (progress is printed after each). */
const BATCH = 100_000;
/** One room in this many is private and without the searcher. */
const NOT_MINE_EVERY = 10;

export interface Room {
  id: string;
  mine: boolean;
}

export interface Bench {
  node: NodeProcess;
  databaseUrl: string;
  searcher: Caller;
  rooms: Room[];
  authorIds: string[];
  words: string[];
  /** Messages loaded, those deleted for everyone and those the searcher hid. */
  loaded: { messages: number; deleted: number; hidden: number; seconds: number; tableMb: number; indexMb: number };
}

/** Things to undo, last first (the node, the database). */
export type Cleanup = (() => Promise<void>)[];

const log = (text: string) => console.log(`[bench:search] ${text}`);

/** A fresh database next to `baseUrl`'s (the benchmark's own helper); dropped at the end unless `keep`. */
async function createDatabase(baseUrl: string, cleanup: Cleanup, keep: boolean): Promise<string> {
  const database = await createBenchDatabase(baseUrl);
  // drop() ends its client; a kept database's client is ended now.
  if (keep) await database.client.end();
  else cleanup.push(() => database.drop());
  return database.url;
}

/** A fresh database, one node on it, the people and rooms made through the API, then the messages loaded in bulk. */
export async function setUp(options: SearchBenchOptions, cleanup: Cleanup): Promise<Bench> {
  const databaseUrl = await createDatabase(options.databaseUrl, cleanup, options.keep);
  log(`database ${databaseUrl}`);
  const relaxed = '1000000000/1m';
  const node = createNodeProcess({
    id: 'bench-search',
    port: await freePort(),
    env: {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_REQUESTS_PER_IP: relaxed,
      RATE_LIMIT_CHANGES: relaxed,
      RATE_LIMIT_MESSAGES: relaxed,
      RATE_LIMIT_LOGIN: relaxed,
      RATE_LIMIT_LOGIN_PER_IP: relaxed,
    },
  });
  await node.start();
  cleanup.push(async () => void (await node.stop('SIGTERM')));
  log(`node ${node.url}`);

  const anonymous = caller(node.url);
  const signUp = async (username: string) => {
    const r = await anonymous.mutate<{ user: { id: string }; token: string }>('auth.register', { username, password: PASSWORD, session: 'token' });
    return { id: r.user.id, api: caller(node.url, r.token) };
  };
  const searcher = await signUp('searcher');
  const { inviteCode } = await searcher.api.mutate<{ inviteCode: string }>('partition.create', { id: PARTITION_ID, name: 'Search bench' });
  const authors = [searcher];
  for (let i = 1; i < options.authors; i++) {
    const author = await signUp(`author${i}`);
    await author.api.mutate('partition.join', { inviteCode });
    authors.push(author);
  }
  const rooms: Room[] = [];
  const general = (await searcher.api.query<{ id: string }[]>('room.list', { partitionId: PARTITION_ID }))[0]!;
  rooms.push({ id: general.id, mine: true });
  for (let i = 1; i < options.rooms; i++) {
    const mine = i % NOT_MINE_EVERY !== 0;
    const creator = mine ? searcher.api : authors[1]!.api;
    const room = await creator.mutate<{ id: string }>('room.create', { partitionId: PARTITION_ID, name: `room-${i}`, visibility: mine ? 'public' : 'private' });
    rooms.push({ id: room.id, mine });
  }
  log(`${authors.length} people, ${rooms.length} rooms (the searcher in ${rooms.filter((r) => r.mine).length})`);

  const words = vocabulary(options.vocabulary);
  const loaded = await loadMessages(
    databaseUrl,
    options,
    rooms,
    authors.map((a) => a.id),
    searcher.id,
    words,
  );
  return { node, databaseUrl, searcher: searcher.api, rooms, authorIds: authors.map((a) => a.id), words, loaded };
}

/**
 * Inserts the messages with SQL (generate_series), as fast as PostgreSQL can: the GIN index is
 * dropped first and built once at the end, exactly as the template defines it. Rooms are busy
 * unevenly (a power law), messages are 4 to 21 words of the Zipf vocabulary, sent over the last
 * two years; one in 200 is deleted for everyone, one in 100 of the searcher's rooms hidden by
 * them. Then VACUUM ANALYZE, so the planner knows the words' frequencies.
 */
async function loadMessages(databaseUrl: string, options: SearchBenchOptions, rooms: Room[], authorIds: string[], searcherId: string, words: string[]) {
  const started = performance.now();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const messages = `messages_${PARTITION_ID}`;
    const index = `${messages}_search_idx`;
    await db.query(`set maintenance_work_mem = '512MB'`);
    const { rows: counter } = await db.query<{ last: string }>('select last_event_id as last from partitions where id = $1', [PARTITION_ID]);
    const base = Number(counter[0]!.last);
    await db.query(`drop index ${index}`);
    const spanSeconds = 2 * 365 * 24 * 3600;
    for (let from = 1; from <= options.messages; from += BATCH) {
      const to = Math.min(options.messages, from + BATCH - 1);
      await db.query(
        `insert into ${messages} (id, room_id, author_id, client_id, body, event_id, created_at)
         select 'bench-' || g,
           ($1::text[])[1 + floor(power(random(), 2) * $2)::int],
           ($3::text[])[1 + floor(random() * $4)::int],
           gen_random_uuid(),
           (select string_agg(($5::text[])[least($6::int, floor(exp(random() * ln(array_length($5::text[], 1) + 1)))::int)], ' ')
              from generate_series(1, 4 + floor(random() * 18)::int + 0 * g)),
           $7::bigint + g,
           now() - make_interval(secs => $8::float8 * ($9 - g) / $9)
         from generate_series($10::int, $11::int) g`,
        [rooms.map((r) => r.id), rooms.length, authorIds, authorIds.length, words, words.length, base, spanSeconds, options.messages, from, to],
      );
      log(`${to.toLocaleString('en')} messages`);
    }
    await db.query('update partitions set last_event_id = $1 where id = $2', [base + options.messages, PARTITION_ID]);
    const deleted = await db.query(`update ${messages} set body = '', deleted_at = now(), deleted_by = author_id where event_id % 200 = 0`);
    const mine = rooms.filter((r) => r.mine).map((r) => r.id);
    const hidden = await db.query(
      `insert into message_hides_${PARTITION_ID} (message_id, user_id) select id, $1 from ${messages} where event_id % 100 = 7 and room_id = any($2::text[])`,
      [searcherId, mine],
    );
    log('building the GIN index');
    await db.query(`create index ${index} on ${messages} using gin (search_tsv)`);
    log('vacuum analyze');
    await db.query(`vacuum analyze ${messages}`);
    await db.query(`vacuum analyze message_hides_${PARTITION_ID}`);
    await db.query(`vacuum analyze room_members_${PARTITION_ID}`);
    const { rows: sizes } = await db.query<{ table_mb: string; index_mb: string }>(
      `select pg_total_relation_size($1::regclass) / 1048576.0 as table_mb, pg_relation_size($2::regclass) / 1048576.0 as index_mb`,
      [messages, index],
    );
    return {
      messages: options.messages,
      deleted: deleted.rowCount ?? 0,
      hidden: hidden.rowCount ?? 0,
      seconds: (performance.now() - started) / 1000,
      tableMb: Number(sizes[0]!.table_mb),
      indexMb: Number(sizes[0]!.index_mb),
    };
  } finally {
    await db.end();
  }
}
