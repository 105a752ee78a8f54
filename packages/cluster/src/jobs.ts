/**
 * Background work that must run on exactly one healthy node of the cluster at a time: the
 * node holding the job's lease (a row in the database, renewed while the holder lives, taken
 * over when it dies). `scope: 'partition'` jobs hold one lease per partition; `'global'` jobs
 * one for the whole cluster (scope id `global`).
 */
export interface BackgroundJob {
  /** Stable name, part of the lease key: `presence-sweep`, `session-sweep`. */
  readonly name: string;
  readonly scope: 'partition' | 'global';
  /** Pause between the end of one run and the start of the next, on the lease holder. */
  readonly intervalMs: number;
  /**
   * One pass. `scopeId` is the partition id (or `global`). `signal` aborts when the lease is
   * lost or released (drain): stop promptly, leave nothing half-written.
   */
  run(scopeId: string, signal: AbortSignal): Promise<void>;
}
