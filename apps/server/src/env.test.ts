import { describe, expect, test } from 'vitest';
import { loadEnv } from './env.ts';

describe('environment: Redis and rate limits', () => {
  test('REDIS_URL is optional and must be redis:// or rediss://', () => {
    expect(loadEnv({}).REDIS_URL).toBeUndefined();
    expect(loadEnv({ REDIS_URL: 'rediss://user:secret@cache.internal:6380/2' }).REDIS_URL).toBe('rediss://user:secret@cache.internal:6380/2');
    expect(() => loadEnv({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  test('rate limits are written count/window', () => {
    const env = loadEnv({ RATE_LIMIT_MESSAGES: '20/10s', RATE_LIMIT_REQUESTS_PER_IP: ' 600 / 1m ', RATE_LIMIT_LOGIN: '5/1h' });
    expect(env.RATE_LIMIT_MESSAGES).toEqual({ limit: 20, windowMs: 10_000 });
    expect(env.RATE_LIMIT_REQUESTS_PER_IP).toEqual({ limit: 600, windowMs: 60_000 });
    expect(env.RATE_LIMIT_LOGIN).toEqual({ limit: 5, windowMs: 3_600_000 });
    expect(env.RATE_LIMIT_LOGIN_PER_IP).toBeUndefined();
  });

  test('every bad value is listed at once', () => {
    expect(() => loadEnv({ RATE_LIMIT_MESSAGES: '10', RATE_LIMIT_LOGIN: '0/15m' })).toThrow(
      /RATE_LIMIT_MESSAGES: write a limit as count\/window[\s\S]*RATE_LIMIT_LOGIN: both the count and the window must be at least 1/,
    );
  });
});
