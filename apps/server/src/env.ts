import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

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
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
  /** Trust X-Forwarded-For/-Proto/-Host (behind nginx). */
  TRUST_PROXY: bool.default(false),
  /** `auto`: Secure cookies when the request came over https. */
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  SESSION_IDLE_MINUTES: z.coerce.number().positive().max(60 * 24 * 30).default(30),
  SESSION_ABSOLUTE_DAYS: z.coerce.number().positive().max(365).default(30),
  EVENT_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The built SPA; defaults to apps/web/dist. */
  WEB_DIST: z.string().optional(),
  SERVER_ID: z.string().optional(),
  HOSTNAME: z.string().optional(),
});

export type Env = Readonly<z.infer<typeof envSchema>>;

/** Reads and validates the environment once; fails fast with every problem listed. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid environment:\n${problems}`);
  }
  return Object.freeze(parsed.data);
}
