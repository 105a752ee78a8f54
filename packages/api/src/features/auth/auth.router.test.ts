import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, createTestWorkspace, type TestApi } from '../../testing.ts';
import { sessionIdFromToken } from './session.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

import { trpcError as errorOf, wireError } from '../../test-util.ts';
describe('auth', () => {
  test('register returns a token for programs and stores only its hash', async () => {
    const r = await api.caller().auth.register({ username: 'Alice', password: 'long enough pw', session: 'token' });
    expect(r.user.username).toBe('Alice');
    expect(r.token).toMatch(/^[a-z2-7]{40}$/);
    const stored = await api.deps.db.selectFrom('sessions').select('id').where('user_id', '=', r.user.id).execute();
    expect(stored).toEqual([{ id: sessionIdFromToken(r.token!) }]);
    expect(stored[0]!.id).not.toContain(r.token);
    const user = await api.deps.db.selectFrom('users').select('password_hash').where('id', '=', r.user.id).executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
  });

  test('register with cookie session sets an HttpOnly cookie and returns no token', async () => {
    const cookies: Array<string | null> = [];
    const caller = api.caller({ setSessionCookie: (t) => cookies.push(t) });
    const r = await caller.auth.register({ username: 'cookie_user', password: 'long enough pw' });
    expect(r.token).toBeNull();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^[a-z2-7]{40}$/);
  });

  test('usernames are unique regardless of case', async () => {
    await api.signUp('bob');
    const e = await errorOf(api.caller().auth.register({ username: 'BOB', password: 'long enough pw', session: 'token' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toBe('That username is taken.');
  });

  test('bad input is BAD_REQUEST with a readable message and creates nothing', async () => {
    const e = await errorOf(api.caller().auth.register({ username: 'x', password: 'short' }));
    expect(e.code).toBe('BAD_REQUEST');
    const count = await api.deps.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('username', '=', 'x')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  test('a common or guessable password is BAD_REQUEST with advice, under its field, and creates nothing', async () => {
    const cases: Array<[string, string, string]> = [
      ['password', 'weak_one', 'This is a heavily used password. Add more words that are less common.'],
      ['qwertyuiop', 'weak_two', 'This is a frequently used password. Add more words that are less common.'],
      // The username counts as a known word: strong for anyone else, weak for zorblatt.
      ['zorblatt2024', 'zorblatt', 'There should not be any personal or page related data.'],
    ];
    for (const [password, username, advice] of cases) {
      const e = await errorOf(api.caller().auth.register({ username, password, session: 'token' }));
      expect(e.code).toBe('BAD_REQUEST');
      const wire = wireError(e);
      expect(wire.message).toContain(advice);
      expect(wire.message).toMatch(/^password: /);
      expect(wire.data.fieldErrors).toEqual({ password: [wire.message.replace(/^password: /, '')] });
      expect(await api.deps.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()).toBeUndefined();
    }
    // The length rule still speaks first, alone.
    const short = wireError(await errorOf(api.caller().auth.register({ username: 'weak_four', password: 'abc', session: 'token' })));
    expect(short.message).toBe('password: A password has at least 8 characters.');
  });

  test('login with the right password gives a new token; wrong password or unknown user is UNAUTHORIZED', async () => {
    const carol = await api.signUp('carol', 'carol password');
    const r = await api.caller().auth.login({ username: 'carol', password: 'carol password', session: 'token' });
    expect(r.token).not.toBe(carol.token);
    expect((await errorOf(api.caller().auth.login({ username: 'carol', password: 'nope nope', session: 'token' }))).code).toBe('UNAUTHORIZED');
    const unknown = await errorOf(api.caller().auth.login({ username: 'nobody', password: 'nope nope', session: 'token' }));
    expect(unknown.code).toBe('UNAUTHORIZED');
    expect(unknown.message).toBe('Wrong username or password.');
  });

  test('me returns the user for a valid token and null otherwise', async () => {
    const dave = await api.signUp('dave');
    expect((await dave.caller.auth.me())?.username).toBe('dave');
    // With the server's upload limits, for the app's check before a file is sent.
    expect((await dave.caller.auth.me())?.limits).toEqual({ mediaMaxBytes: api.deps.config.mediaMaxBytes, avatarMaxBytes: api.deps.config.avatarMaxBytes });
    expect(await api.caller().auth.me()).toBeNull();
    expect(await api.caller({ token: 'a'.repeat(40), tokenSource: 'bearer' }).auth.me()).toBeNull();
  });

  test('logout ends the session', async () => {
    const erin = await api.signUp('erin');
    await erin.caller.auth.logout();
    expect(await erin.caller.auth.me()).toBeNull();
    expect((await errorOf(erin.caller.partition.list())).code).toBe('UNAUTHORIZED');
  });

  test('changing the password revokes every session of the user', async () => {
    const fay = await api.signUp('fay', 'first password');
    const other = await api.caller().auth.login({ username: 'fay', password: 'first password', session: 'token' });
    const r = await fay.caller.auth.changePassword({ currentPassword: 'first password', newPassword: 'second password' });
    expect(await api.caller({ token: other.token, tokenSource: 'bearer' }).auth.me()).toBeNull();
    expect(await fay.caller.auth.me()).toBeNull();
    expect((await api.caller({ token: r.token, tokenSource: 'bearer' }).auth.me())?.username).toBe('fay');
    await expect(api.caller().auth.login({ username: 'fay', password: 'second password', session: 'token' })).resolves.toBeTruthy();
  });

  test('changing the password needs the current one, and a valid new one', async () => {
    const kim = await api.signUp('kim', 'kims secret phrase');
    const wrong = await errorOf(kim.caller.auth.changePassword({ currentPassword: 'not it', newPassword: 'a brand new phrase' }));
    expect(wrong.code).toBe('UNAUTHORIZED');
    const weak = await errorOf(kim.caller.auth.changePassword({ currentPassword: 'kims secret phrase', newPassword: 'short' }));
    expect(weak.code).toBe('BAD_REQUEST');
    const guessable = await errorOf(kim.caller.auth.changePassword({ currentPassword: 'kims secret phrase', newPassword: 'password1234' }));
    expect(wireError(guessable).message).toBe('newPassword: This is similar to a commonly used password. Add more words that are less common.');
    await expect(api.caller().auth.login({ username: 'kim', password: 'kims secret phrase', session: 'token' })).resolves.toBeTruthy();
    expect(await kim.caller.auth.me()).not.toBeNull();
    expect((await errorOf(api.caller().auth.changePassword({ currentPassword: 'x', newPassword: 'long enough' }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(api.caller().auth.logout())).code).toBe('UNAUTHORIZED');
  });

  test('a request from a foreign browser origin is FORBIDDEN', async () => {
    const gus = await api.signUp('gus');
    const e = await errorOf(api.caller({ token: gus.token, tokenSource: 'cookie', originAllowed: false }).partition.list());
    expect(e.code).toBe('FORBIDDEN');
    expect((await errorOf(api.caller({ originAllowed: false }).auth.login({ username: 'gus', password: 'x'.repeat(9) }))).code).toBe('FORBIDDEN');
  });
});

describe('sessions cached by the node', () => {
  test("signing out ends the session at once, in calls and in live streams (not at the stream's next minute check)", async () => {
    const { owner: olga, partitionId } = await createTestWorkspace(api, 'signout_ws', 'olga');
    // Calls fill the node's cache of validated sessions and memberships...
    expect((await olga.caller.partition.list()).map((p) => p.id)).toEqual([partitionId]);
    const stream = (await olga.caller.event.onEvent({ partitionId })) as AsyncIterable<unknown>;
    const next = stream[Symbol.asyncIterator]().next();
    const ended = next.then(
      () => 'still streaming',
      (error: unknown) => (error as { code?: string }).code,
    );
    await new Promise((r) => setTimeout(r, 50));
    await olga.caller.auth.logout();
    // ...which forgets the session the moment it ends.
    expect((await errorOf(olga.caller.partition.list())).code).toBe('UNAUTHORIZED');
    const result = await Promise.race([ended, new Promise((r) => setTimeout(() => r('timed out'), 2_000))]);
    expect(result).toBe('UNAUTHORIZED');
  });

  test("a session ended behind the cache's back (no change announced) still works at most the cache TTL", async () => {
    await using cached = await createTestApi({ config: { accessCacheTtlMs: 1_000 } });
    const pat = await cached.signUp('pat');
    expect((await pat.caller.auth.me())?.username).toBe('pat');
    await cached.deps.db.deleteFrom('sessions').where('user_id', '=', pat.id).execute();
    // Within the TTL the node still trusts what it validated...
    expect((await pat.caller.auth.me())?.username).toBe('pat');
    await new Promise((r) => setTimeout(r, 1_050));
    // ...and not a moment longer.
    expect(await pat.caller.auth.me()).toBeNull();
    expect((await errorOf(pat.caller.partition.list())).code).toBe('UNAUTHORIZED');
  });
});

describe('session expiry', () => {
  test('an idle session expires; activity renews it; the absolute limit is final', async () => {
    await using short = await createTestApi({ config: { sessionIdleMs: 1500, sessionAbsoluteMs: 4000 } });
    const hal = await short.signUp('hal');
    // Activity every 500 ms keeps the idle timer from running out...
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect(await hal.caller.auth.me()).not.toBeNull();
    }
    // ...but nothing outlives the absolute limit.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await hal.caller.auth.me()).toBeNull();

    const ivy = await short.signUp('ivy');
    await new Promise((r) => setTimeout(r, 1700));
    expect(await ivy.caller.auth.me()).toBeNull();
  });
});
