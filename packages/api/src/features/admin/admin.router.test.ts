import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { latestTemplateVersion } from '@parley/db';
import { createTestApi, silentLogger, type TestApi, type TestUser } from '../../testing.ts';
import { trpcError, wireError } from '../../test-util.ts';
import { grantConfiguredAdmins, openAdminSetup, SETUP_TOKEN_REFUSED } from './admin.service.ts';

let api: TestApi;
let root: TestUser;
let bea: TestUser;
beforeAll(async () => {
  api = await createTestApi({ config: { adminUsernames: ['grace'] } });
  root = await api.signUp('root_user');
  bea = await api.signUp('bea');
  await bea.caller.partition.create({ id: 'acme', name: 'Acme' });
  const db = api.deps.db;
  // Two nodes as the cluster's registry writes them: one alive, one stopped a while ago.
  await db
    .insertInto('nodes')
    .values([
      { id: 'web-1', status: 'active', connections: 12, pid: 101, version: '0.1.0', url: 'http://10.0.0.1:3000' },
      { id: 'web-2', status: 'inactive', connections: 0, pid: 102, version: '0.1.0', url: 'http://10.0.0.2:3000' },
    ])
    .execute();
  await db
    .updateTable('nodes')
    .set({ heartbeat_at: sql<string>`now() - interval '2 minutes'` })
    .where('id', '=', 'web-2')
    .execute();
  await db
    .insertInto('leases')
    .values([
      { job: 'session-sweep', scope: 'global', holder: 'web-1', expires_at: sql<string>`now() + interval '10 seconds'` },
      { job: 'presence-sweep', scope: 'acme', holder: 'web-1', expires_at: sql<string>`now() + interval '10 seconds'` },
      { job: 'retention', scope: 'acme', holder: 'web-2', expires_at: sql<string>`now() - interval '1 minute'` },
    ])
    .execute();
});
afterAll(() => api.close());

describe('admin grants', () => {
  test('the first account of an empty database is an administrator, the next ones are not', async () => {
    expect((await root.caller.auth.me())?.isAdmin).toBe(true);
    expect((await bea.caller.auth.me())?.isAdmin).toBe(false);
    const granted = await api.deps.db
      .selectFrom('audit_log')
      .select(['actor', 'subject', sql<string>`details->>'reason'`.as('reason')])
      .where('action', '=', 'admin.granted')
      .execute();
    expect(granted).toEqual([{ actor: 'system', subject: root.id, reason: 'first-account' }]);
  });

  test('a username in ADMIN_USERNAMES (any case) is an administrator from registration', async () => {
    const grace = await api.signUp('Grace');
    expect((await grace.caller.auth.me())?.isAdmin).toBe(true);
    expect((await grace.caller.admin.nodes()).length).toBeGreaterThan(0);
  });

  test('at startup, ADMIN_USERNAMES promotes existing accounts once (audited) and never demotes', async () => {
    const carl = await api.signUp('carl');
    expect(await grantConfiguredAdmins({ db: api.deps.db, log: silentLogger }, ['CARL', 'nobody'])).toEqual(['carl']);
    expect(await grantConfiguredAdmins({ db: api.deps.db, log: silentLogger }, ['carl'])).toEqual([]);
    expect((await carl.caller.auth.me())?.isAdmin).toBe(true);
    expect(await grantConfiguredAdmins({ db: api.deps.db, log: silentLogger }, [])).toEqual([]);
    expect((await root.caller.auth.me())?.isAdmin).toBe(true);
    const reasons = await api.deps.db
      .selectFrom('audit_log')
      .select(sql<string>`details->>'reason'`.as('reason'))
      .where('action', '=', 'admin.granted')
      .where('subject', '=', carl.id)
      .execute();
    expect(reasons).toEqual([{ reason: 'ADMIN_USERNAMES' }]);
  });

  test('two registrations racing on a new server make exactly one administrator', async () => {
    await using fresh = await createTestApi();
    const results = await Promise.all(
      ['one', 'two', 'three', 'four'].map((name) => fresh.caller().auth.register({ username: name, password: 'correct horse battery', session: 'token' })),
    );
    expect(results.filter((r) => r.user.isAdmin)).toHaveLength(1);
  });
});

