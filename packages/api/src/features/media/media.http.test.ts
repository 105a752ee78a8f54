import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser, type TestWorkspace } from '../../testing.ts';
import { download, overLimitRequest, png, startMediaServer, upload } from './media.fixture.ts';

const MAX = 256 * 1024;
let api: TestApi;
let srv: Awaited<ReturnType<typeof startMediaServer>>;
let ws: TestWorkspace;
let ann: TestUser;
let bob: TestUser;
let vic: TestUser;
let other: TestWorkspace;
const P = 'media_ws';

beforeAll(async () => {
  api = await createTestApi({ config: { mediaMaxBytes: MAX, avatarMaxBytes: 128 * 1024 } });
  srv = await startMediaServer(api.deps);
  ws = await createTestWorkspace(api, P, 'md_owner', ['md_ann', 'md_bob', 'md_vic']);
  [ann, bob, vic] = ws.members as [TestUser, TestUser, TestUser];
  await ws.owner.caller.partition.setRole({ partitionId: P, userId: vic.id, role: 'viewer' });
  other = await createTestWorkspace(api, 'media_other', 'md_stranger');
});
afterAll(async () => {
  await srv?.close();
  await api?.close();
});

const postUrl = (roomId: string, mediaId: string, pid = P) => `${srv.url}/media/${pid}/${roomId}/${mediaId}`;
const getUrl = (mediaId: string, pid = P) => `${srv.url}/media/${pid}/${mediaId}`;

