import { expect, test } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { createTestApi, createTestWorkspace } from '../../testing.ts';
import { download, startMediaServer, upload } from './media.fixture.ts';

test('uploads count against the per-address request limit; downloads against their own budget, so a room of pictures does not use up the calls', async () => {
  await using api = await createTestApi({
    config: { rateLimits: { requestsPerIp: { limit: 3, windowMs: 60_000 }, downloadsPerIp: { limit: 3, windowMs: 60_000 } } },
  });
  // The workspace is made through tRPC from 127.0.0.1; the files travel from another address.
  const ws = await createTestWorkspace(api, 'media_lim', 'ml_owner');
  const srv = await startMediaServer(api.deps, { ip: '192.0.2.7' });
  try {
    const id = uuidv7();
    expect((await upload(`${srv.url}/media/media_lim/${ws.general}/${id}`, ws.owner.token, Buffer.from('x'))).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await download(`${srv.url}/media/media_lim/${id}`, ws.owner.token)).status).toBe(200);
    const refused = await download(`${srv.url}/media/media_lim/${id}`, ws.owner.token);
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toMatch(/^Too many downloads from your network \(at most 3 in 1 minute\)\. Try again in (\d+ seconds?|1 minute)\.$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The three downloads did not touch the request budget: two more uploads still go through…
    for (const body of ['y', 'z'])
      expect((await upload(`${srv.url}/media/media_lim/${ws.general}/${uuidv7()}`, ws.owner.token, Buffer.from(body))).status).toBe(201);
    // …and the next is refused before the session or the body is looked at.
    const fourth = await upload(`${srv.url}/media/media_lim/${ws.general}/${uuidv7()}`, null, Buffer.from('x'));
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.message).toMatch(/^Too many requests from your network \(at most 3 in 1 minute\)/);
  } finally {
    await srv.close();
  }
});

test('a node holds at most uploadMemoryBytes of uploads at once: the next is refused with 503 and Retry-After, and goes through once the first is stored', async () => {
  const { request } = await import('node:http');
  await using api = await createTestApi({ config: { uploadMemoryBytes: 1_500_000 } });
  const ws = await createTestWorkspace(api, 'media_mem', 'mm_owner');
  const srv = await startMediaServer(api.deps);
  try {
    const size = 1_000_000;
    // The first upload declares 1 MB and sends half of it, then waits.
    const slow = request(`${srv.url}/media/media_mem/${ws.general}/${uuidv7()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.owner.token}`, 'content-length': String(size) },
    });
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    slow.write(Buffer.alloc(size / 2, 1));
    await expect
      .poll(async () => (await upload(`${srv.url}/media/media_mem/${ws.general}/${uuidv7()}`, ws.owner.token, Buffer.alloc(size, 2))).status)
      .toBe(503);
    const busy = await upload(`${srv.url}/media/media_mem/${ws.general}/${uuidv7()}`, ws.owner.token, Buffer.alloc(size, 2));
    expect(busy.status).toBe(503);
    expect(busy.json.error.message).toBe('Parley is busy receiving other files. Your upload will be tried again in a moment.');
    expect(Number(busy.headers.get('retry-after'))).toBe(5);
    slow.end(Buffer.alloc(size / 2, 1));
    expect(await slowAnswer).toBe(201);
    // Given back: the same upload now goes through.
    expect((await upload(`${srv.url}/media/media_mem/${ws.general}/${uuidv7()}`, ws.owner.token, Buffer.alloc(size, 2))).status).toBe(201);
  } finally {
    await srv.close();
  }
});
