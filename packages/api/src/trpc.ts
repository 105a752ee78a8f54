import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Role } from '@parley/db';
import { hasRole, REFUSAL, ROLE_NEEDED } from '@parley/rules';
import type { Context } from './context.ts';
import { AppError, appErrorOf, internalErrorId, internalErrorMessage, toTRPCError } from './errors.ts';
import { cachedSessionUser, validateSession } from './features/auth/session.ts';
import { findMemberRole } from './features/partition/partition.service.ts';
import { describeRule, enforceRateLimit, ipKey, rateLimitRefusal, type DeferredIpLimit } from './rate-limit.ts';
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

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    sse: { ping: { enabled: true, intervalMs: SSE_PING_MS } },
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof z.ZodError ? error.cause : undefined;
      // An internal error's own text (SQL, a driver's words) stays in the server's log, under this id.
      const errorId = error.code === 'INTERNAL_SERVER_ERROR' ? internalErrorId(error) : undefined;
      const appError = appErrorOf(error);
      return {
        ...shape,
        // A person reads `message`; a program reads `data.fieldErrors`.
        message: zodError ? describeZodError(zodError) : errorId ? internalErrorMessage(errorId) : shape.message,
        // Stacks stay in the server log, never on the wire. A refusal by a rate limit says when
        // to retry in `retryAfterMs` (milliseconds); a note's lock refused or lost says who holds it in `lock`.
        data: {
          ...shape.data,
          stack: undefined,
          fieldErrors: zodError ? z.flattenError(zodError).fieldErrors : undefined,
          retryAfterMs: appError?.retryAfterMs,
          lock: appError?.data?.lock,
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

/** The per-address limit of one call: its key, rule and refusal. */
function ipLimitOf(ctx: Context): DeferredIpLimit {
  const rule = ctx.config.rateLimits.requestsPerIp;
  return { key: `ip:${ipKey(ctx.req.ip)}`, rule, refusal: `Too many requests from your network (${describeRule(rule)}).`, pending: true };
}

/** The caller's session and their role in the input's `partitionId` are both in the node's access cache. */
async function checksFromMemory(ctx: Context, getRawInput: () => Promise<unknown>): Promise<boolean> {
  const user = ctx.req.token ? cachedSessionUser(ctx, ctx.req.token) : undefined;
  if (!user) return false;
  const input = await getRawInput();
  const partitionId = typeof input === 'object' && input !== null ? (input as { partitionId?: unknown }).partitionId : undefined;
  return typeof partitionId === 'string' && ctx.access.role(partitionId, user.id) !== undefined;
}

type CallResult = { ok: true } | { ok: false; error: { cause?: unknown } };

/** What the guard reads of a call (tRPC's middleware options). */
interface GuardedCall {
  ctx: Context;
  meta?: ProcedureMeta | undefined;
  getRawInput: () => Promise<unknown>;
}

/**
 * What every procedure goes through first, in this order, as one middleware (each tRPC
 * middleware copies the call's options and context, so one is cheaper than four):
 *
 * 1. **Errors**: AppError and known SQLSTATEs become TRPCError in one place, keeping the cause.
 * 2. **Origin**: a browser origin that is not allowed is refused (CSRF; SameSite is not enough).
 * 3. **Requests per client address**, on every procedure (a subscription counts once, when it
 *    starts), after the Origin check so a hostile page cannot spend its visitors' allowance.
 *    A procedure with `meta.countsIpLimit` (`message.send`) counts it itself, with its own
 *    limit in one round trip, but only when everything it checks first is answered from the
 *    node's memory: the session and the caller's role in the input's workspace are cached.
 *    Anything else (a workspace it is not in, an unknown session) is counted here before any
 *    work. A call that failed before the procedure counted it (bad input, a viewer) is counted
 *    afterwards and, over the limit, answered with the refusal: a flood of failing calls is
 *    refused like any other.
 * 4. `then`: the rest of the call (the session check of signed-in procedures, then the procedure).
 */
async function guard<R extends CallResult>(call: GuardedCall, then: (ipLimit: DeferredIpLimit | null) => Promise<R>): Promise<R> {
  const result = await limitPerIp(call, then).catch((error: unknown) => {
    throw toTRPCError(error) ?? error;
  });
  const outcome: CallResult = result;
  if (!outcome.ok) {
    const error = outcome.error;
    const m = toTRPCError(error.cause ?? error);
    if (m && m !== error) throw m;
  }
  return result;
}

/** Steps 2 and 3 of {@link guard}: the Origin, then the per-address limit around `then`. */
async function limitPerIp<R extends CallResult>({ ctx, meta, getRawInput }: GuardedCall, then: (ipLimit: DeferredIpLimit | null) => Promise<R>): Promise<R> {
  if (!ctx.req.originAllowed) throw new AppError('FORBIDDEN', 'This origin is not allowed to call Parley.');
  const ipLimit = ipLimitOf(ctx);
  if (!meta?.countsIpLimit || !(await checksFromMemory(ctx, getRawInput))) {
    await enforceRateLimit(ctx, ipLimit.key, ipLimit.rule, ipLimit.refusal);
    return then(null);
  }
  // The call runs first; if it did not count the limit (it failed before), it is counted now,
  // and over the limit the refusal replaces whatever the call answered or threw.
  const settled = await then(ipLimit).then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (ipLimit.pending) {
    ipLimit.pending = false;
    const counted = await ctx.limiter.consume(ipLimit.key, ipLimit.rule);
    if (!counted.ok) throw rateLimitRefusal(counted.retryAfterMs, ipLimit.refusal);
  }
  if (!settled.ok) throw settled.error;
  return settled.result;
}

export const publicProcedure = t.procedure.use((opts) => guard(opts, (ipLimit) => opts.next({ ctx: { ipLimit } })));

/** The caller's session, or UNAUTHORIZED (a stale cookie is cleared); a renewed session's cookie is sent again. */
async function authenticate(ctx: Context) {
  const token = ctx.req.token;
  const result = token ? await validateSession(ctx, token) : null;
  if (!result) {
    if (token && ctx.req.tokenSource === 'cookie') ctx.req.setSessionCookie?.(null);
    throw new AppError('UNAUTHORIZED', REFUSAL.signIn);
  }
  if (result.renewed && ctx.req.tokenSource === 'cookie') {
    ctx.req.setSessionCookie?.(token, new Date(result.session.expires_at));
  }
  return result;
}

/** Signed in: `ctx.user` and `ctx.session` are narrowed, never asserted. The same guard as {@link publicProcedure}, then the session. */
export const authedProcedure = t.procedure.use((opts) =>
  guard(opts, async (ipLimit) => {
    const { user, session } = await authenticate(opts.ctx);
    return opts.next({ ctx: { ipLimit, user, session } });
  }),
);

/**
 * A Parley administrator (`users.is_admin`: those named in ADMIN_USERNAMES, the account made
 * with the setup token, the first account where `config.firstAccountIsAdmin`). Not a workspace role: it shows the cluster, not anyone's messages.
 */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.is_admin) throw new AppError('FORBIDDEN', REFUSAL.notParleyAdmin);
  return next();
});

/** The role ranking and its refusals live in `@parley/rules` (the client and the SPA use them too). */
export { hasRole };

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
