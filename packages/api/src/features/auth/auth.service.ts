import { uuidv7 } from 'uuidv7';
import type { NewUser, Session, User } from '@parley/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { pgErrorCode } from '@parley/db';
import { enforceRateLimit, ipKey } from '../../rate-limit.ts';
import { recordAudit, spendAdminSetupTokenInTx } from '../admin/admin.service.ts';
import { releaseEndedSessionLocks } from '../note/note.service.ts';
import * as repo from './auth.repo.ts';
import type { ChangePasswordInput, LoginInput, RegisterInput } from './auth.schema.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.ts';
import { createSession, invalidateSession, invalidateUserSessions } from './session.ts';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  isAdmin: boolean;
  createdAt: string;
}

export function toPublicUser(user: User): PublicUser {
  return {
    id: user.id,
    username: user.username,
    displayName: user.display_name,
    isAdmin: user.is_admin,
    createdAt: user.created_at,
  };
}

export interface SignedIn {
  user: PublicUser;
  /** Only for `session: 'token'`; browsers get an HttpOnly cookie instead. */
  token: string | null;
  expiresAt: string;
}

/** A cookie session needs an answer that can set a cookie: refused before anything is written. */
function assertSessionPossible(ctx: Context, kind: 'cookie' | 'token'): void {
  if (kind === 'cookie' && !ctx.req.setSessionCookie) {
    throw new AppError('BAD_REQUEST', 'Cookie sessions need HTTP; over WebSocket ask for session: "token".');
  }
}

async function startSession(ctx: Context, user: User, kind: 'cookie' | 'token'): Promise<SignedIn> {
  assertSessionPossible(ctx, kind);
  const { token, session } = await createSession(ctx, user.id);
  if (kind === 'cookie') ctx.req.setSessionCookie?.(token, new Date(session.expires_at));
  return { user: toPublicUser(user), token: kind === 'token' ? token : null, expiresAt: session.expires_at };
}

export async function register(ctx: Context, input: RegisterInput): Promise<SignedIn> {
  assertSessionPossible(ctx, input.session);
  if (await repo.findUserByUsername(ctx.db, input.username)) {
    throw new AppError('CONFLICT', 'That username is taken.');
  }
  let user: User;
  let adminBecause: AdminGrantReason | null;
  try {
    ({ user, adminBecause } = await insertUserMaybeAdmin(
      ctx,
      {
        id: uuidv7(),
        username: input.username,
        display_name: input.displayName ?? input.username,
        password_hash: await hashPassword(input.password),
      },
      input.setupToken,
    ));
  } catch (error) {
    if (pgErrorCode(error) === '23505') throw new AppError('CONFLICT', 'That username is taken.', { cause: error });
    throw error;
  }
  ctx.log.info({ userId: user.id, admin: adminBecause ?? undefined }, 'user registered');
  if (adminBecause) {
    await recordAudit(ctx.db, { actor: 'system', action: 'admin.granted', subject: user.id, details: { username: user.username, reason: adminBecause } });
  }
  return startSession(ctx, user, input.session);
}

type AdminGrantReason = 'first-account' | 'ADMIN_USERNAMES' | 'setup-token';

/**
 * Inserts the user, as an administrator when ADMIN_USERNAMES names them, when they present the
 * setup token a node printed (no administrator yet), or, only where `config.firstAccountIsAdmin`
 * (a server nobody else can reach, tests), when theirs is the first account of the database.
 * Each of the last two runs under one lock, so racing registrations cannot both become admin.
 */
async function insertUserMaybeAdmin(
  ctx: Context,
  values: Omit<NewUser, 'is_admin'>,
  setupToken: string | undefined,
): Promise<{ user: User; adminBecause: AdminGrantReason | null }> {
  if (ctx.config.adminUsernames.includes(values.username.toLowerCase())) {
    return { user: await repo.insertUser(ctx.db, { ...values, is_admin: true }), adminBecause: 'ADMIN_USERNAMES' };
  }
  if (setupToken !== undefined) {
    return ctx.db.transaction().execute(async (trx) => {
      await spendAdminSetupTokenInTx(trx, setupToken);
      return { user: await repo.insertUser(trx, { ...values, is_admin: true }), adminBecause: 'setup-token' as const };
    });
  }
  if (!ctx.config.firstAccountIsAdmin || (await repo.anyUserExists(ctx.db))) {
    return { user: await repo.insertUser(ctx.db, values), adminBecause: null };
  }
  return ctx.db.transaction().execute(async (trx) => {
    await repo.lockFirstAccount(trx);
    const first = !(await repo.anyUserExists(trx));
    return { user: await repo.insertUser(trx, { ...values, is_admin: first }), adminBecause: first ? 'first-account' : null };
  });
}

/**
 * Counts a password attempt for `username` from this request's address (see RateLimits):
 * per address over all accounts, then per account and address. Returns the key a success
 * clears. Runs whether or not the account exists, so a refusal reveals nothing.
 */
async function countPasswordAttempt(ctx: Context, username: string): Promise<string> {
  const { loginPerIp, loginPerAccountAndIp } = ctx.config.rateLimits;
  const ip = ipKey(ctx.req.ip);
  await enforceRateLimit(ctx, `login-ip:${ip}`, loginPerIp, 'Too many sign-in attempts from your network.');
  // Usernames are case-insensitive, so is the key: "Ada" and "ada" share one allowance.
  const accountKey = `login:${username.toLowerCase()}:${ip}`;
  await enforceRateLimit(ctx, accountKey, loginPerAccountAndIp, 'Too many failed sign-in attempts for this account.');
  return accountKey;
}

export async function login(ctx: Context, input: LoginInput): Promise<SignedIn> {
  assertSessionPossible(ctx, input.session);
  const attemptKey = await countPasswordAttempt(ctx, input.username);
  const user = await repo.findUserByUsername(ctx.db, input.username);
  if (!user) {
    await burnPasswordCheck(input.password);
    throw new AppError('UNAUTHORIZED', 'Wrong username or password.');
  }
  if (!(await verifyPassword(user.password_hash, input.password))) {
    throw new AppError('UNAUTHORIZED', 'Wrong username or password.');
  }
  await ctx.limiter.reset(attemptKey);
  return startSession(ctx, user, input.session);
}

export async function logout(ctx: Context & { session: Session }): Promise<void> {
  await invalidateSession(ctx, ctx.session);
  // The session's note locks are free now: released at once, not at the next sweep.
  await releaseEndedSessionLocks(ctx, ctx.session.user_id);
  if (ctx.req.tokenSource === 'cookie') ctx.req.setSessionCookie?.(null);
}

/** Changing the password signs out every session of the user, then starts a fresh one. */
export async function changePassword(ctx: Context & { user: User }, input: ChangePasswordInput): Promise<SignedIn> {
  // A stolen session must not become a way to guess the password without limit.
  const attemptKey = await countPasswordAttempt(ctx, ctx.user.username);
  if (!(await verifyPassword(ctx.user.password_hash, input.currentPassword))) {
    throw new AppError('UNAUTHORIZED', 'The current password is wrong.');
  }
  await ctx.limiter.reset(attemptKey);
  await repo.updateUserPassword(ctx.db, ctx.user.id, await hashPassword(input.newPassword));
  await invalidateUserSessions(ctx, ctx.user.id);
  await releaseEndedSessionLocks(ctx, ctx.user.id);
  return startSession(ctx, ctx.user, ctx.req.tokenSource === 'bearer' ? 'token' : 'cookie');
}
