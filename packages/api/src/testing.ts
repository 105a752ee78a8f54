/**
 * Test helpers: an API on a fresh database (PGlite in memory, or a real PostgreSQL URL) and
 * callers signed in as new users. Used by router tests here and by the server's e2e tests.
 *
 * @example
 * ```ts
 * await using api = await createTestApi();
 * const ada = await api.signUp('ada');
 * await ada.caller.partition.create({ name: 'Acme' });
 * ```
 */
import { createMemoryBus, createMemoryPresence, createMemoryRateLimiter, type Bus, type Presence, type RateLimiter } from '@parley/cluster';
import { createDb, migrateToLatest } from '@parley/db';
import { createApiDeps, createCaller, anonymousRequest } from './index.ts';
import { createContext, type ApiConfigOverrides, type ApiDeps, type Logger, type RequestInfo } from './context.ts';
import type { RateLimits } from './rate-limit.ts';

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

const NO_LIMIT = { limit: 1_000_000_000, windowMs: 60_000 };

/**
 * Limits no ordinary test reaches: every test caller shares one address, and load tests send
 * hundreds of messages as one user. Tests of the limits themselves set the rules they need
 * (`config.rateLimits`), which replace these one by one.
 */
export const relaxedRateLimits: RateLimits = {
  messagesPerUser: NO_LIMIT,
  requestsPerIp: NO_LIMIT,
  downloadsPerIp: NO_LIMIT,
  loginPerAccountAndIp: NO_LIMIT,
  loginPerIp: NO_LIMIT,
  typingPerUser: NO_LIMIT,
  changesPerUser: NO_LIMIT,
};

export interface TestApi {
  deps: ApiDeps;
  caller(req?: Partial<RequestInfo>): ReturnType<typeof createCaller>;
  signUp(username: string, password?: string): Promise<TestUser>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  caller: ReturnType<typeof createCaller>;
}

/**
 * An API on a fresh database. Rate limits default to {@link relaxedRateLimits}; pass
 * `config.rateLimits` to test one, and `limiter: createMemoryRateLimiter({ now })` for a fake clock
 * (and `presence: createMemoryPresence({ bus, now })` for presence on one).
 */
export async function createTestApi(
  opts: { databaseUrl?: string; bus?: Bus; limiter?: RateLimiter; presence?: Presence; config?: ApiConfigOverrides } = {},
): Promise<TestApi> {
  const database = await createDb({ databaseUrl: opts.databaseUrl, dataDir: 'memory://' });
  await migrateToLatest(database.db);
  const bus = opts.bus ?? createMemoryBus();
  const limiter = opts.limiter ?? createMemoryRateLimiter();
  const presence = opts.presence ?? createMemoryPresence({ bus });
  const deps = createApiDeps({
    db: database.db,
    writeDb: database.writeLanes,
    dbDriver: database.driver,
    bus,
    limiter,
    presence,
    log: silentLogger,
    config: {
      eventPollMs: 200,
      // Tests sign up their administrator first (see CONTEXT.md); a test of the other rules sets it false.
      firstAccountIsAdmin: true,
      ...opts.config,
      rateLimits: { ...relaxedRateLimits, ...opts.config?.rateLimits },
    },
  });
  const caller = (req: Partial<RequestInfo> = {}) => createCaller(createContext(deps, anonymousRequest(req)));
  const close = async () => {
    deps.feeds.close();
    deps.access.close();
    deps.mediaStorage.close();
    if (!opts.bus) await bus.close();
    if (!opts.limiter) await limiter.close();
    if (!opts.presence) await presence.close();
    await database.close();
  };
  return {
    deps,
    caller,
    async signUp(username, password = 'correct horse battery') {
      const { user, token } = await caller().auth.register({ username, password, session: 'token' });
      if (!token) throw new Error('expected a token');
      return { id: user.id, username, token, caller: caller({ token, tokenSource: 'bearer' }) };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export interface TestWorkspace {
  partitionId: string;
  inviteCode: string;
  /** The `general` room's id. */
  general: string;
  owner: TestUser;
  /** The other users, in the order named, joined as members. */
  members: TestUser[];
}

/** A workspace created by `ownerName`, joined by each of `memberNames`. */
export async function createTestWorkspace(api: TestApi, partitionId: string, ownerName: string, memberNames: string[] = []): Promise<TestWorkspace> {
  const owner = await api.signUp(ownerName);
  const { inviteCode } = await owner.caller.partition.create({ id: partitionId, name: partitionId });
  const members: TestUser[] = [];
  for (const name of memberNames) {
    const user = await api.signUp(name);
    await user.caller.partition.join({ inviteCode });
    members.push(user);
  }
  const general = (await owner.caller.room.list({ partitionId }))[0]!.id;
  return { partitionId, inviteCode, general, owner, members };
}

/**
 * A test API on a database of its own on the PostgreSQL server at `baseUrl` (from
 * `postgresForTests()`), and how to drop both: the opener the `*.cases.ts` suites take to run
 * their cases on PostgreSQL as well as on the embedded default.
 */
export async function openPostgresTestApi(
  baseUrl: string,
  opts: Omit<Parameters<typeof createTestApi>[0] & object, 'databaseUrl'> = {},
): Promise<{ api: TestApi; close: () => Promise<void> }> {
  const { createTestDatabase } = await import('@parley/db/test-services');
  const db = await createTestDatabase(baseUrl);
  const api = await createTestApi({ ...opts, databaseUrl: db.url });
  return {
    api,
    close: async () => {
      await api.close();
      await db.drop();
    },
  };
}
