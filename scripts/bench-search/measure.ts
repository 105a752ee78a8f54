import { PARTITION_ID, type Bench } from './setup.ts';

/** What the benchmark reads of `search.messages`'s answer. */
interface SearchPage {
  hits: { messageId: string }[];
  nextCursor: number | null;
}

export interface QueryKind {
  name: string;
  /** One search of this kind; `i` picks among its words (and rooms, people) in turn. */
  input(i: number): Record<string, unknown>;
}

export interface KindResult {
  name: string;
  example: string;
  /** Hits on the first page (the page size is the default, 20), averaged. */
  hitsPerPage: number;
  p50: number;
  p95: number;
  max: number;
}

const WARM_UP = 5;

/**
 * The kinds of search people make. Words by frequency rank in the Zipf vocabulary: rank 1
 * ("the") is in about 70 % of messages, ranks 15–24 in about 10 % each, ranks 2500–2509 in
 * about 0.03 % (a few hundred messages of a million).
 */
export function queryKinds(bench: Bench): QueryKind[] {
  const w = bench.words;
  const pick = <T>(list: readonly T[], i: number) => list[i % list.length]!;
  const common = w.slice(14, 24);
  const rare = w.slice(2499, 2509);
  const myRooms = bench.rooms.filter((r) => r.mine).map((r) => r.id);
  // Busy and quiet rooms alike: rooms are busy by a power law of their position.
  const someRooms = [0, 1, 2, 5, 10, 20, 40, 80, 120, 170].map((n) => myRooms[n % myRooms.length]!);
  const month = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString();
  const year = [new Date(Date.now() - 500 * 24 * 3600 * 1000).toISOString(), new Date(Date.now() - 400 * 24 * 3600 * 1000).toISOString()];
  return [
    { name: 'very common word', input: () => ({ query: w[0] }) },
    { name: 'common word', input: (i) => ({ query: pick(common, i) }) },
    { name: 'rare word', input: (i) => ({ query: pick(rare, i) }) },
    { name: 'phrase of two common words', input: (i) => ({ query: `"${w[0]} ${pick(common, i)}"` }) },
    { name: 'two words, both needed', input: (i) => ({ query: `${pick(common, i)} ${pick(common, i + 3)}` }) },
    { name: 'common word, one room', input: (i) => ({ query: pick(common, i), roomId: pick(someRooms, i) }) },
    { name: 'rare word, one room', input: (i) => ({ query: pick(rare, i), roomId: pick(someRooms, i) }) },
    { name: 'common word, one author', input: (i) => ({ query: pick(common, i), authorId: pick(bench.authorIds, i) }) },
    { name: 'common word, last 30 days', input: (i) => ({ query: pick(common, i), after: month }) },
    { name: 'common word, 100 days a year ago', input: (i) => ({ query: pick(common, i), after: year[0], before: year[1] }) },
    {
      name: 'common word, one room, 100 days a year ago',
      input: (i) => ({ query: pick(common, i), roomId: pick(someRooms, i), after: year[0], before: year[1] }),
    },
    { name: 'common word, second page', input: (i) => ({ query: pick(common, i), cursor: 'second-page' }) },
  ];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Runs `searches` timed calls of each kind through the node's `search.messages` (HTTP, one at a time). */
export async function measure(bench: Bench, searches: number, onKind: (r: KindResult) => void): Promise<KindResult[]> {
  const results: KindResult[] = [];
  const secondPage = new Map<string, number | null>();
  const call = async (input: Record<string, unknown>) => {
    let args: Record<string, unknown> = { partitionId: PARTITION_ID, ...input };
    if (input.cursor === 'second-page') {
      // The cursor of the first page, asked once per query (untimed).
      const key = JSON.stringify(input.query);
      if (!secondPage.has(key)) secondPage.set(key, (await bench.searcher.query<SearchPage>('search.messages', { ...args, cursor: undefined })).nextCursor);
      args = { ...args, cursor: secondPage.get(key) ?? undefined };
    }
    const started = performance.now();
    const page = await bench.searcher.query<SearchPage>('search.messages', args);
    return { ms: performance.now() - started, hits: page.hits.length };
  };
  for (const kind of queryKinds(bench)) {
    for (let i = 0; i < WARM_UP; i++) await call(kind.input(i));
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < searches; i++) {
      const r = await call(kind.input(i));
      times.push(r.ms);
      hits += r.hits;
    }
    times.sort((a, b) => a - b);
    const example = JSON.stringify(kind.input(0), (key, value: unknown) => (key === 'roomId' || key === 'authorId' ? '…' : value));
    const result = { name: kind.name, example, hitsPerPage: hits / searches, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
    onKind(result);
    results.push(result);
  }
  return results;
}
