import { tracker } from './bench-client.ts';
import { log } from './run.ts';
import type { Run } from './setup.ts';

/** Every message of the run is in the database, once: rows and `message.created` events against acknowledged sends. */
export async function countMessages(run: Run): Promise<{ rowsTotal: number; eventsTotal: number; ackedTotal: number }> {
  const { db, partitionIds } = run;
  let rowsTotal = 0;
  let eventsTotal = 0;
  for (const p of partitionIds) {
    rowsTotal += (await db.client.query<{ n: number }>(`select count(*)::int as n from "messages_${p}" where body like 'b|%'`)).rows[0]!.n;
    eventsTotal += (
      await db.client.query<{ n: number }>(`select count(*)::int as n from "events_${p}" where type = 'message.created' and data->>'body' like 'b|%'`)
    ).rows[0]!.n;
  }
  const ackedTotal = tracker.acked.reduce((s, a) => s + a, 0);
  log(`every message: ${ackedTotal} acknowledged, ${rowsTotal} rows in messages_*, ${eventsTotal} message.created events in events_*`);
  return { rowsTotal, eventsTotal, ackedTotal };
}
