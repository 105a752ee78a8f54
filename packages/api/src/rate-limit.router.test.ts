import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createMemoryRateLimiter, type RateLimiter } from '@parley/cluster';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from './testing.ts';
import { newClientId, trpcError, wireError } from './test-util.ts';

// A fake clock for the limiter: windows end when the test says so, not after real minutes.
let now = Date.parse('2030-01-01T00:00:00Z');
const advance = (ms: number) => {
  now += ms;
};
const limiter = () => createMemoryRateLimiter({ now: () => now });

async function refusal(p: Promise<unknown>) {
  const error = await trpcError(p);
  expect(error.code).toBe('TOO_MANY_REQUESTS');
  return { message: error.message, data: wireError(error).data };
}

describe('message.send: messages per user', () => {
  let api: TestApi;
  let ann: TestUser;
  let ben: TestUser;
  let roomId: string;
  const P = { partitionId: 'lim_msg' };
  const send = (user: TestUser, body: string, clientId = newClientId()) => user.caller.message.send({ ...P, roomId, clientId, body });

  beforeAll(async () => {
    api = await createTestApi({
      limiter: limiter(),
      config: { rateLimits: { messagesPerUser: { limit: 3, windowMs: 10_000 } } },
    });
    const ws = await createTestWorkspace(api, P.partitionId, 'ann', ['ben']);
    [ann, ben, roomId] = [ws.owner, ws.members[0]!, ws.general];
  });
  afterAll(() => api.close());
  beforeEach(() => advance(10_000));

  test('the fourth message in 10 seconds is refused with when to retry, and not stored', async () => {
    for (const body of ['one', 'two', 'three']) await send(ann, body);
    advance(4_000);
    const { message, data } = await refusal(send(ann, 'four'));
    expect(message).toBe('You are sending messages too fast (at most 3 in 10 seconds). Try again in 6 seconds.');
    expect(data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfterMs: 6_000 });
    const { messages } = await ann.caller.message.list({ ...P, roomId });
    expect(messages.map((m) => m.body)).not.toContain('four');

    // Per user: ben is not slowed down by ann.
    await send(ben, 'ben is fine');
    // The window ends when the refusal said.
    advance(6_000);
    await send(ann, 'four, later');
  });

  test('a retried send (same clientId) is answered even over the limit, and costs no allowance', async () => {
    const clientId = newClientId();
    const first = await send(ann, 'retried', clientId);
    for (let i = 0; i < 5; i++) expect(await send(ann, 'retried', clientId)).toEqual(first);
    await send(ann, 'second');
    await send(ann, 'third');
    await refusal(send(ann, 'fourth'));
    expect(await send(ann, 'retried', clientId)).toEqual(first);
  });

  test('a send refused for its room costs no allowance', async () => {
    const closed = await ann.caller.room.create({ ...P, name: 'closed' });
    for (let i = 0; i < 5; i++) {
      expect((await trpcError(ben.caller.message.send({ ...P, roomId: closed.id, clientId: newClientId(), body: 'let me in' }))).code).toBe('FORBIDDEN');
    }
    for (const body of ['one', 'two', 'three']) await send(ben, body);
    await refusal(send(ben, 'four'));
    // Over the limit, a send to that room is still told why it cannot go there.
    expect((await trpcError(ben.caller.message.send({ ...P, roomId: closed.id, clientId: newClientId(), body: 'still out' }))).code).toBe('FORBIDDEN');
  });
});

