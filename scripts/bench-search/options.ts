import { parseArgs } from 'node:util';

export interface SearchBenchOptions {
  messages: number;
  rooms: number;
  authors: number;
  vocabulary: number;
  searches: number;
  write: boolean;
  keep: boolean;
  databaseUrl: string;
}

const HELP = `pnpm bench:search [options]
  --messages N     messages in the workspace (default 1000000)
  --rooms N        rooms (default 200; the searcher is in 90% of them)
  --authors N      people writing (default 30)
  --vocabulary N   distinct words (default 5000)
  --searches N     timed searches per kind (default 200)
  --no-write       print only; do not rewrite docs/benchmarks-search.md
  --keep           keep the database afterwards (its URL is printed)
  DATABASE_URL     the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is made on it`;

export function parseOptions(argv: string[]): SearchBenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '1000000' },
      rooms: { type: 'string', default: '200' },
      authors: { type: 'string', default: '30' },
      vocabulary: { type: 'string', default: '5000' },
      searches: { type: 'string', default: '200' },
      'no-write': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return null;
  }
  const int = (name: string, value: string, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    messages: int('messages', values.messages, 1000),
    rooms: int('rooms', values.rooms, 10),
    authors: int('authors', values.authors, 2),
    vocabulary: int('vocabulary', values.vocabulary, 500),
    searches: int('searches', values.searches, 10),
    write: !values['no-write'],
    keep: values.keep,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}
