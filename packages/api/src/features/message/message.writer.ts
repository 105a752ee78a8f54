import type { Kysely } from 'kysely';
import type { Database, PartitionId } from '@parley/db';
import type { ApiMetrics } from '../../host.ts';
import { insertMessagesWithEvents, type NewMessage, type WriteOutcome } from './message.repo.ts';

/** Largest group commit: one statement of this many messages stays well under a millisecond of lock time per message. */
export const MAX_BATCH_MESSAGES = 200;

interface Waiting {
  item: NewMessage;
  /** performance.now() when it was handed to the writer. */
  at: number;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for sends, per node and partition. A send that finds its partition idle is
 * written at once (no added latency); sends that arrive while a write is in flight wait for
 * it and then go together, in arrival order, as one statement and one commit. Under load this
 * turns N lock round trips and N fsyncs on the partition's counter row into one.
 *
 * The statement checks each send itself (room membership, `clientId` already stored or
 * repeated within the batch) and answers per send, so a duplicate or a refused send costs its
 * neighbours nothing. A batch that fails as a whole (a copy of a `clientId` committed by
 * another node raced in: unique violation) is retried one message at a time on fresh
 * snapshots, so each send still gets its own answer.
 */
export class MessageWriter {
  readonly #queues = new Map<string, Waiting[]>();
  /**
   * Since start (for /health and benchmarks): statements committed, sends they answered,
   * messages they inserted (the rest were duplicates or refused), and the largest batch.
   */
  readonly stats = { batches: 0, messages: 0, inserted: 0, largestBatch: 0 };

  readonly #lanes: readonly { db: Kysely<Database>; busy: number }[];

  /**
   * @param db where the statements run: one database, or its write lanes (`DbHandle.writeLanes`).
   * A workspace keeps to one lane (by a hash of its id) while that lane is free, so its
   * statement is prepared on one session per node; when its lane is busy with another
   * workspace's write, it takes a free one rather than wait.
   */
  constructor(
    db: Kysely<Database> | readonly Kysely<Database>[],
    private readonly metrics?: Pick<ApiMetrics, 'groupCommitted' | 'eventHop'> | undefined,
  ) {
    const lanes = Array.isArray(db) ? db : [db as Kysely<Database>];
    if (lanes.length === 0) throw new RangeError('MessageWriter needs at least one database lane');
    this.#lanes = lanes.map((l) => ({ db: l, busy: 0 }));
  }

  /** The lane of a workspace: its own while free, else a free one, else its own (and wait). */
  #lane(partitionId: string): { db: Kysely<Database>; busy: number } {
    const lanes = this.#lanes;
    const own = lanes[laneOf(partitionId, lanes.length)]!;
    if (own.busy === 0) return own;
    return lanes.find((l) => l.busy === 0) ?? own;
  }

  /** Resolves once the batch holding `item` is committed, with what became of it. */
  write(partitionId: PartitionId, item: NewMessage): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      const waiting = { item, at: performance.now(), resolve, reject };
      const queue = this.#queues.get(partitionId);
      if (queue) {
        queue.push(waiting);
        return;
      }
      this.#queues.set(partitionId, [waiting]);
      void this.#run(partitionId);
    });
  }

  /** Sends waiting for the next group commit, over all partitions. */
  get queued(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.length;
    return n;
  }

  async #run(partitionId: PartitionId): Promise<void> {
    for (;;) {
      const queue = this.#queues.get(partitionId);
      if (!queue || queue.length === 0) {
        this.#queues.delete(partitionId);
        return;
      }
      const batch = queue.splice(0, MAX_BATCH_MESSAGES);
      await this.#commit(partitionId, batch);
    }
  }

  async #commit(partitionId: PartitionId, batch: Waiting[]): Promise<void> {
    try {
      const started = performance.now();
      const hop = this.metrics?.eventHop;
      if (hop) for (const w of batch) hop.call(this.metrics, 'queue', (started - w.at) / 1000);
      const lane = this.#lane(partitionId);
      lane.busy++;
      let written: WriteOutcome[];
      try {
        written = await insertMessagesWithEvents(
          lane.db,
          partitionId,
          batch.map((w) => w.item),
        );
      } finally {
        lane.busy--;
      }
      const inserted = written.filter((o) => o.kind === 'inserted').length;
      this.#count(batch.length, inserted);
      this.metrics?.groupCommitted({ sends: batch.length, inserted, seconds: (performance.now() - started) / 1000 });
      batch.forEach((w, i) => w.resolve(written[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const w of batch) await this.#commit(partitionId, [w]);
    }
  }

  #count(n: number, inserted: number): void {
    this.stats.batches++;
    this.stats.messages += n;
    this.stats.inserted += inserted;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, n);
  }
}

/** A workspace's own lane among `n`: FNV-1a of its id. */
export function laneOf(partitionId: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < partitionId.length; i++) {
    h ^= partitionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}