describe('message.send: the per-address and per-user limits in one step', () => {
  let api: TestApi;
  let ann: TestUser;
  let roomId: string;
  const P = { partitionId: 'lim_both' };
  const rounds: string[][] = [];
  const base = limiter();
  const counting: RateLimiter = {
    ...base,
    consume: (key, rule) => {
      rounds.push([key]);
      return base.consume(key, rule);
    },
    consumeMany: (calls) => {
      rounds.push(calls.map((c) => c.key));
      return base.consumeMany(calls);
    },
  };
  const from = (ip: string) => api.caller({ ip, token: ann.token, tokenSource: 'bearer' });
  const send = (ip: string, body: string, partitionId = P.partitionId) => from(ip).message.send({ partitionId, roomId, clientId: newClientId(), body });

  beforeAll(async () => {
    api = await createTestApi({
      limiter: counting,
      config: { rateLimits: { requestsPerIp: { limit: 3, windowMs: 60_000 }, messagesPerUser: { limit: 100, windowMs: 10_000 } } },
    });
    const ws = await createTestWorkspace(api, P.partitionId, 'ann');
    [ann, roomId] = [ws.owner, ws.general];
  });
  afterAll(() => api.close());
  beforeEach(() => advance(60_000));

  test('a send whose session the node knows counts both limits in one round trip; over the address limit it is refused and not stored', async () => {
    rounds.length = 0;
    await send('203.0.113.7', 'one');
    expect(rounds).toEqual([['ip:203.0.113.7', `msg:${ann.id}`]]);
    await send('203.0.113.7', 'two');
    await send('203.0.113.7', 'three');
    const { message } = await refusal(send('203.0.113.7', 'four'));
    expect(message).toMatch(/^Too many requests from your network \(at most 3 in 1 minute\)\. Try again in/);
    expect(rounds).toHaveLength(4);
    const { messages } = await ann.caller.message.list({ ...P, roomId });
    expect(messages.map((m) => m.body)).not.toContain('four');
  });

  test('a send refused before it counted (a workspace it is not in) still counts for its address', async () => {
    for (let i = 0; i < 3; i++) expect((await trpcError(send('203.0.113.8', 'nowhere', 'lim_none'))).code).toBe('NOT_FOUND');
    await refusal(send('203.0.113.8', 'here'));
  });

  test('failing sends are refused once over the address limit, whatever they fail on, before any other work', async () => {
    // A workspace it is not in: the node cannot answer that from memory, so the call is counted first.
    for (let i = 0; i < 3; i++) expect((await trpcError(send('203.0.113.9', 'nowhere', 'lim_none'))).code).toBe('NOT_FOUND');
    rounds.length = 0;
    for (let i = 0; i < 3; i++) await refusal(send('203.0.113.9', 'nowhere', 'lim_none'));
    // Each refused call cost one count and nothing else (no membership look-up, no message limit).
    expect(rounds).toEqual([['ip:203.0.113.9'], ['ip:203.0.113.9'], ['ip:203.0.113.9']]);

    // Invalid input from a member the node knows: counted after it failed, refused once over the limit.
    const bad = () => from('203.0.113.10').message.send({ partitionId: P.partitionId, roomId, clientId: 'not a uuid', body: 'x' });
    for (let i = 0; i < 3; i++) expect((await trpcError(bad())).code).toBe('BAD_REQUEST');
    for (let i = 0; i < 3; i++) await refusal(bad());
    await refusal(send('203.0.113.10', 'a good one, too late'));

    // An invalid session: counted before it is looked up.
    const stranger = () =>
      api
        .caller({ ip: '203.0.113.11', token: 'a'.repeat(40), tokenSource: 'bearer' })
        .message.send({ partitionId: P.partitionId, roomId, clientId: newClientId(), body: 'x' });
    for (let i = 0; i < 3; i++) expect((await trpcError(stranger())).code).toBe('UNAUTHORIZED');
    await refusal(stranger());
  });
});

