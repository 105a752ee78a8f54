import { type Kysely, sql } from 'kysely';
import type { Database } from '@parley/db';
import { expect } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/shared';
import { uuidv7 } from 'uuidv7';
import { appRouter } from './root.ts';

/** Awaits a promise that must reject with a TRPCError, and returns it. */
export async function trpcError(p: Promise<unknown>): Promise<TRPCError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'expected the call to be refused').toBeInstanceOf(TRPCError);
  return e as TRPCError;
}

export const newClientId = () => uuidv7();

/** Collects `n` items from an async iterable, then stops it. */
export async function take<T>(iterable: AsyncIterable<T>, n: number, timeoutMs = 10_000): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  const it = iterable[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  try {
    while (out.length < n) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out after ${out.length} of ${n} items`);
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        it.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${out.length} of ${n} items`)), remaining);
        }),
      ]).finally(() => clearTimeout(timer));
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    void it.return?.();
  }
  return out;
}

/** A server-side caller yields tracked events as `[id, data, marker]`; the wire shape is `{ id, data }`. */
export function untrack<T>(value: unknown): { id: string; data: T } {
  if (Array.isArray(value)) return { id: value[0] as string, data: value[1] as T };
  return value as { id: string; data: T };
}

/** Opens a subscription through a caller and collects `n` events in wire shape. */
export async function takeEvents<T>(subscription: Promise<unknown>, n: number, timeoutMs?: number) {
  const items = await take(await (subscription as Promise<AsyncIterable<unknown>>), n, timeoutMs);
  return items.map((v) => untrack<T>(v));
}

/** The error as a client receives it, after the router's errorFormatter: `{ message, code, data }`. */
export function wireError(error: TRPCError) {
  return getErrorShape({ config: appRouter._def._config, error, type: 'mutation', path: undefined, input: undefined, ctx: undefined });
}

/**
 * Takes a workspace's tables back to before template 6 (db/partition/0006_attention.ts), for
 * the tests that rebuild an older workspace and upgrade it.
 */
export async function undoAttentionTemplate(trx: Kysely<Database>, partitionId: string): Promise<void> {
  const t = (name: string) => sql.table(`${name}_${partitionId}`);
  await sql`drop table ${t('read_positions')}, ${t('room_notify')}`.execute(trx);
  await sql`alter table ${t('messages')} drop column mentions`.execute(trx);
  for (const column of ['room_id', 'storage', 'object_key', 'thumb', 'thumb_mime', 'width', 'height']) {
    await sql`alter table ${t('media')} drop column ${sql.id(column)}`.execute(trx);
  }
  await sql`alter table ${t('media')} alter column data set not null`.execute(trx);
}
