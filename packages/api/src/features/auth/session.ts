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

type SessionDeps = Pick<ApiDeps, 'db' | 'config' | 'access'>;

/**
 * Looks a token up by its hash, with both expiries checked against the database clock.
 * Activity pushes the idle expiry forward, at most once per half idle period (one write, not
 * one per request), never past the absolute expiry.
 *
 * A validated session is kept in the node's {@link AccessCache} for a few seconds, and never
 * past its expiry or the moment it is due for renewal (both measured on the database clock
 * when it was read), so a cached answer cannot skip a renewal or outlive the session; the
 * cache forgets it at once when the session ends anywhere in the cluster.
 */
export async function validateSession(deps: SessionDeps, token: string): Promise<ValidSession | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const sessionId = sessionIdFromToken(token);
  const cached = deps.access.session(sessionId);
  if (cached) return { ...cached, renewed: false };
  const epoch = deps.access.epoch;
  const read = await readSession(deps, sessionId);
  if (!read) return null;
  deps.access.storeSession(sessionId, { session: read.session, user: read.user }, read.validForMs, epoch);
  return { session: read.session, user: read.user, renewed: read.renewed };
}

/** Whether this node holds the token's session validated right now (no database work to check it). */
export function isSessionCached(deps: Pick<ApiDeps, 'access'>, token: string): boolean {
  return cachedSessionUser(deps, token) !== undefined;
}

/** The user of the token's session when this node holds it validated right now, else undefined (no database work). */
export function cachedSessionUser(deps: Pick<ApiDeps, 'access'>, token: string): User | undefined {
  return TOKEN_PATTERN.test(token) ? deps.access.session(sessionIdFromToken(token))?.user : undefined;
}

/** The database's answer, and how long it holds: until the session's renewal is due or it expires. */
async function readSession(deps: SessionDeps, sessionId: string): Promise<(ValidSession & { validForMs: number }) | null> {
  const halfIdle = sql<string>`${deps.config.sessionIdleMs / 2} * interval '1 millisecond'`;
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as session_id',
      'sessions.created_at as session_created_at',
      'sessions.expires_at',
      'sessions.absolute_expires_at',
      // Renewal moves the idle expiry forward; once it reached the absolute expiry there is nothing to move.
      sql<boolean>`sessions.expires_at < now() + ${halfIdle} and sessions.expires_at < sessions.absolute_expires_at`.as('needs_renewal'),
      sql<string>`now()`.as('db_now'),
    ])
    .where('sessions.id', '=', sessionId)
    .where('sessions.expires_at', '>', sql<string>`now()`)
    .where('sessions.absolute_expires_at', '>', sql<string>`now()`)
    .executeTakeFirst();
  if (!row) return null;
  const { session_id, session_created_at, expires_at, absolute_expires_at, needs_renewal, db_now, ...user } = row;
  let session: Session = {
    id: session_id,
    user_id: user.id,
    created_at: session_created_at,
    expires_at,
    absolute_expires_at,
  };
  let now = db_now;
  if (needs_renewal) {
    const renewed = await deps.db
      .updateTable('sessions')
      .set({ expires_at: sql`least(now() + ${deps.config.sessionIdleMs} * interval '1 millisecond', absolute_expires_at)` })
      .where('id', '=', session_id)
      .returningAll()
      .returning(sql<string>`now()`.as('db_now'))
      .executeTakeFirstOrThrow();
    ({ db_now: now, ...session } = renewed);
  }
  return { session, user, renewed: needs_renewal, validForMs: validFor(session, now, deps.config.sessionIdleMs) };
}

/** Until the next renewal is due (half the idle period before the idle expiry), or the absolute expiry once renewal is capped by it. */
function validFor(session: Session, dbNow: string, idleMs: number): number {
  const expires = Date.parse(session.expires_at);
  const absolute = Date.parse(session.absolute_expires_at);
  const renewAt = expires < absolute ? expires - idleMs / 2 : absolute;
  return Math.min(renewAt, expires, absolute) - Date.parse(dbNow);
}

/** Ends one session, here and (through the access cache) on every node. */
export async function invalidateSession(deps: Pick<ApiDeps, 'db' | 'access'>, session: Pick<Session, 'id' | 'user_id'>): Promise<void> {
  await deps.db.deleteFrom('sessions').where('id', '=', session.id).execute();
  await deps.access.changed({ kind: 'session', userId: session.user_id, sessionId: session.id });
}

/** Ends every session of the user, here and on every node. */
export async function invalidateUserSessions(deps: Pick<ApiDeps, 'db' | 'access'>, userId: string): Promise<void> {
  await deps.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await deps.access.changed({ kind: 'user', userId });
}

/** Housekeeping: removes expired sessions. Returns how many. */
export async function deleteExpiredSessions(db: Kysely<Database>): Promise<number> {
  const r = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', sql<string>`now()`), eb('absolute_expires_at', '<=', sql<string>`now()`)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