describe('every procedure: requests per client address', () => {
  let api: TestApi;
  let ada: TestUser;
  beforeAll(async () => {
    api = await createTestApi({
      limiter: limiter(),
      config: { rateLimits: { requestsPerIp: { limit: 5, windowMs: 60_000 } } },
    });
    ada = await api.signUp('ada');
  });
  afterAll(() => api.close());
  beforeEach(() => advance(60_000));

  test('the sixth call in a minute from one address is refused, whoever makes it; other addresses are not', async () => {
    const from = (ip: string, token?: string) => api.caller({ ip, ...(token ? { token, tokenSource: 'bearer' as const } : {}) });
    await from('198.51.100.1').auth.me();
    await from('198.51.100.1', ada.token).partition.list();
    await from('198.51.100.1').auth.me();
    await from('198.51.100.1', ada.token).auth.me();
    await from('198.51.100.1').auth.me();
    advance(15_000);
    const { message, data } = await refusal(from('198.51.100.1', ada.token).partition.list());
    expect(message).toBe('Too many requests from your network (at most 5 in 1 minute). Try again in 45 seconds.');
    expect(data.retryAfterMs).toBe(45_000);
    // Even a sign-in from that address waits (the limit comes before any other work).
    await refusal(from('198.51.100.1').auth.login({ username: 'ada', password: 'correct horse battery', session: 'token' }));

    expect(await from('198.51.100.2', ada.token).partition.list()).toEqual([]);
    advance(45_000);
    expect(await from('198.51.100.1', ada.token).partition.list()).toEqual([]);
  });

  test('IPv6 addresses count per /64 network', async () => {
    for (let i = 1; i <= 5; i++) await api.caller({ ip: `2001:db8:7:1::${i}` }).auth.me();
    await refusal(api.caller({ ip: '2001:db8:7:1:ffff::1' }).auth.me());
    await api.caller({ ip: '2001:db8:7:2::1' }).auth.me();
  });

  test('calls refused for their Origin do not spend the address allowance', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await trpcError(api.caller({ ip: '198.51.100.3', originAllowed: false }).auth.me())).code).toBe('FORBIDDEN');
    }
    for (let i = 0; i < 5; i++) await api.caller({ ip: '198.51.100.3' }).auth.me();
    await refusal(api.caller({ ip: '198.51.100.3' }).auth.me());
  });
});

describe('auth: sign-in attempts', () => {
  let api: TestApi;
  let ada: TestUser;
  const RIGHT = 'correct horse battery';
  const login = (ip: string, username: string, password: string) => api.caller({ ip }).auth.login({ username, password, session: 'token' });
  const wrong = async (ip: string, username = 'ada') => expect((await trpcError(login(ip, username, 'wrong password'))).code).toBe('UNAUTHORIZED');

  beforeAll(async () => {
    api = await createTestApi({
      limiter: limiter(),
      config: {
        rateLimits: {
          loginPerAccountAndIp: { limit: 3, windowMs: 15 * 60_000 },
          loginPerIp: { limit: 8, windowMs: 15 * 60_000 },
        },
      },
    });
    ada = await api.signUp('ada', RIGHT);
  });
  afterAll(() => api.close());
  beforeEach(() => advance(15 * 60_000));

  test('after three failures even the right password waits; another address still signs in', async () => {
    for (let i = 0; i < 3; i++) await wrong('192.0.2.1');
    const { message, data } = await refusal(login('192.0.2.1', 'ada', RIGHT));
    expect(message).toBe('Too many failed sign-in attempts for this account. Try again in 15 minutes.');
    expect(data.retryAfterMs).toBe(15 * 60_000);
    // Usernames are case-insensitive, so is the allowance.
    await refusal(login('192.0.2.1', 'ADA', RIGHT));
    // Someone guessing from elsewhere cannot lock ada out.
    expect((await login('192.0.2.2', 'ada', RIGHT)).user.id).toBe(ada.id);
    advance(15 * 60_000);
    expect((await login('192.0.2.1', 'ada', RIGHT)).user.id).toBe(ada.id);
  });

  test('a successful sign-in clears the failures', async () => {
    await wrong('192.0.2.3');
    await wrong('192.0.2.3');
    await login('192.0.2.3', 'ada', RIGHT);
    await wrong('192.0.2.3');
    await wrong('192.0.2.3');
    expect((await login('192.0.2.3', 'ada', RIGHT)).user.id).toBe(ada.id);
  });

  test('one address trying many accounts is stopped, existing or not, and a success does not reset that', async () => {
    await login('192.0.2.4', 'ada', RIGHT);
    for (let i = 0; i < 7; i++) await wrong('192.0.2.4', `nobody${i}`);
    const { message } = await refusal(login('192.0.2.4', 'ada', RIGHT));
    expect(message).toBe('Too many sign-in attempts from your network. Try again in 15 minutes.');
  });

  test('checking the current password to change it counts too', async () => {
    const signedIn = api.caller({ ip: '192.0.2.5', token: ada.token, tokenSource: 'bearer' });
    for (let i = 0; i < 3; i++) {
      const e = await trpcError(signedIn.auth.changePassword({ currentPassword: 'guess', newPassword: 'a new password' }));
      expect(e.code).toBe('UNAUTHORIZED');
    }
    await refusal(signedIn.auth.changePassword({ currentPassword: RIGHT, newPassword: 'a new password' }));
  });
});
