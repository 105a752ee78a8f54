import { addressMatcher } from './http-util.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiMetrics } from '@parley/api';
import type { PoolStats } from '@parley/db';

/**
 * Seconds from an event's `at` (the database clock, at commit) to the moment a live
 * subscription yields it (this node's clock): the bus and the feed, plus any clock skew.
 */
/** One hop of a delivery: a tenth of a millisecond to a second. */
const HOP_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const DELIVERY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Sends per group-commit statement: 1 when a partition is idle, up to MAX_BATCH_MESSAGES (200) under load. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200];
/** One group-commit statement, from the node's side (the counter row is locked for about this long). */
const COMMIT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface ServerMetricsSources {
  nodeId: string;
  version: string;
  connections: () => number;
  leasesHeld: () => number;
  draining: () => boolean;
  /** pg pool counters; absent on PGlite. */
  poolStats?: (() => PoolStats) | undefined;
  /** `memory` (no Redis configured: no gauge), else whether every Redis connection is up. */
  redis: () => 'memory' | 'up' | 'down';
}

export interface ServerMetrics {
  /** The hook handed to the API (`createApiDeps({ metrics })`). */
  api: ApiMetrics;
  /** Prometheus text exposition of this node. */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * One registry per node (tests run several nodes in one process, so never the global one):
 * process defaults, WebSocket connections, events delivered and their delivery latency, group
 * commit (batch sizes, statement time, messages written), the pg pool, Redis up, leases held,
 * draining.
 */
export function createServerMetrics(src: ServerMetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  new Gauge({ name: 'parley_node_info', help: 'This node (always 1), labelled with its id and version.', labelNames: ['node', 'version'], registers }).set(
    { node: src.nodeId, version: src.version },
    1,
  );
  new Gauge({
    name: 'parley_websocket_connections',
    help: 'Open WebSocket connections.',
    registers,
    collect() {
      this.set(src.connections());
    },
  });
  new Gauge({
    name: 'parley_leases_held',
    help: 'Background job leases this node holds.',
    registers,
    collect() {
      this.set(src.leasesHeld());
    },
  });
  new Gauge({
    name: 'parley_node_draining',
    help: '1 while the node drains (SIGTERM), else 0.',
    registers,
    collect() {
      this.set(src.draining() ? 1 : 0);
    },
  });
  if (src.redis() !== 'memory') {
    new Gauge({
      name: 'parley_redis_up',
      help: '1 while every Redis connection of this node (bus, rate limiter, presence) is up, else 0.',
      registers,
      collect() {
        this.set(src.redis() === 'up' ? 1 : 0);
      },
    });
  }
  const poolStats = src.poolStats;
  if (poolStats) {
    const pool = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(poolStats()));
        },
      });
    pool('parley_db_pool_total', 'PostgreSQL pool connections open (idle or busy).', (s) => s.total);
    pool('parley_db_pool_idle', 'PostgreSQL pool connections idle.', (s) => s.idle);
    pool('parley_db_pool_waiting', 'Queries waiting for a PostgreSQL pool connection.', (s) => s.waiting);
  }

  const delivered = new Counter({
    name: 'parley_events_delivered_total',
    help: 'Durable events yielded to subscribers; source live (as it happened) or replay (read back from the log).',
    labelNames: ['source'],
    registers,
  });
  const latency = new Histogram({
    name: 'parley_event_delivery_latency_seconds',
    help: 'From an event’s commit time (database clock) to a live subscription yielding it (node clock).',
    buckets: DELIVERY_BUCKETS_S,
    registers,
  });

  const hops = new Histogram({
    name: 'parley_event_hop_seconds',
    help: 'One hop of a live event (queue: send handed to the group commit to its statement start; write: statement start to the writing node’s feed; bus: the same on other nodes; stream: feed to a subscription yielding it; socket: feed to its frame for one socket).',
    labelNames: ['hop'],
    buckets: HOP_BUCKETS_S,
    registers,
  });

  const batchSize = new Histogram({
    name: 'parley_group_commit_batch_size',
    help: 'Sends per group-commit statement (one statement and one commit for the batch).',
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const commitSeconds = new Histogram({
    name: 'parley_group_commit_seconds',
    help: 'Time of one group-commit statement, as the node waited for it.',
    buckets: COMMIT_BUCKETS_S,
    registers,
  });
  const written = new Counter({
    name: 'parley_messages_written_total',
    help: 'Sends answered by group commit: outcome inserted (a new message), or skipped (a duplicate clientId or a refusal).',
    labelNames: ['outcome'],
    registers,
  });

  return {
    api: {
      groupCommitted({ sends, inserted, seconds }) {
        batchSize.observe(sends);
        commitSeconds.observe(seconds);
        written.inc({ outcome: 'inserted' }, inserted);
        if (sends > inserted) written.inc({ outcome: 'skipped' }, sends - inserted);
      },
      eventHop(hop, seconds) {
        if (Number.isFinite(seconds)) hops.observe({ hop }, Math.max(0, seconds));
      },
      eventDelivered(event, live) {
        delivered.inc({ source: live ? 'live' : 'replay' });
        if (!live) return;
        const seconds = (Date.now() - Date.parse(event.at)) / 1000;
        // A skewed clock can make it negative; observe zero rather than lose the sample.
        if (Number.isFinite(seconds)) latency.observe(Math.max(0, seconds));
      },
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/**
 * Who may read `/metrics`: the connecting socket's address (never X-Forwarded-For, which a
 * client can write) against `METRICS_ALLOW` entries, addresses or CIDR ranges.
 */
export function metricsAccess(allow: readonly string[]): (socketAddress: string | undefined) => boolean {
  return addressMatcher(allow);
}