describe('uploads and downloads', () => {
  test('an image: typed by its bytes, measured, thumbnailed, served inline and sandboxed', async () => {
    const id = uuidv7();
    const bytes = await png(800, 600);
    const up = await upload(postUrl(ws.general, id), ann.token, bytes, { filename: 'holiday photo.png', headers: { 'content-type': 'text/html' } });
    expect(up.status).toBe(201);
    expect(up.json).toEqual({
      id,
      roomId: ws.general,
      filename: 'holiday photo.png',
      mimeType: 'image/png',
      sizeBytes: bytes.length,
      width: 800,
      height: 600,
      hasThumb: true,
    });
    const file = await download(getUrl(id), bob.token);
    expect(file.status).toBe(200);
    expect(file.body.equals(bytes)).toBe(true);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toBe(`inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(file.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);

    const thumb = await download(`${getUrl(id)}/thumb`, bob.token);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(thumb.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 240]);

    const head = await download(getUrl(id), bob.token, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.body.length]).toEqual([200, String(bytes.length), 0]);
  });

  test('an HTML page named photo.png is a download of unknown type, never a page of the origin', async () => {
    const id = uuidv7();
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
    const up = await upload(postUrl(ws.general, id), ann.token, html, { filename: 'photo.png', headers: { 'content-type': 'image/png' } });
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({ mimeType: 'application/octet-stream', width: null, height: null, hasThumb: false });
    const file = await download(getUrl(id), ann.token);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await download(`${getUrl(id)}/thumb`, ann.token)).status).toBe(404);
  });

  test('an SVG is never served inline nor as an image', async () => {
    const id = uuidv7();
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
    expect((await upload(postUrl(ws.general, id), ann.token, svg, { filename: 'logo.svg' })).status).toBe(201);
    const file = await download(getUrl(id), ann.token);
    expect(file.headers.get('content-type')).not.toMatch(/svg|xml|html/);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="logo.svg"/);
  });

  test('a file name is sanitised: no path, no control characters; a missing one is "file"', async () => {
    const a = await upload(postUrl(ws.general, uuidv7()), ann.token, Buffer.from('x'), { filename: '../../etc/pa\u0000ss\u202ewd.txt' });
    expect(a.json.filename).toBe('_.._etc_passwd.txt');
    const b = await upload(postUrl(ws.general, uuidv7()), ann.token, Buffer.from('x'));
    expect(b.json.filename).toBe('file');
    const long = await upload(postUrl(ws.general, uuidv7()), ann.token, Buffer.from('x'), { filename: 'a'.repeat(256) });
    expect([long.status, long.json.error.message]).toEqual([400, 'A file name can be at most 255 characters.']);
  });

  test('the same media id again: the stored record (200); from someone else: 409', async () => {
    const id = uuidv7();
    const first = await upload(postUrl(ws.general, id), ann.token, Buffer.from('first'), { filename: 'a.txt' });
    const again = await upload(postUrl(ws.general, id), ann.token, Buffer.from('second, different'), { filename: 'b.txt' });
    expect(first.status).toBe(201);
    expect([again.status, again.json]).toEqual([200, first.json]);
    const theirs = await upload(postUrl(ws.general, id), bob.token, Buffer.from('mine'), { filename: 'c.txt' });
    expect(theirs.status).toBe(409);
    expect((await download(getUrl(id), ann.token)).body.toString()).toBe('first');
  });
});

describe('who may upload and download', () => {
  test('the access matrix', async () => {
    const { id: secret } = await ann.caller.room.create({ partitionId: P, name: 'secret-md', visibility: 'private' });
    const { id: open } = await ann.caller.room.create({ partitionId: P, name: 'open-md', visibility: 'public' });
    const inSecret = uuidv7();
    expect((await upload(postUrl(secret, inSecret), ann.token, Buffer.from('classified'), { filename: 's.txt' })).status).toBe(201);

    // Not a member of the private room: it does not exist for them, either way.
    expect((await download(getUrl(inSecret), bob.token)).status).toBe(404);
    expect((await download(`${getUrl(inSecret)}/thumb`, bob.token)).status).toBe(404);
    expect((await upload(postUrl(secret, uuidv7()), bob.token, Buffer.from('x'))).status).toBe(404);
    // A public room they did not join: they may not upload to it.
    expect((await upload(postUrl(open, uuidv7()), bob.token, Buffer.from('x'))).status).toBe(403);
    // Someone of another workspace, asking through either workspace.
    expect((await download(getUrl(inSecret), other.owner.token)).status).toBe(404);
    expect((await download(getUrl(inSecret, 'media_other'), other.owner.token)).status).toBe(404);
    // Signed out, a bad token, a foreign Origin.
    expect((await download(getUrl(inSecret), null)).status).toBe(401);
    expect((await download(getUrl(inSecret), 'not-a-token')).status).toBe(401);
    expect((await download(getUrl(inSecret), ann.token, { headers: { origin: 'http://evil.test' } })).status).toBe(403);
    expect((await download(getUrl(inSecret), ann.token, { headers: { origin: 'http://parley.test' } })).status).toBe(200);

    // A viewer reads but cannot upload, even to a room they are in.
    await ws.owner.caller.room.addMember({ partitionId: P, roomId: secret, userId: vic.id });
    const refused = await upload(postUrl(secret, uuidv7()), vic.token, Buffer.from('x'));
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe('Viewers can read but not write in this workspace.');
    expect((await download(getUrl(inSecret), vic.token)).status).toBe(200);

    // Added to the room: they see it; removed: nothing again.
    await ann.caller.room.addMember({ partitionId: P, roomId: secret, userId: bob.id });
    expect((await download(getUrl(inSecret), bob.token)).status).toBe(200);
    await ann.caller.room.removeMember({ partitionId: P, roomId: secret, userId: bob.id });
    expect((await download(getUrl(inSecret), bob.token)).status).toBe(404);
    // Removed from the workspace: nothing either.
    await ws.owner.caller.partition.removeMember({ partitionId: P, userId: vic.id });
    expect((await download(getUrl(inSecret), vic.token)).status).toBe(404);
  });

  test('ids that are not ids, and wrong methods', async () => {
    expect((await upload(postUrl(ws.general, 'not-a-uuid'), ann.token, Buffer.from('x'))).status).toBe(400);
    expect((await upload(`${srv.url}/media/BAD!/${ws.general}/${uuidv7()}`, ann.token, Buffer.from('x'))).status).toBe(400);
    expect((await download(getUrl(uuidv7()), ann.token)).status).toBe(404);
    const put = await download(getUrl(uuidv7()), ann.token, { method: 'PUT' });
    expect(put.status).toBe(405);
  });
});

describe('size limits', () => {
  test('a declared length over the limit is refused before the body is read', async () => {
    // 100 MB declared, nothing sent: the answer cannot have waited for the body.
    const r = await overLimitRequest(postUrl(ws.general, uuidv7()), ann.token, { declaredLength: 100 * 1024 * 1024, chunk: Buffer.alloc(0), chunks: 0 });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toBe('A file can be at most 256 KB; this one is 100 MB.');
  });

  test('a chunked body over the limit is cut off while streaming, and nothing is stored', async () => {
    const id = uuidv7();
    // 64 KiB at a time, up to 4 MiB: the server answers after about 256 KiB.
    const r = await overLimitRequest(postUrl(ws.general, id), ann.token, { chunk: Buffer.alloc(64 * 1024, 1), chunks: 64 });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toBe('A file can be at most 256 KB.');
    expect(r.written).toBeLessThan(4 * 1024 * 1024);
    const rows = await api.deps.db.selectFrom(`media_${P}`).select('id').where('id', '=', id).execute();
    expect(rows).toEqual([]);
  });

  test('exactly the limit is accepted; an empty file is not', async () => {
    expect((await upload(postUrl(ws.general, uuidv7()), ann.token, Buffer.alloc(MAX, 7))).status).toBe(201);
    const empty = await upload(postUrl(ws.general, uuidv7()), ann.token, Buffer.alloc(0));
    expect([empty.status, empty.json.error.message]).toEqual([400, 'That file is empty.']);
  });
});

describe('avatars', () => {
  test('an image becomes a 256 px square WebP that any signed-in user can load', async () => {
    const up = await upload(`${srv.url}/avatar`, ann.token, await png(500, 300));
    expect(up.status).toBe(201);
    expect(up.json).toEqual({ id: expect.any(String) });
    const img = await download(`${srv.url}/avatar/${up.json.id}`, other.owner.token);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/webp');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(img.headers.get('cache-control')).toContain('immutable');
    const meta = await sharp(img.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 256]);
    expect((await download(`${srv.url}/avatar/${up.json.id}`, null)).status).toBe(401);
    // It changes nobody's profile by itself.
    const user = await api.deps.db.selectFrom('users').select('avatar_id').where('id', '=', ann.id).executeTakeFirstOrThrow();
    expect(user.avatar_id).toBeNull();
  });

  test('not an image (by its bytes), or too large: refused', async () => {
    const text = await upload(`${srv.url}/avatar`, ann.token, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), {
      headers: { 'content-type': 'image/svg+xml' },
    });
    expect([text.status, text.json.error.message]).toEqual([415, 'An avatar must be a JPEG, PNG, GIF or WebP image.']);
    const big = await upload(`${srv.url}/avatar`, ann.token, Buffer.alloc(129 * 1024));
    expect(big.status).toBe(413);
    expect(big.json.error.message).toMatch(/^An avatar can be at most 128 KB/);
  });
});
