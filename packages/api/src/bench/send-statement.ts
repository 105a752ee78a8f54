/**
 * `pnpm bench:statement`: PostgreSQL's CPU for one send's statement, and what each part of what
 * it writes costs (issue 12: "does the event need its own copy of the message row? fewer
 * indexes?"). A benchmark, not a test: it prints numbers and writes
 * docs/benchmarks-send-statement.md (`--no-write`: only print).
 *
 * On a fresh database of the PostgreSQL server at DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres; it must be on this machine, its backend's CPU is
 * read from /proc), one workspace per variant, made by the API itself. Every send is the
 * production statement (`insertMessagesWithEvents`, a batch of one: every send at low load) on
 * one write-lane session, as a node runs it; a variant changes only the workspace's tables or
 * the event's data. The variants run in interleaved rounds (each round every variant once), and
 * each figure is the median of the rounds: the backend's user + system CPU (/proc/<pid>/stat)
 * and the WAL written, per send. The commit is in it; the WAL's fsync (waited for, not CPU of
 * the backend) and the background processes are not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { createDb, parsePartitionId, pt, type Database, type PartitionId } from '@parley/db';
import { createTestDatabase } from '@parley/db/test-services';
import { insertMessagesWithEvents, type NewMessage } from '../features/message/message.repo.ts';
import { newMessageEventData } from '../features/message/message.service.ts';
import { createTestApi, createTestWorkspace, type TestUser } from '../testing.ts';

const REPORT = new URL('../../../../docs/benchmarks-send-statement.md', import.meta.url);
const CLOCK_TICKS_PER_S = 100;

/** A body of 200 bytes, as `pnpm bench --compare` sends (a marker, then words). */
const BODY = `b|0|0|${Date.now()}|`.padEnd(200, ' lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor');

interface Variant {
  name: string;
  /** What it changes, for the report. */
  what: string;
  /** Statements run on the workspace's tables first (`t`: a table's name in it). */
  ddl?: (t: (table: 'messages') => string) => string[];
  /** The event's data holds the message's ids only, not its copy. */
  idsOnlyEvent?: boolean;
  /** The Socket.IO peer's insert (scripts/peer/protocol.ts) instead of Parley's statement. */
  peer?: boolean;
}

const dropSearchIndex = (t: (table: 'messages') => string) => [`drop index ${t('messages')}_search_idx`];
const dropSearchColumn = (t: (table: 'messages') => string) => [...dropSearchIndex(t), `alter table ${t('messages')} drop column search_tsv`];
const dropDateIndex = (t: (table: 'messages') => string) => [`drop index ${t('messages')}_created_idx`];

const VARIANTS: Variant[] = [
  { name: 'as shipped', what: 'the message row (9 indexes, the search column), the event row with the message in its data, the counter row' },
  { name: 'no search index', what: 'without the GIN index on the search column (db/partition/0005_search.ts)', ddl: dropSearchIndex },
  { name: 'no search column', what: 'without the search column (`to_tsvector` of every body) nor its index', ddl: dropSearchColumn },
  { name: 'no date index', what: 'without the index on the time of sending (searches within dates)', ddl: dropDateIndex },
  { name: 'event without the copy', what: "the event's data holds the message's ids only (a log read would join the message row)", idsOnlyEvent: true },
  {
    name: 'all four',
    what: 'no search column nor index, no date index, the event without the copy',
    ddl: (t) => [...dropSearchColumn(t), ...dropDateIndex(t)],
    idsOnlyEvent: true,
  },
  {
    name: "the peer's insert",
    what: '`INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING id` into one table of 2 indexes, as the peer sends it',
    peer: true,
  },
];

/** As scripts/peer/protocol.ts (scripts may not be imported from here). */
const PEER_TABLE_SQL = `create table if not exists peer_messages (
  id bigserial primary key, client_id uuid unique not null, room text not null, body text not null, author text not null, created_at timestamptz default now())`;

interface Target {
  variant: Variant;
  partitionId: PartitionId;
  roomId: string;
  author: TestUser;
}

interface Sample {
  cpuUs: number;
  walBytes: number;
}

