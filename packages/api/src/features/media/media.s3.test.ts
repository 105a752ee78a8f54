import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import type { S3Settings } from '../../config.ts';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser, type TestWorkspace } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';
import { download, png, startMediaServer, upload } from './media.fixture.ts';
import { createS3Storage } from './media.storage.ts';

// s3rver (npm) speaks the S3 protocol on a local port: this path always runs, no service needed.
let dir: string;
let s3rver: S3rver;
let settings: S3Settings;
let api: TestApi;
let srv: Awaited<ReturnType<typeof startMediaServer>>;
let ws: TestWorkspace;
let ann: TestUser;
let bob: TestUser;
const P = 'media_s3';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-s3rver-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'parley-media' }] });
  const { port } = await s3rver.run();
  settings = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    bucket: 'parley-media',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
  api = await createTestApi({ config: { s3: settings } });
  srv = await startMediaServer(api.deps);
  ws = await createTestWorkspace(api, P, 's3_owner', ['s3_ann', 's3_bob']);
  [ann, bob] = ws.members as [TestUser, TestUser];
});
afterAll(async () => {
  await srv?.close();
  await api?.close();
  await s3rver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const client = () =>
  new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
  });

test('with S3 configured, the bytes go to the bucket (not the row) and come back through the node with its checks', async () => {
  const id = uuidv7();
  const bytes = await png(640, 480);
  const up = await upload(`${srv.url}/media/${P}/${ws.general}/${id}`, ann.token, bytes, { filename: 'big.png' });
  expect(up.status).toBe(201);
  expect(up.json).toMatchObject({ mimeType: 'image/png', width: 640, height: 480, hasThumb: true });

  const row = await api.deps.db.selectFrom(`media_${P}`).select(['storage', 'object_key', 'data']).where('id', '=', id).executeTakeFirstOrThrow();
  expect(row.storage).toBe('s3');
  expect(row.data).toBeNull();
  expect(row.object_key).toMatch(new RegExp(`^media/${P}/${id}/`));
  const s3 = client();
  const object = await s3.send(new GetObjectCommand({ Bucket: settings.bucket, Key: row.object_key! }));
  expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  s3.destroy();

  const file = await download(`${srv.url}/media/${P}/${id}`, bob.token);
  expect([file.status, file.headers.get('content-type')]).toEqual([200, 'image/png']);
  expect(file.body.equals(bytes)).toBe(true);
  const { id: secret } = await ann.caller.room.create({ partitionId: P, name: 'secret-s3', visibility: 'private' });
  const hidden = uuidv7();
  expect((await upload(`${srv.url}/media/${P}/${secret}/${hidden}`, ann.token, Buffer.from('private words'))).status).toBe(201);
  expect((await download(`${srv.url}/media/${P}/${hidden}`, bob.token)).status).toBe(404);

  // A message carries it like any other.
  const sent = await ann.caller.message.send({ partitionId: P, roomId: ws.general, clientId: newClientId(), body: '', mediaId: id });
  expect(sent.attachment?.id).toBe(id);
  // Deleted for everyone: the object goes from the bucket too.
  await ann.caller.message.delete({ partitionId: P, messageId: sent.id, scope: 'everyone', opId: newClientId() });
  const after = client();
  await expect(after.send(new GetObjectCommand({ Bucket: settings.bucket, Key: row.object_key! }))).rejects.toThrow();
  after.destroy();
});

test('a retried upload stores one object; files kept in the database before the switch stay readable', async () => {
  const id = uuidv7();
  await upload(`${srv.url}/media/${P}/${ws.general}/${id}`, ann.token, Buffer.from('once'), { filename: 'a.txt' });
  const again = await upload(`${srv.url}/media/${P}/${ws.general}/${id}`, ann.token, Buffer.from('once'), { filename: 'a.txt' });
  expect(again.status).toBe(200);
  const s3 = client();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `media/${P}/${id}/` }));
  expect(listed.KeyCount).toBe(1);
  s3.destroy();

  const old = uuidv7();
  await api.deps.db
    .insertInto(`media_${P}`)
    .values({
      id: old,
      uploader_id: ann.id,
      room_id: ws.general,
      filename: 'old.txt',
      mime_type: 'application/octet-stream',
      size_bytes: 3,
      data: Buffer.from('old'),
    })
    .execute();
  const file = await download(`${srv.url}/media/${P}/${old}`, bob.token);
  expect([file.status, file.body.toString()]).toEqual([200, 'old']);
});

test('avatars go to the bucket too', async () => {
  const up = await upload(`${srv.url}/avatar`, ann.token, await png(300, 300));
  expect(up.status).toBe(201);
  const row = await api.deps.db.selectFrom('avatars').select(['storage', 'object_key']).where('id', '=', up.json.id).executeTakeFirstOrThrow();
  expect(row).toEqual({ storage: 's3', object_key: `avatars/${up.json.id}` });
  const img = await download(`${srv.url}/avatar/${up.json.id}`, bob.token);
  expect((await sharp(img.body).metadata()).width).toBe(256);
});

test('an object missing from the bucket is a 404, not a crash', async () => {
  const storage = createS3Storage(settings);
  await expect(storage.get({ storage: 's3', objectKey: 'media/nowhere', data: null })).rejects.toThrow('That file is missing from storage.');
  storage.close();
});
