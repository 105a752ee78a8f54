import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { createTestDatabase, postgresForTests, type TestDatabase } from '@parley/db/test-services';
import { createTestApi, createTestWorkspace, type TestApi, type TestWorkspace } from '../../testing.ts';
import { newClientId } from '../../test-util.ts';
import { png, startMediaServer, upload } from './media.fixture.ts';
import { NOT_ATTACHABLE } from './media.service.ts';

const baseUrl = await postgresForTests();

describe.skipIf(!baseUrl)('attachments on PostgreSQL', () => {
  let testDb: TestDatabase;
  let api: TestApi;
  let srv: Awaited<ReturnType<typeof startMediaServer>>;
  let ws: TestWorkspace;
  const P = 'pgmedia';

  beforeAll(async () => {
    testDb = await createTestDatabase(baseUrl!);
    api = await createTestApi({ databaseUrl: testDb.url });
    srv = await startMediaServer(api.deps);
    ws = await createTestWorkspace(api, P, 'pm_owner');
  });
  afterAll(async () => {
    await srv?.close();
    await api?.close();
    await testDb?.drop();
  });

  test('ten different sends racing to attach one file: exactly one carries it, the others are refused, no event id is lost', async () => {
    const mediaId = uuidv7();
    expect((await upload(`${srv.url}/media/${P}/${ws.general}/${mediaId}`, ws.owner.token, await png(64, 64), { filename: 'race.png' })).status).toBe(201);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        ws.owner.caller.message.send({ partitionId: P, roomId: ws.general, clientId: newClientId(), body: `take ${i}`, mediaId }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).toBe(NOT_ATTACHABLE);
    const carriers = await api.deps.db.selectFrom(`messages_${P}`).select('id').where('media_id', '=', mediaId).execute();
    expect(carriers).toHaveLength(1);
    const next = await ws.owner.caller.message.send({ partitionId: P, roomId: ws.general, clientId: newClientId(), body: 'after' });
    const ids = (await api.deps.db.selectFrom(`events_${P}`).select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(next.eventId).toBe(ids.at(-1));
  });

  test('bytes of a large upload survive the round trip through bytea', async () => {
    const mediaId = uuidv7();
    const bytes = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    expect((await upload(`${srv.url}/media/${P}/${ws.general}/${mediaId}`, ws.owner.token, bytes, { filename: 'blob.bin' })).status).toBe(201);
    const res = await fetch(`${srv.url}/media/${P}/${mediaId}`, { headers: { authorization: `Bearer ${ws.owner.token}` } });
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });
});
