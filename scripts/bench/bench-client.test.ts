import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, test, vi } from 'vitest';
import { REPO_ROOT } from '../cluster/index.ts';
import { MAX_RECONNECT_ATTEMPTS, messageBody, parseBody, reconnectDelayMs } from './bench-client.ts';

describe('a benchmark message body', () => {
  it('is the bare marker unless padding is asked for', () => {
    expect(messageBody(3, 41, 1234.5)).toBe('b|3|41|1234.500');
  });

  it('is padded to the bytes asked for, and still read back', () => {
    const body = messageBody(3, 41, 1234.5, 200);
    expect(Buffer.byteLength(body)).toBe(200);
    expect(body.startsWith('b|3|41|1234.500|')).toBe(true);
    expect(parseBody(body)).toEqual({ seq: 41, at: 1234.5 });
  });

  it('is left as it is when it is already that long', () => {
    expect(messageBody(3, 41, 1234.5, 10)).toBe('b|3|41|1234.500');
  });
});

describe("the bench client's reconnect", () => {
  const client = readFileSync(join(REPO_ROOT, 'packages/client/src/backoff.ts'), 'utf8');
  /** A constant of @parley/client read as text: scripts load nothing of Parley at run time. */
  const constant = (name: string) => Number(new RegExp(`export const ${name} = ([\\d_]+);`).exec(client)?.[1]?.replaceAll('_', '') ?? NaN);

  test("waits as @parley/client's backoff does: 1000·2^attempt plus up to 1000 ms of jitter, at most its cap, as many times", () => {
    expect(MAX_RECONNECT_ATTEMPTS).toBe(constant('MAX_RECONNECT_ATTEMPTS'));
    expect(client).toContain('Math.min(1000 * 2 ** attempt + jitter, MAX_RECONNECT_DELAY_MS)');
    const random = vi.spyOn(Math, 'random');
    try {
      random.mockReturnValue(0);
      expect([0, 1, 2].map(reconnectDelayMs)).toEqual([1000, 2000, 4000]);
      random.mockReturnValue(0.9999);
      expect([0, 1, 2].map(reconnectDelayMs)).toEqual([2000, 3000, 5000]);
      expect(reconnectDelayMs(5)).toBe(constant('MAX_RECONNECT_DELAY_MS'));
    } finally {
      random.mockRestore();
    }
  });
});
