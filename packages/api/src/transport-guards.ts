import type { ApiDeps } from './context.ts';
import { AppError } from './errors.ts';
import { validateSession } from './features/auth/session.ts';
import { describeRule, ipKey, rateLimitRefusal } from './rate-limit.ts';
import { appRouter } from './root.ts';

/**
 * What the transports (apps/server's HTTP and WebSocket handlers) need of the API to guard a
 * node before a call reaches tRPC: tRPC answers a procedure that does not exist before any
 * middleware runs, so without this no rate limit would ever count such calls.
 */

const procedures: Readonly<Record<string, unknown>> = appRouter._def.procedures;

/** Whether `path` names a procedure of the app router (`message.send`). */
export function isKnownProcedure(path: string): boolean {
  return Object.hasOwn(procedures, path);
}

/**
 * A call to a procedure that does not exist, counted against the caller's per-address limit
 * like any other call: NOT_FOUND, or TOO_MANY_REQUESTS once the address is over its limit.
 */
export async function refuseUnknownProcedure(deps: Pick<ApiDeps, 'limiter' | 'config'>, ip: string, path: string): Promise<AppError> {
  const rule = deps.config.rateLimits.requestsPerIp;
  const result = await deps.limiter.consume(`ip:${ipKey(ip)}`, rule).catch(() => ({ ok: true as const }));
  if (!result.ok) return rateLimitRefusal(result.retryAfterMs, `Too many requests from your network (${describeRule(rule)}).`);
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  return new AppError('NOT_FOUND', `Parley has no procedure named "${shown}".`);
}

/** The user a session token belongs to, or null (no such session, expired, malformed). */
export async function sessionUserId(deps: Pick<ApiDeps, 'db' | 'config' | 'access'>, token: string): Promise<string | null> {
  const valid = await validateSession(deps, token).catch(() => null);
  return valid?.user.id ?? null;
}
