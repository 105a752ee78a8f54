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

/**
 * The server's per-field validation messages (`data.fieldErrors`, zod's flattened errors), one
 * sentence per field (the first the server gave); empty for any other error. A form shows each
 * at its field, and `errorMessage` only when this is empty.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof TRPCClientError)) return {};
  const data: unknown = error.data;
  if (!data || typeof data !== 'object' || !('fieldErrors' in data)) return {};
  const raw: unknown = data.fieldErrors;
  if (!raw || typeof raw !== 'object') return {};
  const result: Record<string, string> = {};
  for (const [field, messages] of Object.entries(raw)) {
    const first: unknown = Array.isArray(messages) ? messages.find((m) => typeof m === 'string' && m.trim()) : undefined;
    if (typeof first === 'string') result[field] = sentence(first);
  }
  return result;
}

/** zod's own wording ("Too small: expected string to have >=1 characters") as a sentence. */
function sentence(message: string): string {
  const text = message.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