describe('admin procedures refuse everyone but administrators', () => {
  const calls = {
    nodes: (u: ReturnType<TestApi['caller']>) => u.admin.nodes(),
    partitions: (u: ReturnType<TestApi['caller']>) => u.admin.partitions(),
    audit: (u: ReturnType<TestApi['caller']>) => u.admin.audit({ limit: 10 }),
  };

  test.each(Object.keys(calls) as (keyof typeof calls)[])(
    'admin.%s: signed out is UNAUTHORIZED, a member is FORBIDDEN with a readable message',
    async (name) => {
      const call = calls[name];
      expect((await trpcError(call(api.caller()))).code).toBe('UNAUTHORIZED');
      const refused = await trpcError(call(bea.caller));
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.message).toBe('Only Parley administrators can open the admin view.');
    },
  );

  test('admin.audit: a limit out of range or a bad cursor is BAD_REQUEST', async () => {
    for (const input of [{ limit: 0 }, { limit: 201 }, { limit: 10, before: -1 }, { limit: 10, before: 1.5 }]) {
      const e = await trpcError(root.caller.admin.audit(input));
      expect(e.code).toBe('BAD_REQUEST');
    }
    expect(wireError(await trpcError(root.caller.admin.audit({ limit: 201 }))).message).toBe('limit: At most 200 entries per page.');
  });
});

describe('admin views', () => {
  test('admin.nodes: status, health, load, heartbeat age by the database clock, unexpired leases; live nodes first', async () => {
    const nodes = await root.caller.admin.nodes();
    expect(nodes.map((n) => n.id)).toEqual(['web-1', 'web-2']);
    const [alive, gone] = nodes as [(typeof nodes)[number], (typeof nodes)[number]];
    expect(alive).toMatchObject({ status: 'active', healthy: true, connections: 12, pid: 101, version: '0.1.0', url: 'http://10.0.0.1:3000' });
    expect(alive.heartbeatAgeSeconds).toBeLessThan(30);
    expect(alive.leases.map((l) => `${l.job}/${l.scope}`).sort()).toEqual(['presence-sweep/acme', 'session-sweep/global']);
    expect(gone).toMatchObject({ status: 'inactive', healthy: false, leases: [] });
    expect(gone.heartbeatAgeSeconds).toBeGreaterThanOrEqual(119);
  });

  test('a node whose heartbeat is stale is shown unhealthy even while its row says active', async () => {
    await api.deps.db
      .updateTable('nodes')
      .set({ heartbeat_at: sql<string>`now() - interval '20 seconds'` })
      .where('id', '=', 'web-1')
      .execute();
    try {
      expect((await root.caller.admin.nodes())[0]).toMatchObject({ id: 'web-1', status: 'active', healthy: false });
    } finally {
      await api.deps.db
        .updateTable('nodes')
        .set({ heartbeat_at: sql<string>`now()` })
        .where('id', '=', 'web-1')
        .execute();
    }
  });

  test('admin.partitions: creator and owner, members, last event id, template version against the latest, the node of each job', async () => {
    await (await api.signUp('dan')).caller.partition.join({ inviteCode: await inviteOf() });
    const [acme] = await root.caller.admin.partitions();
    expect(acme).toMatchObject({
      id: 'acme',
      name: 'Acme',
      createdBy: { id: bea.id, username: 'bea' },
      owner: { id: bea.id, username: 'bea' },
      members: 2,
      templateVersion: await latestTemplateVersion(),
      latestTemplateVersion: await latestTemplateVersion(),
    });
    expect(acme!.lastEventId).toBeGreaterThan(0);
    expect(acme!.leases.map(({ job, holder, valid }) => ({ job, holder, valid }))).toEqual([
      { job: 'presence-sweep', holder: 'web-1', valid: true },
      { job: 'retention', holder: 'web-2', valid: false },
    ]);
  });

  test('admin.audit pages back from the newest entry with before: nextCursor, and ends with null', async () => {
    const total = Number(
      (
        await api.deps.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(total).toBeGreaterThanOrEqual(3);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await root.caller.admin.audit({ limit: 2, before });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.id));
      if (page.nextCursor === null) break;
      before = page.nextCursor;
    }
    expect(seen).toHaveLength(total);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    const newest = (await root.caller.admin.audit({ limit: 1 })).entries[0]!;
    expect(newest).toMatchObject({ action: 'admin.granted', actor: 'system' });
    expect(newest.details).toMatchObject({ reason: expect.any(String) });
    expect(Date.parse(newest.at)).not.toBeNaN();
  });
});

