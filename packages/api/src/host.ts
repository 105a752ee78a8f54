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
  /**
   * One hop of a live event's way to a subscriber (see {@link EventHop}), in seconds; for the
   * delivery breakdown of `/metrics` and `pnpm bench`.
   */
  eventHop?(hop: EventHop, seconds: number): void;
}

/**
 * The hops of a live event, each timed on this node:
 * - `queue`: from the send reaching the node's group commit until its statement starts (waiting
 *   for the workspace's write in flight); once per send.
 * - `write`: from its database time (the writing statement's start) until the feed of the node
 *   that wrote it has it: the statement, its commit, the answer coming back.
 * - `bus`: the same on the other nodes: the commit, then Redis pub/sub.
 * - `stream`: from the feed having it until one subscription yields it (its queue, the
 *   generator waking, the socket drained); once per subscriber.
 * - `socket`: from the feed having it until its frame is made for one subscriber's socket
 *   (`stream` plus tRPC's handling); once per subscriber.
 */
export type EventHop = 'queue' | 'write' | 'bus' | 'stream' | 'socket';