function backendCpuTicks(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function newMessage(t: Target): NewMessage {
  const id = uuidv7();
  const clientId = uuidv7();
  const input = { roomId: t.roomId, clientId, body: BODY };
  // The event's data as a send makes it (message.service.ts), or only the ids.
  const full = newMessageEventData({
    id,
    partitionId: t.partitionId,
    author: { id: t.author.id, display_name: t.author.username },
    input,
    replyTo: null,
    mentions: [],
    attachment: null,
  });
  const eventData = t.variant.idsOnlyEvent ? { id, clientId } : full;
  return { id, roomId: t.roomId, authorId: t.author.id, clientId, body: BODY, replyTo: null, mentions: [], mediaId: null, eventData };
}

async function sendOnce(lane: Kysely<Database>, t: Target): Promise<void> {
  if (t.variant.peer) {
    await sql`insert into peer_messages (client_id, room, body, author) values (${uuidv7()}, ${t.roomId}, ${BODY}, ${t.author.id})
      on conflict (client_id) do nothing returning id`.execute(lane);
    return;
  }
  const [outcome] = await insertMessagesWithEvents(lane, t.partitionId, [newMessage(t)]);
  if (outcome?.kind !== 'inserted') throw new Error(`${t.variant.name}: the send was ${outcome?.kind}`);
}

async function walLsn(lane: Kysely<Database>): Promise<bigint> {
  const r = await sql<{ lsn: string }>`select (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text as lsn`.execute(lane);
  return BigInt(r.rows[0]!.lsn.split('.')[0]!);
}

async function measure(lane: Kysely<Database>, pid: number, t: Target, sends: number): Promise<Sample> {
  const wal0 = await walLsn(lane);
  const cpu0 = backendCpuTicks(pid);
  for (let i = 0; i < sends; i++) await sendOnce(lane, t);
  const cpu1 = backendCpuTicks(pid);
  const wal1 = await walLsn(lane);
  return { cpuUs: ((cpu1 - cpu0) * 1e6) / CLOCK_TICKS_PER_S / sends, walBytes: Number(wal1 - wal0) / sends };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sends: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false } },
  });
  const sends = Number(values.sends);
  const rounds = Number(values.rounds);
  if (!(sends > 0 && rounds > 0)) throw new Error('--sends and --rounds are positive numbers');
  const baseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = await createTestDatabase(baseUrl);
  const api = await createTestApi({ databaseUrl: database.url });
  // One session, as one write lane of a node (generic plans, index probes only).
  const lanes = await createDb({ databaseUrl: database.url, poolSize: 1, writePoolSize: 1 });
  const lane = lanes.writeLanes[0]!;
  try {
    const loadBefore = loadavg();
    await sql.raw(PEER_TABLE_SQL).execute(lane);
    const targets: Target[] = [];
    for (const [i, variant] of VARIANTS.entries()) {
      const ws = await createTestWorkspace(api, `stmt_${i}`, `author${i}`);
      const partitionId = parsePartitionId(ws.partitionId);
      for (const statement of variant.ddl?.((table) => pt(partitionId, table)) ?? []) await sql.raw(statement).execute(lane);
      targets.push({ variant, partitionId, roomId: ws.general, author: ws.owner });
    }
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(lane)).rows[0]!.pid;
    // Warm-up: the statement prepared, the tables' catalog entries loaded on the session.
    for (const t of targets) for (let i = 0; i < 300; i++) await sendOnce(lane, t);
    const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) samples.get(t.variant)!.push(await measure(lane, pid, t, sends));
      console.log(`round ${r + 1}/${rounds} done`);
    }
    const pidAfter = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(lane)).rows[0]!.pid;
    if (pidAfter !== pid) throw new Error('the lane reconnected during the run: its CPU was not all read');
    const version = (await sql<{ v: string }>`select version() as v`.execute(lane)).rows[0]!.v.split(' on ')[0]!;
    const shipped = median(samples.get(VARIANTS[0]!)!.map((s) => s.cpuUs));
    const rows = VARIANTS.map((v) => {
      const cpu = median(samples.get(v)!.map((s) => s.cpuUs));
      const wal = median(samples.get(v)!.map((s) => s.walBytes));
      const range = samples.get(v)!.map((s) => round(s.cpuUs));
      return { v, cpu, wal, range, saved: shipped - cpu };
    });
    const table = [
      '| variant | what it writes | backend CPU per send (median; rounds) | vs as shipped | WAL per send |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.v.name} | ${r.v.what} | ${round(r.cpu)} µs (${r.range.join(', ')}) | ${r.v === VARIANTS[0] ? '—' : `${r.saved >= 0 ? '−' : '+'}${round(Math.abs(r.saved))} µs`} | ${round(r.wal)} B |`,
      ),
    ].join('\n');
    console.log(`\n${table}\n`);
    const report = `# One send's statement in PostgreSQL, part by part

Written by \`pnpm bench:statement\` (packages/api/src/bench/send-statement.ts); run it again to refresh this page.

| | |
| --- | --- |
| date | ${new Date().toISOString()} |
| machine | ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}; load before ${loadBefore.map((x) => x.toFixed(2)).join(' / ')} |
| PostgreSQL | ${version}, default settings (\`fsync\` and \`synchronous_commit\` on) |
| how | ${sends} sends per variant per round, ${rounds} rounds, the variants interleaved in each round, after 300 sends of warm-up each; one session, as a node's write lane (\`plan_cache_mode = force_generic_plan\`, \`enable_seqscan = off\`); every send its own transaction, as at low load |
| statement | Parley's production send statement (\`insertMessagesWithEvents\` in message.repo.ts, a batch of one): the membership and idempotency checks, the counter row, the message row, the event row |
| read | the backend's user + system CPU from \`/proc/<pid>/stat\` (10 ms ticks), and \`pg_current_wal_insert_lsn()\` before and after; the commit's WAL flush is in the CPU, its fsync wait and the background processes (WAL writer, checkpointer) are not |

${table}

"vs as shipped" is what the variant saves. The peer's insert is the one \`pnpm bench --compare\`'s
Socket.IO peer runs (unnamed: parsed and planned at every send, as the peer sends it).
`;
    if (!values['no-write']) {
      writeFileSync(REPORT, report);
      console.log('wrote docs/benchmarks-send-statement.md');
    }
  } finally {
    await lanes.close();
    await api.close();
    await database.drop();
  }
}

await main();
