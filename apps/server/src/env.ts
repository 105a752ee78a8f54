import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { S3Settings } from '@parley/api';
import { nodeIdProblem } from '@parley/cluster';
import { parseTrustProxy } from './http-util.ts';

const WINDOW_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A rate limit written `count/window`, e.g. `10/10s`, `100/1m`, `10/15m` (units ms, s, m, h). */
const rateRule = z
  .string()
  .regex(/^\s*\d+\s*\/\s*\d+\s*(ms|s|m|h)\s*$/, 'write a limit as count/window, e.g. 10/10s, 100/1m, 10/15m')
  .transform((v, ctx) => {
    const [, limit, amount, unit] = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(v)!;
    const rule = { limit: Number(limit), windowMs: Number(amount) * WINDOW_UNIT_MS[unit as keyof typeof WINDOW_UNIT_MS] };
    if (rule.limit < 1 || rule.windowMs < 1) {
      ctx.addIssue({ code: 'custom', message: 'both the count and the window must be at least 1' });
      return z.NEVER;
    }
    return rule;
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** PostgreSQL; without it Parley runs on an embedded PGlite database in DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  /** Embedded database directory; defaults to `.data` at the repository root. */
  DATA_DIR: z.string().optional(),
  /** Extra browser origins allowed besides the server's own (comma-separated), e.g. Vite's dev server. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /**
   * The proxies whose X-Forwarded-For/-Proto/-Host are believed, by the connecting socket:
   * addresses, CIDR ranges, `loopback`, `private` (comma-separated). Default: none.
   */
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const { entries, problems } = parseTrustProxy(s);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return entries;
    }),
  /** `auto`: Secure cookies when the request came over https. */
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .positive()
    .max(60 * 24 * 30)
    .default(30),
  SESSION_ABSOLUTE_DAYS: z.coerce.number().positive().max(365).default(30),
  /**
   * Redis (`redis://` or `rediss://`): cross-node fan-out and cluster-wide rate limits.
   * Without it: an in-process bus and in-memory limits (one node; other nodes on the same
   * database are still seen, through the event log poll).
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// or rediss:// URL' }).optional(),
  /** Event log poll while the bus cannot be relied on (no Redis, or Redis down). */
  EVENT_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Event log poll while Redis is up: a safety net for a lost publish. */
  EVENT_SAFETY_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  /** How long a user shows as reconnecting after their last connection ends, before offline. */
  PRESENCE_GRACE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Messages per user (default 10/10s). */
  RATE_LIMIT_MESSAGES: rateRule.optional(),
  /** Edits, deletes, reactions, pins, room, DM and note changes (locks, renewals, saves) per user (default 30/10s). */
  RATE_LIMIT_CHANGES: rateRule.optional(),
  /** Requests (procedure calls) per client address (default 100/1m). Behind a proxy set TRUST_PROXY. */
  RATE_LIMIT_REQUESTS_PER_IP: rateRule.optional(),
  /** Downloads of files, thumbnails and avatars per client address (default 1200/1m). */
  RATE_LIMIT_DOWNLOADS_PER_IP: rateRule.optional(),
  /** Sign-in attempts per account and address; a success clears it (default 10/15m). */
  RATE_LIMIT_LOGIN: rateRule.optional(),
  /** Sign-in attempts per address, any account (default 100/15m). */
  RATE_LIMIT_LOGIN_PER_IP: rateRule.optional(),
  /** What one WebSocket connection may cost (ws-guard.ts). More calls in one message close the connection. */
  WS_MAX_CALLS_PER_MESSAGE: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Queries and mutations waiting for their answer on one connection; more are refused (TOO_MANY_REQUESTS). */
  WS_MAX_CALLS_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Subscriptions open on one connection; more are refused (TOO_MANY_REQUESTS). */
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** KiB queued for a client that does not read: above it the node stops reading its calls and its subscriptions wait. */
  WS_HIGH_WATER_KB: z.coerce
    .number()
    .int()
    .min(16)
    .max(1024 * 1024)
    .default(512),
  /** KiB queued past which the connection is dropped (the client resumes from its last event). */
  WS_MAX_BUFFERED_KB: z.coerce
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .default(8192),
  /** Open WebSocket connections from one address; more are refused at the upgrade (429). */
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Open WebSocket connections signed in as one user; more are closed (1008). */
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object a line) or `pretty` (for people); unset: pretty on a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** The built SPA; defaults to apps/web/dist. */
  WEB_DIST: z.string().optional(),
  /**
   * This node's id in `nodes`, logs, `/health` and the audit log. Without it: HOSTNAME when it
   * is a valid id, else a generated `node-<hex>`. A bad SERVER_ID stops the server.
   */
  SERVER_ID: z
    .string()
    .optional()
    .superRefine((id, ctx) => {
      const problem = id === undefined ? null : nodeIdProblem(id);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  HOSTNAME: z.string().optional(),
  /** Usernames that are Parley administrators (comma-separated, any case): granted at startup and at registration. */
  ADMIN_USERNAMES: z
    .string()
    .default('')
    .transform((s) => [
      ...new Set(
        s
          .split(',')
          .map((u) => u.trim().toLowerCase())
          .filter(Boolean),
      ),
    ]),
  /** How long a note's edit lock lives after it is taken or renewed (seed 001: 5 minutes; editors renew every 2). */
  NOTE_LOCK_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60 * 60)
    .default(300),
  /** How often one node per workspace clears expired note locks and those of ended sessions. */
  NOTE_LOCK_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Workspaces one account may create; Parley administrators have no cap. */
  MAX_WORKSPACES_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(20),
  /** Rooms of at most this many people: any member may use `@room` (room admins always may). */
  ROOM_MENTION_MAX_MEMBERS: z.coerce.number().int().min(0).max(1_000_000).default(20),
  /** Who runs this server, for push services (Web Push VAPID `sub`): a `mailto:` or `https:` URL. */
  PUSH_SUBJECT: z
    .string()
    .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'PUSH_SUBJECT is a mailto: address or an https: URL.')
    .default('mailto:parley@example.invalid'),
  /**
   * Largest attachment, in bytes (default 25 MiB). An upload is held in the node's memory while
   * it is typed and thumbnailed: concurrent uploads times this is what they can cost.
   */
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(25 * 1024 * 1024),
  /** Largest avatar upload, in bytes (default 5 MiB); it is stored as a 256 px WebP. */
  /** Bytes of uploads a node holds in memory at once; past it the next upload gets 503 + Retry-After (default 100 MiB). */
  MEDIA_UPLOAD_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .max(16 * 1024 * 1024 * 1024)
    .default(100 * 1024 * 1024),
  AVATAR_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  /**
   * An S3-compatible bucket for attachments and avatars (AWS, MinIO…). Unset: they are kept in
   * the database. S3_BUCKET turns it on; the keys are then required.
   */
  S3_BUCKET: z.string().trim().min(3).max(63).optional(),
  /** e.g. `http://minio:9000`; unset: AWS's endpoint for S3_REGION. */
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'S3_ENDPOINT must be an http:// or https:// URL' }).optional(),
  S3_REGION: z.string().trim().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style URLs (`host/bucket/key`): what MinIO and most self-hosted stores need. */
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false', '1', '0'], { error: 'S3_FORCE_PATH_STYLE is true or false' })
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Who may read `/metrics`: addresses or CIDR ranges (comma-separated), matched against the
   * connecting socket, never X-Forwarded-For. Default: loopback and private networks (a
   * Prometheus on the same host or network); nginx must not pass /metrics from outside.
   */
  METRICS_ALLOW: z
    .string()
    .default('127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7')
    .transform((s, ctx) => {
      const entries = s
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      for (const entry of entries) {
        if (!isAddressOrRange(entry)) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or a CIDR range` });
      }
      return entries;
    }),
});

/** HOST names only this machine (127.0.0.0/8, ::1, localhost): nobody else can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  if (!/^\d+$/.test(bits) || n > (family === 4 ? 32 : 128)) return false;
  // Let node's own parser have the last word.
  try {
    new BlockList().addSubnet(address, n, family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

export type Env = Readonly<z.infer<typeof envSchema>>;

/** The S3 settings of `env` (null: keep uploads in the database); the keys are required with a bucket. */
export function s3SettingsOf(env: Env): S3Settings | null {
  if (!env.S3_BUCKET) return null;
  return {
    bucket: env.S3_BUCKET,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  };
}

/** What a set S3_BUCKET needs besides (one line each), for {@link loadEnv}. */
function s3Problems(source: NodeJS.ProcessEnv): string[] {
  if (!source.S3_BUCKET) return [];
  return (['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((k) => !source[k]).map((k) => `  ${k}: required when S3_BUCKET is set`);
}

/** The environment is wrong: `message` lists every problem, one per line. */
export class InvalidEnvironment extends Error {
  override name = 'InvalidEnvironment';
}

/** Reads and validates the environment once; fails fast with every problem listed. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)), ...s3Problems(source)];
  if (!parsed.success || problems.length > 0) {
    throw new InvalidEnvironment(`Invalid environment:\n${problems.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
