import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * Finds a PostgreSQL server for tests: `DATABASE_URL`, else 127.0.0.1:5432. Returns null when
 * none answers; callers skip loudly, and `PARLEY_REQUIRE_SERVICES=1` (CI) makes that a failure.
 */
export async function findPostgres(): Promise<string | null> {
  const candidates = [process.env.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/postgres'].filter((u): u is string => Boolean(u));
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return url;
    } catch {
      // try the next candidate
    } finally {
      await client.end().catch(() => {});
    }
  }
  return null;
}

export const servicesRequired = () => process.env.PARLEY_REQUIRE_SERVICES === '1';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Creates a fresh, empty database on the server at `baseUrl` and returns its URL. */
export async function createTestDatabase(baseUrl: string): Promise<TestDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}

/**
 * The PostgreSQL URL for a `*.pg.test.ts` file, or null (the caller skips). The skip is loud,
 * and with `PARLEY_REQUIRE_SERVICES=1` (set by CI) a missing server fails the run instead.
 */
export async function postgresForTests(): Promise<string | null> {
  const url = await findPostgres();
  if (url) return url;
  const reason = 'PostgreSQL not reachable (DATABASE_URL or 127.0.0.1:5432)';
  if (servicesRequired()) throw new Error(`${reason}, and PARLEY_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(`\n*** SKIPPING PostgreSQL tests: ${reason} ***\n`);
  return null;
}
