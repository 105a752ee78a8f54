import { createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser } from '../../testing.ts';
import { newClientId, trpcError } from '../../test-util.ts';
import type { PushPayload } from './push.service.ts';

const baseUrl = await postgresForTests();

/** A browser's side of a subscription: its P-256 key pair and auth secret (RFC 8291). */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, auth: randomBytes(16), p256dh: ecdh.getPublicKey() };
}

/** What the browser does with a push: RFC 8291 / RFC 8188 (aes128gcm, one record). */
function decrypt(body: Buffer, keys: ReturnType<typeof browserKeys>): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const serverKey = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const shared = keys.ecdh.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), keys.p256dh, serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, keys.auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 and optional zero padding.
  let end = padded.length - 1;
  while (padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end).toString('utf8');
}

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

describe.skipIf(!baseUrl)('Web Push on PostgreSQL, to a local push service', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let ann: TestUser;
  let ben: TestUser;
  let cat: TestUser;
  let server: Server;
  let origin: string;
  const received: Received[] = [];
  /** Paths the push service answers 410 Gone (an unsubscribed browser). */
  const gone = new Set<string>();
  const P = { partitionId: 'pgpush' };
  let general: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(gone.has(req.url!) ? 410 : 201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url, config: { pushAllowHttp: true, pushSubject: 'mailto:ops@parley.example' } });
    const ws = await createTestWorkspace(api, P.partitionId, 'ann', ['ben', 'cat']);
    ({ owner: ann, general } = ws);
    [ben, cat] = ws.members as [TestUser, TestUser];
  });
  afterAll(async () => {
    await api?.close();
    await testDb?.drop();
    server?.close();
  });

  const subscribe = async (who: TestUser, path: string) => {
    const keys = browserKeys();
    await who.caller.push.subscribe({
      endpoint: `${origin}${path}`,
      keys: { p256dh: keys.p256dh.toString('base64url'), auth: keys.auth.toString('base64url') },
    });
    return keys;
  };
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return received;
  };

  test('the VAPID key is made once and stays the same', async () => {
    const a = await ann.caller.push.vapidKey();
    const b = await ben.caller.push.vapidKey();
    expect(a.publicKey).toBe(b.publicKey);
    expect(Buffer.from(a.publicKey, 'base64url')).toHaveLength(65);
    expect(await api.deps.db.selectFrom('push_vapid').select('id').execute()).toHaveLength(1);
  });

  test('a mention reaches the mentioned person’s browser, encrypted to it and signed with the VAPID key; others get nothing', async () => {
    const benKeys = await subscribe(ben, '/push/ben');
    await subscribe(cat, '/push/cat');
    received.length = 0;
    const sent = await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: `ship it <@${ben.id}> **today**` });
    const [push] = await waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((r) => r.path)).toEqual(['/push/ben']);
    expect(push!.headers['content-encoding']).toBe('aes128gcm');
    expect(push!.headers.ttl).toBe('3600');
    const { publicKey } = await ann.caller.push.vapidKey();
    expect(push!.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${publicKey}$`));
    const payload = JSON.parse(decrypt(push!.body, benKeys)) as PushPayload;
    expect(payload).toEqual({
      title: 'ann in #general',
      body: 'ship it @ben **today**',
      tag: `parley:pgpush:${sent.id}`,
      url: `/#/w/pgpush/r/${general}/m/${sent.id}`,
    });
  });

  test('levels decide: a DM notifies by default, a muted room nothing, `all` every message; never the author', async () => {
    const dm = (await ann.caller.dm.open({ ...P, userIds: [ben.id] })).id;
    await ann.caller.push.subscribe({
      endpoint: `${origin}/push/ann`,
      keys: { p256dh: browserKeys().p256dh.toString('base64url'), auth: randomBytes(16).toString('base64url') },
    });
    received.length = 0;
    await ann.caller.message.send({ ...P, roomId: dm, clientId: newClientId(), body: 'hi ben' });
    await waitFor(1);
    await ben.caller.notify.set({ ...P, roomId: general, level: 'mute', opId: newClientId() });
    await cat.caller.notify.set({ ...P, roomId: general, level: 'all', opId: newClientId() });
    await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: `again <@${ben.id}>` });
    await waitFor(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((r) => r.path)).toEqual(['/push/ben', '/push/cat']);
  });

  test('a subscription the push service says is gone (410) is deleted', async () => {
    gone.add('/push/cat');
    received.length = 0;
    await ann.caller.message.send({ ...P, roomId: general, clientId: newClientId(), body: 'cat sees all' });
    await waitFor(1);
    const deadline = Date.now() + 5000;
    let left = 1;
    while (left > 0 && Date.now() < deadline) {
      left = (await api.deps.db.selectFrom('push_subscriptions').select('endpoint').where('endpoint', '=', `${origin}/push/cat`).execute()).length;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toBe(0);
  });

  test('refused: an http endpoint unless allowed, bad keys; removing someone else’s subscription does nothing', async () => {
    const strict = await createTestApi({ databaseUrl: testDb.url });
    try {
      const dan = await strict.signUp('dan');
      const refused = await trpcError(dan.caller.push.subscribe({ endpoint: 'http://push.example/x', keys: { p256dh: 'AAAA', auth: 'BBBB' } }));
      expect(refused.code).toBe('BAD_REQUEST');
      expect(refused.message).toBe('A push endpoint is an https: URL.');
      const badKey = await trpcError(dan.caller.push.subscribe({ endpoint: 'https://push.example/x', keys: { p256dh: 'not base64!', auth: 'BBBB' } }));
      expect(badKey.code).toBe('BAD_REQUEST');
      await dan.caller.push.unsubscribe({ endpoint: `${origin}/push/ben` });
    } finally {
      await strict.close();
    }
    expect(await api.deps.db.selectFrom('push_subscriptions').select('endpoint').where('endpoint', '=', `${origin}/push/ben`).execute()).toHaveLength(1);
    await ben.caller.push.unsubscribe({ endpoint: `${origin}/push/ben` });
    expect(await api.deps.db.selectFrom('push_subscriptions').select('endpoint').where('endpoint', '=', `${origin}/push/ben`).execute()).toHaveLength(0);
  });
});
