import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { sql, type Kysely } from 'kysely';
import type { Database, Session, User } from '@parley/db';
import type { ApiDeps } from '../../context.ts';

/** 25 random bytes (200 bits) as 40 base32 characters: Lucia's session token design. */
const TOKEN_BYTES = 25;
const TOKEN_PATTERN = /^[a-z2-7]{40}$/;

export function generateSessionToken(): string {
  const bytes = new Uint8Array(TOKEN_BYTES);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/** Only this hash is stored: a database leak does not leak usable tokens. */
export function sessionIdFromToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

const msFromNow = (ms: number) => sql<string>`now() + ${ms} * interval '1 millisecond'`;

export async function createSession(deps: Pick<ApiDeps, 'db' | 'config'>, userId: string) {
  const token = generateSessionToken();
  const session = await deps.db
    .insertInto('sessions')
    .values({
      id: sessionIdFromToken(token),
      user_id: userId,
      expires_at: msFromNow(deps.config.sessionIdleMs),
      absolute_expires_at: msFromNow(deps.config.sessionAbsoluteMs),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token, session };
}

export interface ValidSession {
  session: Session;
  user: User;
  /** true when the idle expiry moved forward: the cookie should be re-sent. */
  renewed: boolean;
}

/**
 * Looks a token up by its hash, with both expiries checked against the database clock.
 * Activity pushes the idle expiry forward, at most once per half idle period (one write, not
 * one per request), never past the absolute expiry.
 */
export async function validateSession(
  deps: Pick<ApiDeps, 'db' | 'config'>,
  token: string,
): Promise<ValidSession | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as session_id',
      'sessions.created_at as session_created_at',
      'sessions.expires_at',
      'sessions.absolute_expires_at',
      sql<boolean>`sessions.expires_at < now() + ${deps.config.sessionIdleMs / 2} * interval '1 millisecond'`.as(
        'needs_renewal',
      ),
    ])
    .where('sessions.id', '=', sessionIdFromToken(token))
    .where('sessions.expires_at', '>', sql<string>`now()`)
    .where('sessions.absolute_expires_at', '>', sql<string>`now()`)
    .executeTakeFirst();
  if (!row) return null;
  const { session_id, session_created_at, expires_at, absolute_expires_at, needs_renewal, ...user } = row;
  let session: Session = {
    id: session_id,
    user_id: user.id,
    created_at: session_created_at,
    expires_at,
    absolute_expires_at,
  };
  if (needs_renewal) {
    session = await deps.db
      .updateTable('sessions')
      .set({ expires_at: sql`least(now() + ${deps.config.sessionIdleMs} * interval '1 millisecond', absolute_expires_at)` })
      .where('id', '=', session_id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return { session, user, renewed: needs_renewal };
}

export async function invalidateSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

export async function invalidateUserSessions(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Housekeeping: removes expired sessions. Returns how many. */
export async function deleteExpiredSessions(db: Kysely<Database>): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', sql<string>`now()`), eb('absolute_expires_at', '<=', sql<string>`now()`)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
