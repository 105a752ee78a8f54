import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorCode, retryAfterMs } from '@parley/client';
import type { ParleyNode } from '../src/node.ts';
import { connect, startTestNode } from './helpers.ts';

/** What a program sees of a rate-limit refusal over the wire: 429, Retry-After, data.retryAfterMs. */
describe('rate limit refusals over HTTP', () => {
  let node: ParleyNode;
  beforeAll(async () => {
    node = await startTestNode({
      dataDir: 'memory://',
      api: { rateLimits: { requestsPerIp: { limit: 3, windowMs: 60_000 } } },
    });
  });
  afterAll(() => node?.close());

  test('the fourth call in a minute is a 429 with Retry-After, a readable message and retryAfterMs', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${node.url}/trpc/auth.me`)).status).toBe(200);
    const res = await fetch(`${node.url}/trpc/auth.me`);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await res.json()) as { error: { message: string; data: { code: string; retryAfterMs: number } } };
    expect(body.error.message).toMatch(
      /^Too many requests from your network \(at most 3 in 1 minute\)\. Try again in (59|60) seconds\.$|Try again in 1 minute\.$/,
    );
    expect(body.error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(body.error.data.retryAfterMs).toBeGreaterThan(55_000);
    expect(body.error.data.retryAfterMs).toBeLessThanOrEqual(60_000);

    // @parley/client reads the same refusal (its outbox waits retryAfterMs before resending).
    const client = connect(node.url);
    try {
      const error = await client.trpc.auth.me.query().then(
        () => null,
        (e: unknown) => e,
      );
      expect(errorCode(error)).toBe('TOO_MANY_REQUESTS');
      expect(retryAfterMs(error)).toBeGreaterThan(50_000);
    } finally {
      await client.close();
    }
  });
});
