import { describe, expect, test } from 'vitest';
import { loadEnv, s3SettingsOf } from './env.ts';

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

describe('environment: node identity, admins, metrics', () => {
  test('SERVER_ID is optional; a valid one is kept as given', () => {
    expect(loadEnv({}).SERVER_ID).toBeUndefined();
    expect(loadEnv({ SERVER_ID: 'web-1.eu' }).SERVER_ID).toBe('web-1.eu');
  });

  test.each([
    ['ab', /SERVER_ID: a node id is 3–128 characters long/],
    ['web 1', /SERVER_ID: a node id may contain only letters, digits/],
    ['../../etc', /SERVER_ID: a node id may not contain "\.\." or "\/\/"/],
    ['Admin', /SERVER_ID: "Admin" is reserved/],
    ['null', /SERVER_ID: "null" is reserved/],
  ])('a bad SERVER_ID (%j) stops startup with the reason', (id, message) => {
    expect(() => loadEnv({ SERVER_ID: id })).toThrow(message);
  });

  test('ADMIN_USERNAMES is a comma-separated list, trimmed, lower-cased, without repeats', () => {
    expect(loadEnv({}).ADMIN_USERNAMES).toEqual([]);
    expect(loadEnv({ ADMIN_USERNAMES: ' Ada, grace ,,ADA' }).ADMIN_USERNAMES).toEqual(['ada', 'grace']);
  });

  test('METRICS_ALLOW takes addresses and CIDR ranges and defaults to loopback and private networks', () => {
    expect(loadEnv({}).METRICS_ALLOW).toEqual(['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']);
    expect(loadEnv({ METRICS_ALLOW: '127.0.0.1, 10.1.0.0/16,fd00::/8' }).METRICS_ALLOW).toEqual(['127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
    expect(() => loadEnv({ METRICS_ALLOW: 'prometheus,10.0.0.0/33' })).toThrow(
      /METRICS_ALLOW: "prometheus" is not an IP address or a CIDR range[\s\S]*"10.0.0.0\/33" is not/,
    );
  });
});

describe('environment: presence', () => {
  test('PRESENCE_GRACE_MS is 60 s by default, at least 1 s, in milliseconds', () => {
    expect(loadEnv({}).PRESENCE_GRACE_MS).toBe(60_000);
    expect(loadEnv({ PRESENCE_GRACE_MS: '5000' }).PRESENCE_GRACE_MS).toBe(5_000);
    expect(() => loadEnv({ PRESENCE_GRACE_MS: '500' })).toThrow(/PRESENCE_GRACE_MS/);
    expect(() => loadEnv({ PRESENCE_GRACE_MS: 'a minute' })).toThrow(/PRESENCE_GRACE_MS/);
  });
});

describe('environment: notes', () => {
  test('the lock lives 300 s and the sweep runs every 30 s unless configured; nonsense stops startup', () => {
    expect(loadEnv({})).toMatchObject({ NOTE_LOCK_SECONDS: 300, NOTE_LOCK_SWEEP_SECONDS: 30 });
    expect(loadEnv({ NOTE_LOCK_SECONDS: '1', NOTE_LOCK_SWEEP_SECONDS: '1' })).toMatchObject({ NOTE_LOCK_SECONDS: 1, NOTE_LOCK_SWEEP_SECONDS: 1 });
    expect(() => loadEnv({ NOTE_LOCK_SECONDS: '0', NOTE_LOCK_SWEEP_SECONDS: 'soon' })).toThrow(/NOTE_LOCK_SECONDS[\s\S]*NOTE_LOCK_SWEEP_SECONDS/);
  });
});

describe('environment: uploads and S3', () => {
  test('size limits default to 25 MiB and 5 MiB, and are bytes', () => {
    const env = loadEnv({});
    expect([env.MEDIA_MAX_BYTES, env.AVATAR_MAX_BYTES]).toEqual([25 * 1024 * 1024, 5 * 1024 * 1024]);
    expect(loadEnv({ MEDIA_MAX_BYTES: '1048576' }).MEDIA_MAX_BYTES).toBe(1_048_576);
    expect(() => loadEnv({ MEDIA_MAX_BYTES: '10' })).toThrow(/MEDIA_MAX_BYTES/);
  });

  test('no S3_BUCKET: uploads stay in the database', () => {
    expect(s3SettingsOf(loadEnv({}))).toBeNull();
  });

  test('S3_BUCKET with its keys: the settings; without them: every missing one is named', () => {
    const env = loadEnv({
      S3_BUCKET: 'parley-media',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'parley',
      S3_SECRET_ACCESS_KEY: 'secret-key',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(s3SettingsOf(env)).toEqual({
      bucket: 'parley-media',
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      accessKeyId: 'parley',
      secretAccessKey: 'secret-key',
      forcePathStyle: true,
    });
    expect(() => loadEnv({ S3_BUCKET: 'parley-media' })).toThrow(
      /S3_ACCESS_KEY_ID: required when S3_BUCKET is set[\s\S]*S3_SECRET_ACCESS_KEY: required when S3_BUCKET is set/,
    );
    expect(() => loadEnv({ S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  });
});
