import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Role } from '@parley/db';
import type { Context } from './context.ts';
import { AppError, appErrorOf, internalErrorId, internalErrorMessage, toTRPCError } from './errors.ts';
import { isSessionCached, validateSession } from './features/auth/session.ts';
import { findMemberRole } from './features/partition/partition.service.ts';
import { describeRule, enforceRateLimit, ipKey, type DeferredIpLimit } from './rate-limit.ts';
import { partitionIdSchema } from './schemas.ts';

/**
 * A comment line on every server-sent event stream this often (the HTTP fallback for
 * subscriptions): an idle stream stays well inside nginx's 60 s proxy_read_timeout, and the
 * client can tell a quiet stream from a dead one.
 */
export const SSE_PING_MS = 20_000;

/** What a procedure may declare about itself (`.meta({...})`), read by the middlewares. */
export interface ProcedureMeta {
  /**
   * The procedure counts the per-address limit itself, in one round trip with its own limit
   * (`message.send`: with the per-user one), when the caller's session is already known to
   * this node; see `DeferredIpLimit` (rate-limit.ts).
   */
  countsIpLimit?: boolean;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  sse: { ping: { enabled: true, intervalMs: SSE_PING_MS } },
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof z.ZodError ? error.cause : undefined;
    // An internal error's own text (SQL, a driver's words) stays in the server's log, under this id.
    const errorId = error.code === 'INTERNAL_SERVER_ERROR' ? internalErrorId(error) : undefined;
    return {
      ...shape,
      // A person reads `message`; a program reads `data.fieldErrors`.
      message: zodError ? describeZodError(zodError) : errorId ? internalErrorMessage(errorId) : shape.message,
      // Stacks stay in the server log, never on the wire. A refusal by a rate limit says when
      // to retry in `retryAfterMs` (milliseconds).
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors: zodError ? z.flattenError(zodError).fieldErrors : undefined,
        retryAfterMs: appErrorOf(error)?.retryAfterMs,
        errorId,
      },
    };
  },
});

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps AppError and known SQLSTATEs to TRPCError in one place, keeping the cause. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause ?? result.error);
    if (mapped && mapped !== result.error) throw mapped;
  }
  return result;
});

/** Refuses requests from a browser origin that is not allowed (CSRF; SameSite is not enough). */
const checkOrigin = t.middleware(({ ctx, next }) => {
  if (!ctx.req.originAllowed) {
    throw new AppError('FORBIDDEN', 'This origin is not allowed to call Parley.');
  }
  return next();
});

/**
 * Requests per client address, on every procedure (a subscription counts once, when it
 * starts). After the Origin check, so a hostile page cannot spend its visitors' allowance.
 */
const limitPerIp = t.middleware(async ({ ctx, meta, next }) => {
  const rule = ctx.config.rateLimits.requestsPerIp;
  const key = `ip:${ipKey(ctx.req.ip)}`;
  const refusal = `Too many requests from your network (${describeRule(rule)}).`;
  if (meta?.countsIpLimit && ctx.req.token && isSessionCached(ctx, ctx.req.token)) {
    const ipLimit: DeferredIpLimit = { key, rule, refusal, pending: true };
    try {
      return await next({ ctx: { ipLimit } });
    } finally {
      if (ipLimit.pending) await ctx.limiter.consume(key, rule);
    }
  }
  await enforceRateLimit(ctx, key, rule, refusal);
  return next({ ctx: { ipLimit: null as DeferredIpLimit | null } });
});

export const publicProcedure = t.procedure.use(mapErrors).use(checkOrigin).use(limitPerIp);

/** Signed in: `ctx.user` and `ctx.session` are narrowed, never asserted. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const token = ctx.req.token;
  const result = token ? await validateSession(ctx, token) : null;
  if (!result) {
    if (token && ctx.req.tokenSource === 'cookie') ctx.req.setSessionCookie?.(null);
    throw new AppError('UNAUTHORIZED', 'Please sign in.');
  }
  if (result.renewed && ctx.req.tokenSource === 'cookie') {
    ctx.req.setSessionCookie?.(token, new Date(result.session.expires_at));
  }
  return next({ ctx: { user: result.user, session: result.session } });
});

/**
 * A Parley administrator (`users.is_admin`: the first account of a new server, and those named
 * in ADMIN_USERNAMES). Not a workspace role: it shows the cluster, not anyone's messages.
 */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.is_admin) throw new AppError('FORBIDDEN', 'Only Parley administrators can open the admin view.');
  return next();
});

const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function hasRole(role: Role, atLeast: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[atLeast];
}

const ROLE_NEEDED: Record<Role, string> = {
  viewer: 'You are not a member of this workspace.',
  member: 'Viewers can read but not write in this workspace.',
  admin: 'Only workspace admins and owners can do that.',
  owner: 'Only the workspace owner can do that.',
};

/**
 * A procedure inside one partition: checks membership and the minimum role. A partition the
 * user does not belong to answers NOT_FOUND, so its existence is not revealed.
 */
export function partitionProcedure(minRole: Role) {
  return authedProcedure.input(z.object({ partitionId: partitionIdSchema })).use(async ({ ctx, input, next }) => {
    const role = await findMemberRole(ctx, input.partitionId, ctx.user.id);
    if (!role) throw new AppError('NOT_FOUND', 'No such workspace, or you are not a member of it.');
    if (!hasRole(role, minRole)) throw new AppError('FORBIDDEN', ROLE_NEEDED[minRole]);
    return next({ ctx: { partitionId: input.partitionId, role } });
  });
}

export { TRPCError };
