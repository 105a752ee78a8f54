import { afterAll, beforeAll, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { createTestApi, createTestWorkspace, type TestApi, type TestUser, type TestWorkspace } from '../../testing.ts';
import { newClientId, trpcError, wireError } from '../../test-util.ts';
import { download, png, startMediaServer, upload } from './media.fixture.ts';
import { NOT_ATTACHABLE } from './media.service.ts';

let api: TestApi;
let srv: Awaited<ReturnType<typeof startMediaServer>>;
let ws: TestWorkspace;
let ann: TestUser;
let bob: TestUser;
const P = { partitionId: 'media_msg' };

beforeAll(async () => {
  api = await createTestApi();
  srv = await startMediaServer(api.deps);
  ws = await createTestWorkspace(api, P.partitionId, 'mm_owner', ['mm_ann', 'mm_bob']);
  [ann, bob] = ws.members as [TestUser, TestUser];
});
afterAll(async () => {
  await srv?.close();
  await api?.close();
});

async function uploaded(user: TestUser, roomId: string, bytes: Uint8Array, filename = 'notes.txt') {
  const id = uuidv7();
  const r = await upload(`${srv.url}/media/${P.partitionId}/${roomId}/${id}`, user.token, bytes, { filename });
  expect(r.status).toBe(201);
  return id;
}

test('a file alone is a message: its attachment is in the answer, the event and the history', async () => {
  const mediaId = await uploaded(ann, ws.general, await png(40, 30), 'dot.png');
  const sent = await ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: '', mediaId });
  const attachment = {
    id: mediaId,
    roomId: ws.general,
    filename: 'dot.png',
    mimeType: 'image/png',
    sizeBytes: expect.any(Number),
    width: 40,
    height: 30,
    hasThumb: true,
  };
  expect(sent.body).toBe('');
  expect(sent.attachment).toEqual(attachment);
  const { messages } = await bob.caller.message.list({ ...P, roomId: ws.general });
  expect(messages.find((m) => m.id === sent.id)?.attachment).toEqual(attachment);
  // The log's event carries it too (what other devices and members receive).
  const event = await api.deps.db.selectFrom(`events_${P.partitionId}`).select('data').where('id', '=', sent.eventId).executeTakeFirstOrThrow();
  expect((event.data as { attachment: unknown }).attachment).toEqual(attachment);
  // A message without a file has none.
  const plain = await ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'just words' });
  expect(plain.attachment).toBeNull();
});

test('the same send retried carries its file once; another message cannot take it', async () => {
  const mediaId = await uploaded(ann, ws.general, Buffer.from('report'));
  const clientId = newClientId();
  const first = await ann.caller.message.send({ ...P, roomId: ws.general, clientId, body: 'the report', mediaId });
  const retry = await ann.caller.message.send({ ...P, roomId: ws.general, clientId, body: 'the report', mediaId });
  expect(retry.id).toBe(first.id);
  expect(retry.attachment?.id).toBe(mediaId);
  const e = await trpcError(ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'again', mediaId }));
  expect([e.code, e.message]).toEqual(['BAD_REQUEST', NOT_ATTACHABLE]);
});

test("someone else's file, a file of another room, or no such file: BAD_REQUEST and nothing sent", async () => {
  const { id: other } = await ann.caller.room.create({ ...P, name: 'elsewhere' });
  await bob.caller.room.join({ ...P, roomId: other });
  const annsFile = await uploaded(ann, ws.general, Buffer.from('mine'));
  const otherRoomFile = await uploaded(bob, other, Buffer.from('there'));
  const before = (await ann.caller.message.list({ ...P, roomId: ws.general })).messages.length;
  for (const [who, mediaId] of [
    [bob, annsFile],
    [bob, otherRoomFile],
    [ann, uuidv7()],
  ] as const) {
    const e = await trpcError(who.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'look', mediaId }));
    expect([e.code, e.message]).toEqual(['BAD_REQUEST', NOT_ATTACHABLE]);
  }
  expect((await ann.caller.message.list({ ...P, roomId: ws.general })).messages.length).toBe(before);
});

test('without a file a message still needs text; with one the text keeps its limits', async () => {
  const empty = await trpcError(ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: '   ' }));
  expect(empty.code).toBe('BAD_REQUEST');
  expect(wireError(empty).message).toBe('body: A message cannot be empty.');
  const mediaId = await uploaded(ann, ws.general, Buffer.from('x'));
  const long = await trpcError(ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'x'.repeat(5000), mediaId }));
  expect(long.code).toBe('BAD_REQUEST');
  const badId = await trpcError(ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'x', mediaId: 'nope' }));
  expect(wireError(badId).message).toBe('mediaId: mediaId must be the id of an upload (a UUIDv7).');
});

test('deleting a message for everyone deletes its file: no download, no record, nothing in the log', async () => {
  const mediaId = await uploaded(ann, ws.general, Buffer.from('regretted'), 'oops.txt');
  const sent = await ann.caller.message.send({ ...P, roomId: ws.general, clientId: newClientId(), body: 'oops', mediaId });
  expect((await download(`${srv.url}/media/${P.partitionId}/${mediaId}`, bob.token)).status).toBe(200);
  await ann.caller.message.delete({ ...P, messageId: sent.id, scope: 'everyone', opId: newClientId() });
  expect((await download(`${srv.url}/media/${P.partitionId}/${mediaId}`, bob.token)).status).toBe(404);
  expect(await api.deps.db.selectFrom(`media_${P.partitionId}`).select('id').where('id', '=', mediaId).execute()).toEqual([]);
  const { messages } = await bob.caller.message.list({ ...P, roomId: ws.general });
  expect(messages.find((m) => m.id === sent.id)).toMatchObject({ body: '', attachment: null });
  const event = await api.deps.db.selectFrom(`events_${P.partitionId}`).select('data').where('id', '=', sent.eventId).executeTakeFirstOrThrow();
  expect(event.data).toMatchObject({ body: '', attachment: null });
});
