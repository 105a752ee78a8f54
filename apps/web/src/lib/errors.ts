import { TRPCClientError } from '@trpc/client';

const UNREACHABLE = 'Cannot reach Parley right now. Check your connection and try again.';

/** The code of a tRPC error (`UNAUTHORIZED`, `CONFLICT`, …), if the server sent one. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  if (data && typeof data === 'object' && 'code' in data && typeof data.code === 'string') return data.code;
  return undefined;
}

/**
 * What to show a person. The server's messages are already written for people; an error with
 * no server shape is a network failure (fetch or WebSocket), whose raw text is not.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    return errorCode(error) ? error.message : UNREACHABLE;
  }
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

/** Errors a retry cannot fix: the request itself was refused. */
export function isPermanent(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && code !== 'INTERNAL_SERVER_ERROR' && code !== 'SERVICE_UNAVAILABLE' && code !== 'TIMEOUT';
}
