// What the host (apps/server, a test) provides the API besides its infrastructure: a logger
// and observation hooks. Interfaces only, imported by anything without a cycle.

/** The minimal logger the API needs (pino satisfies it). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * What a node may observe of the API (apps/server turns it into Prometheus metrics). Calls
 * are synchronous and on the hot path: count, do not wait.
 */
export interface ApiMetrics {
  /**
   * A subscription yielded a durable event to its client: `live` when it came from the feed as
   * it happened, false when it was read back from the log (a resume, a gap filled).
   */
  eventDelivered(event: { partitionId: string; type: string; at: string }, live: boolean): void;
  /**
   * A group commit of sends was committed: `sends` in the statement (at most
   * MAX_BATCH_MESSAGES), `inserted` of them new messages (the rest duplicates or refused), and
   * how long the statement took in `seconds` (the counter row is locked for about that long).
   */
  groupCommitted(batch: { sends: number; inserted: number; seconds: number }): void;
}
