import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { waitUntil } from '@parley/cluster/test-services';
import { createDb } from '@parley/db';
import type { ParleyNode } from '../src/node.ts';
import { signUp, startTestNode, subscribe, uuidv7 } from './helpers.ts';

interface Health {
  status: string;
  node: string;
  nodeStatus: string;
  partitions: { configured: number; initialized: number } | null;
  connections: number;
  leases: { job: string; scope: string; generation: number; since: string }[];
  queues: { eventsWaitingForGaps: number; sendsWaitingToCommit: number; webSocketBufferedBytes: number };
  groupCommit: { batches: number; messages: number; inserted: number; largestBatch: number };
}
const getHealth = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Health;
const metricValue = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** One node on the embedded database: /health, /metrics, and a drain seen from outside. */
describe('health, metrics and drain of one node', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-health-'));
  let node: ParleyNode;
  beforeAll(async () => {
    node = await startTestNode({ nodeId: 'solo-node', dataDir });
  });
  afterAll(async () => {
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('/health names the node and its status, counts partitions, connections and queues, and lists the leases it runs', async () => {
    const before = await getHealth(node.url);
    expect(before).toMatchObject({ status: 'ok', node: 'solo-node', nodeStatus: 'active', partitions: { configured: 0, initialized: 0 } });
    expect(before.queues).toEqual({ eventsWaitingForGaps: 0, sendsWaitingToCommit: 0, webSocketBufferedBytes: 0 });
    expect(before.groupCommit).toEqual({ batches: 0, messages: 0, inserted: 0, largestBatch: 0 });

    const ann = await signUp(node.url, 'ann');
    await ann.client.trpc.partition.create.mutate({ id: 'acme', name: 'Acme' });
    await waitUntil(
      async () => (await getHealth(node.url)).leases.some((l) => l.job === 'session-sweep' && l.scope === 'global'),
      10_000,
      'the session sweep lease',
    );
    const after = await getHealth(node.url);
    expect(after.partitions).toEqual({ configured: 1, initialized: 1 });
    expect(after.leases.find((l) => l.job === 'session-sweep')).toMatchObject({ scope: 'global', generation: 1 });
    // Partition-scoped jobs get a lease for the new workspace without a restart.
    await waitUntil(async () => (await getHealth(node.url)).leases.some((l) => l.scope === 'acme'), 10_000, 'a lease for acme');
    await ann.client.close();
  });

  test('/metrics: WebSocket connections, live deliveries and their latency, group commit, process metrics', async () => {
    const bob = await signUp(node.url, 'bob');
    const { partition } = await bob.client.trpc.partition.create.mutate({ name: 'Metrics' });
    const roomId = (await bob.client.trpc.room.list.query({ partitionId: partition.id }))[0]!.id;
    const { lastEventId } = await bob.client.trpc.event.head.query({ partitionId: partition.id });
    const log = subscribe(bob.client, partition.id, lastEventId);
    await waitUntil(() => node.server.connections > 0, 10_000, 'the WebSocket');
    const res0 = await fetch(`${node.url}/metrics`);
    expect(res0.status).toBe(200);
    expect(res0.headers.get('content-type')).toMatch(/^text\/plain/);
    const before = await res0.text();
    expect(metricValue(before, 'parley_websocket_connections')).toBeGreaterThanOrEqual(1);
    expect(before).toMatch(/^process_resident_memory_bytes /m);
    const liveBefore = metricValue(before, 'parley_events_delivered_total{source="live"}') ?? 0;

    await bob.client.trpc.message.send.mutate({ partitionId: partition.id, roomId, clientId: uuidv7(), body: 'measured' });
    await log.until((es) => es.some((e) => e.type === 'message.created'));
    const after = await (await fetch(`${node.url}/metrics`)).text();
    expect(metricValue(after, 'parley_events_delivered_total{source="live"}')).toBeGreaterThan(liveBefore);
    expect(metricValue(after, 'parley_event_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(1);
    // The delivery's hops on this one node: written here, streamed, framed for the WebSocket.
    for (const hop of ['write', 'stream', 'socket']) {
      expect(metricValue(after, `parley_event_hop_seconds_count{hop="${hop}"}`), hop).toBeGreaterThan(
        metricValue(before, `parley_event_hop_seconds_count{hop="${hop}"}`) ?? 0,
      );
    }
    expect(metricValue(after, 'parley_leases_held')).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'parley_group_commit_batch_size_count')).toBe((metricValue(before, 'parley_group_commit_batch_size_count') ?? 0) + 1);
    expect(metricValue(after, 'parley_messages_written_total{outcome="inserted"}')).toBe(1);
    expect((await getHealth(node.url)).groupCommit).toMatchObject({ batches: 1, messages: 1, inserted: 1, largestBatch: 1 });
    log.stop();
    await bob.client.close();
  });

  test('/metrics refuses a socket address outside METRICS_ALLOW', async () => {
    await using closed = await startTestNode({ nodeId: 'private-node', dataDir: 'memory://', metricsAllow: ['10.9.9.9'] });
    const res = await fetch(`${closed.url}/metrics`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'metrics are served only to the addresses in METRICS_ALLOW' });
  });

  test('draining: /ready and /health answer 503 at once and new WebSockets are refused; after close the row is inactive and the leases released', async () => {
    node.server.drain();
    const ready = await fetch(`${node.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
    const health = await fetch(`${node.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    // nginx (or any keep-alive client) is told to stop reusing its connection to this node.
    expect(health.headers.get('connection')).toBe('close');
    const refused = await new Promise<string>((done) => {
      const ws = new WebSocket(`${node.url.replace('http', 'ws')}/trpc`);
      ws.on('open', () => done('open'));
      ws.on('unexpected-response', (_req, res) => done(String(res.statusCode)));
      ws.on('error', () => done('error'));
    });
    expect(refused).toBe('503');

    await node.close();
    const reopened = await createDb({ dataDir: resolve(dataDir, 'pglite') });
    try {
      const row = await reopened.db.selectFrom('nodes').select(['status', 'stopped_at']).where('id', '=', 'solo-node').executeTakeFirstOrThrow();
      expect(row.status).toBe('inactive');
      expect(row.stopped_at).not.toBeNull();
      const held = await reopened.db.selectFrom('leases').select('holder').where('holder', '=', 'solo-node').execute();
      expect(held).toEqual([]);
      const actions = await reopened.db.selectFrom('audit_log').select('action').where('actor', '=', 'solo-node').orderBy('id').execute();
      const names = actions.map((a) => a.action);
      expect(names[0]).toBe('node.registered');
      expect(names).toContain('lease.released');
      expect(names.slice(-1)).toEqual(['node.inactive']);
      expect(names).toContain('node.draining');
    } finally {
      await reopened.close();
    }
  });
});

test('/health names no workspace to an address METRICS_ALLOW does not admit: lease scopes stay for operators', async () => {
  await using node = await startTestNode({ metricsAllow: ['192.0.2.1'] });
  await waitUntil(async () => ((await (await fetch(`${node.url}/health`)).json()) as { leasesHeld: number }).leasesHeld > 0, 10_000, 'a lease to be held');
  const health = (await (await fetch(`${node.url}/health`)).json()) as { leases?: unknown; leasesHeld: number; status: string };
  expect(health.status).toBe('ok');
  expect(health.leases).toBeUndefined();
  expect(health.leasesHeld).toBeGreaterThan(0);
});
