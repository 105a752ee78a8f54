import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import type { KindResult } from './measure.ts';
import type { SearchBenchOptions } from './options.ts';
import type { Bench } from './setup.ts';
import { messageShare } from './vocabulary.ts';

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

export function formatRow(r: KindResult): string {
  return `${r.name.padEnd(44)} p50 ${ms(r.p50).padStart(6)} ms   p95 ${ms(r.p95).padStart(6)} ms   max ${ms(r.max).padStart(6)} ms   ${r.hitsPerPage.toFixed(1)} hits/page`;
}

export interface Machine {
  date: string;
  cpus: string;
  memory: string;
  node: string;
  postgres: string;
  load: string;
}

export function machine(postgres: string): Machine {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    postgres,
    load: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
  };
}

export async function writeReport(path: string, options: SearchBenchOptions, bench: Bench, m: Machine, results: KindResult[]): Promise<void> {
  const words = 13;
  // Rooms are picked as floor(n · random()²): room k gets sqrt((k+1)/n) − sqrt(k/n) of the messages.
  const n = bench.rooms.length;
  const busiest = `${(Math.sqrt(1 / n) * 100).toPrecision(2)} %`;
  const quietest = `${((1 - Math.sqrt((n - 1) / n)) * 100).toPrecision(2)} %`;
  const share = (rank: number) => `${(messageShare(rank, options.vocabulary, words) * 100).toPrecision(2)} %`;
  const rows = results.map(
    (r) => `| ${r.name} | \`${r.example.replace(/\|/g, '\\|')}\` | ${r.hitsPerPage.toFixed(1)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} |`,
  );
  const text = `# Message search: benchmark

\`pnpm bench:search\` (scripts/bench-search.ts) on ${m.date}. Rewritten by every run; numbers from one run.

## What it measures

One workspace with **${bench.loaded.messages.toLocaleString('en')} messages** in ${bench.rooms.length} rooms, written by ${bench.authorIds.length} people over two years.
The searcher is in ${bench.rooms.filter((r) => r.mine).length} of the rooms (the others are private rooms without them). Rooms are busy
unevenly (the busiest holds about ${busiest} of all messages, the quietest about ${quietest}). Messages are 4 to 21 words
drawn from a vocabulary of ${options.vocabulary.toLocaleString('en')} words with Zipf's law (exponent 1: the word of rank *r* has a share of
about ln((r+1)/r) / ln(V) of all words), so the top word ("the") is in about ${share(1)} of messages, ranks 15–24 in
about ${share(15)}–${share(24)} each, ranks 2500–2509 in about ${share(2500)} (a few hundred messages). One in 200 messages is
deleted for everyone (${bench.loaded.deleted.toLocaleString('en')}), and the searcher hid ${bench.loaded.hidden.toLocaleString('en')} for themselves.

The people and rooms are made through the API of a real node (\`apps/server\`, on a fresh PostgreSQL database); the
messages are loaded with one \`INSERT … SELECT … generate_series\` per 100,000 (the GIN index dropped first and built once
afterwards, as the template defines it), then \`VACUUM ANALYZE\`. Messages table with its indexes:
${bench.loaded.tableMb.toFixed(0)} MB, of which the GIN index ${bench.loaded.indexMb.toFixed(0)} MB. Loading took ${bench.loaded.seconds.toFixed(0)} s.

Each kind of search is then called ${options.searches} times, one at a time, through the node's real procedure
(\`GET /trpc/search.messages\` with a bearer token: the session and membership checks, the query, the snippets and the
JSON answer included), after 5 untimed calls; times are measured by the caller, first page (20 hits). Each kind
rotates over 10 words (and rooms, people) of the same frequency.

## Results

| kind | input | hits on the page | p50 ms | p95 ms | max ms |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Machine: ${m.cpus}, ${m.memory}, Node ${m.node}, ${m.postgres} with its default settings (shared_buffers 128 MB,
work_mem 4 MB). Load average at the start of the searches: ${m.load}. The node, PostgreSQL and the caller share the machine.

## Why it is fast

Hits are ordered newest first, not by rank. PostgreSQL can then read them in the order of an index and stop at 21
rows: for a common word it walks \`messages_<id>_event_id_key\` (or \`…_room_event_idx\` with a room) backwards and checks
each message's stored \`search_tsv\`, which matches within the first few dozen rows; for a rare word it asks the GIN
index for the few matching rows and sorts them. The planner chooses between the two from the column's statistics
(\`VACUUM ANALYZE\` keeps them). Ranking (\`ts_rank\`) would have to score every match before returning the first: for
the top word that is most of the table.

With dates, hits are read newest first by the time of sending, along \`…_created_idx\` (\`created_at, event_id\`), which
the search template adds for this: the walk starts at the end of the range. Without it, PostgreSQL walked back through
every newer message first, expecting the matches to be spread evenly in time (in the first run of this benchmark:
228 ms at p50 and 306 ms at p95 for a common word 400 to 500 days back; 1.2 s with a cold cache). A common word in one
room within old dates is now the slowest kind: PostgreSQL combines the GIN index with the room's index and sorts.
`;
  await writeFile(path, text);
}
