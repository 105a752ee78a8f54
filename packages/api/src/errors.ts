import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { pgErrorCode } from '@parley/db';
import type { NoteLockInfo } from '@parley/rules';

/** Every error a service may throw, with the tRPC code it maps to. */
export const AppErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type AppErrorCode = (typeof AppErrorCode)[keyof typeof AppErrorCode];

/**
 * What a refusal tells a program besides its message, each key sent as `error.data.<key>` by the
 * errorFormatter (trpc.ts). A fixed list, typed for the client: a service cannot put anything
 * else (or override `code`) on the wire.
 */
export interface AppErrorData {
  /** A note's lock refused (CONFLICT) or lost to someone else (PRECONDITION_FAILED): who holds it now, until when. */
  lock?: NoteLockInfo | null;
}

export class AppError extends Error {
  /** TOO_MANY_REQUESTS: when the caller may try again; sent to clients as `error.data.retryAfterMs`. */
  readonly retryAfterMs: number | undefined;
  /** Sent to clients in `error.data` (see {@link AppErrorData}). */
  readonly data: AppErrorData | undefined;

  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number; data?: AppErrorData },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.retryAfterMs = options?.retryAfterMs;
    this.data = options?.data;
  }
}

/** The AppError behind a (mapped) error, if any. */
export function appErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof TRPCError && error.cause instanceof AppError) return error.cause;
  return undefined;
}

const errorIds = new WeakMap<object, string>();

/**
 * The id of an internal error: the client is told only this, the server's log has the error
 * (SQL, driver, stack) under the same id. The same error object always gets the same id.
 */
export function internalErrorId(error: object): string {
  let id = errorIds.get(error);
  if (!id) {
    id = randomUUID().slice(0, 8);
    errorIds.set(error, id);
  }
  return id;
}

/** What a client reads for an internal error, instead of its text. */
export function internalErrorMessage(id: string): string {
  return `Something went wrong on the server. If it keeps happening, report error ${id}.`;
}

/** SQLSTATEs we know how to explain; anything else stays an internal error. */
const KNOWN_SQLSTATE: Record<string, { code: AppErrorCode; message: string }> = {
  '23505': { code: 'CONFLICT', message: 'That already exists.' },
  // Retryable (clients treat CONFLICT as final): the same request succeeds when sent again.
  '40001': { code: 'SERVICE_UNAVAILABLE', message: 'A concurrent change got there first; please retry.' },
  '57P01': { code: 'SERVICE_UNAVAILABLE', message: 'The database is restarting; please retry.' },
};

/** Maps service errors (and known database errors) to TRPCError, keeping the cause. */
export function toTRPCError(error: unknown): TRPCError | undefined {
  if (error instanceof TRPCError) return error;
  if (error instanceof AppError) return new TRPCError({ code: error.code, message: error.message, cause: error });
  const sqlstate = pgErrorCode(error);
  const known = sqlstate ? KNOWN_SQLSTATE[sqlstate] : undefined;
  if (known) return new TRPCError({ code: known.code, message: known.message, cause: error });
  return undefined;
}
