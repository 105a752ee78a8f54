import { describe, expect, test } from 'vitest';
import { createServerMetrics, metricsAccess } from './metrics.ts';

describe('/metrics access', () => {
  test('loopback and listed ranges are let in, by the socket address; everyone else is not', () => {
    const allowed = metricsAccess(['127.0.0.0/8', '::1', '10.0.0.0/8', '192.168.1.7']);
    for (const ok of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '10.200.3.4', '192.168.1.7']) expect(allowed(ok), ok).toBe(true);
    for (const no of ['192.168.1.8', '8.8.8.8', '::ffff:8.8.8.8', '2001:db8::1', undefined]) expect(allowed(no), String(no)).toBe(false);
  });

  test('an empty list lets nobody in', () => {
    expect(metricsAccess([])('127.0.0.1')).toBe(false);
  });
});

describe('server metrics', () => {
  test('connections, leases, pool and Redis gauges read their sources at scrape time; deliveries are counted and timed', async () => {
    let connections = 3;
    const metrics = createServerMetrics({
      nodeId: 'web-1',
      version: '0.1.0',
      connections: () => connections,
      leasesHeld: () => 2,
      draining: () => false,
      poolStats: () => ({ total: 5, idle: 4, waiting: 0 }),
      redis: () => 'down',
    });
    connections = 7;
    metrics.api.eventDelivered({ partitionId: 'acme', type: 'message.created', at: new Date(Date.now() - 40).toISOString() }, true);
    metrics.api.eventDelivered({ partitionId: 'acme', type: 'message.created', at: new Date().toISOString() }, false);
    metrics.api.groupCommitted({ sends: 1, inserted: 1, seconds: 0.002 });
    metrics.api.groupCommitted({ sends: 40, inserted: 38, seconds: 0.008 });
    const text = await metrics.render();
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(text).toContain('parley_websocket_connections 7');
    expect(text).toContain('parley_leases_held 2');
    expect(text).toContain('parley_db_pool_total 5');
    expect(text).toContain('parley_db_pool_idle 4');
    expect(text).toContain('parley_db_pool_waiting 0');
    expect(text).toContain('parley_redis_up 0');
    expect(text).toContain('parley_node_info{node="web-1",version="0.1.0"} 1');
    expect(text).toContain('parley_events_delivered_total{source="live"} 1');
    expect(text).toContain('parley_events_delivered_total{source="replay"} 1');
    // Only live deliveries are timed: one sample, at about 40 ms.
    expect(text).toContain('parley_event_delivery_latency_seconds_count 1');
    expect(text).toContain('parley_event_delivery_latency_seconds_bucket{le="0.025"} 0');
    expect(text).toContain('parley_event_delivery_latency_seconds_bucket{le="0.1"} 1');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    // Group commit: two statements, of 1 and 40 sends.
    expect(text).toContain('parley_group_commit_batch_size_count 2');
    expect(text).toContain('parley_group_commit_batch_size_sum 41');
    expect(text).toContain('parley_group_commit_batch_size_bucket{le="20"} 1');
    expect(text).toContain('parley_group_commit_batch_size_bucket{le="50"} 2');
    expect(text).toContain('parley_group_commit_seconds_bucket{le="0.0025"} 1');
    expect(text).toContain('parley_messages_written_total{outcome="inserted"} 39');
    expect(text).toContain('parley_messages_written_total{outcome="skipped"} 2');
  });

  test('without Redis or a pg pool those gauges are absent rather than zero', async () => {
    const text = await createServerMetrics({
      nodeId: 'solo',
      version: '0.1.0',
      connections: () => 0,
      leasesHeld: () => 0,
      draining: () => true,
      redis: () => 'memory',
    }).render();
    expect(text).not.toContain('parley_redis_up');
    expect(text).not.toContain('parley_db_pool_total');
    expect(text).toContain('parley_node_draining 1');
  });
});