async function inviteOf(): Promise<string> {
  return (await bea.caller.partition.rotateInvite({ partitionId: 'acme' })).inviteCode;
}

describe('the first administrator on a server others can reach', () => {
  const register = (target: TestApi, username: string, setupToken?: string) =>
    target.caller().auth.register({ username, password: 'correct horse battery', session: 'token', ...(setupToken ? { setupToken } : {}) });

  test('without firstAccountIsAdmin the first account is not an administrator', async () => {
    await using open = await createTestApi({ config: { firstAccountIsAdmin: false } });
    const first = await register(open, 'first_one');
    expect(first.user.isAdmin).toBe(false);
    const e = await trpcError(open.caller({ token: first.token, tokenSource: 'bearer' }).admin.nodes());
    expect(e.code).toBe('FORBIDDEN');
  });

  test('the setup token a node prints makes one administrator, once; a wrong or spent token is FORBIDDEN and creates nothing', async () => {
    await using open = await createTestApi({ config: { firstAccountIsAdmin: false } });
    await register(open, 'early_bird');
    const token = await openAdminSetup({ db: open.deps.db });
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    // Only its hash is stored.
    const stored = await open.deps.db.selectFrom('admin_setup_tokens').select('token_hash').execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).not.toContain(token!);

    const wrong = await trpcError(register(open, 'guesser', 'a'.repeat(32)));
    expect(wrong.code).toBe('FORBIDDEN');
    expect(wrong.message).toBe(SETUP_TOKEN_REFUSED);
    expect(await open.deps.db.selectFrom('users').select('id').where('username', '=', 'guesser').executeTakeFirst()).toBeUndefined();

    const admin = await register(open, 'the_admin', token!.toUpperCase());
    expect(admin.user.isAdmin).toBe(true);
    expect((await open.caller({ token: admin.token, tokenSource: 'bearer' }).admin.nodes()).length).toBeGreaterThanOrEqual(0);
    const granted = await open.deps.db
      .selectFrom('audit_log')
      .select(['subject', sql<string>`details->>'reason'`.as('reason')])
      .where('action', '=', 'admin.granted')
      .execute();
    expect(granted).toEqual([{ subject: admin.user.id, reason: 'setup-token' }]);

    expect((await trpcError(register(open, 'second_try', token!))).code).toBe('FORBIDDEN');
    // With an administrator, a restart prints no token and leaves none behind.
    expect(await openAdminSetup({ db: open.deps.db })).toBeNull();
    expect(await open.deps.db.selectFrom('admin_setup_tokens').select('token_hash').execute()).toEqual([]);
  });

  test('every token printed while there is no administrator works (one per node start), and the first use ends them all', async () => {
    await using open = await createTestApi({ config: { firstAccountIsAdmin: false } });
    const [a, b] = [await openAdminSetup({ db: open.deps.db }), await openAdminSetup({ db: open.deps.db })];
    expect(a).not.toBe(b);
    expect((await register(open, 'node_b_admin', b!)).user.isAdmin).toBe(true);
    expect((await trpcError(register(open, 'node_a_admin', a!))).code).toBe('FORBIDDEN');
  });

  test('two registrations racing with one token make exactly one administrator', async () => {
    await using open = await createTestApi({ config: { firstAccountIsAdmin: false } });
    const token = (await openAdminSetup({ db: open.deps.db }))!;
    const results = await Promise.allSettled(['race_a', 'race_b', 'race_c'].map((name) => register(open, name, token)));
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.user.isAdmin)).toHaveLength(1);
  });
});
