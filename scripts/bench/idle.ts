import { performance } from 'node:perf_hooks';
import { createNodeProcess, freePort, type NodeProcess } from '../cluster/index.ts';
import { IDLE_PARTITION, type Options } from './options.ts';
import { cpuDelta, cpuOf, rssBytes } from './procstat.ts';
import { signedMib } from './report.ts';
import type { RssResult } from './results.ts';
import { log, onCleanup, pool, sleep } from './run.ts';
import type { Run } from './setup.ts';
import { mib, num } from './stats.ts';
import { TrpcSocket } from './wire.ts';

/**
 * Step 4: RSS per idle connection, after the kill -9 step (only the storm comes later), on a
 * node of its own started for it (fresh: no load step's garbage or freed pages in its baseline;
 * and the connections' aftermath, such as presence's grace period, cannot slow a later step).
 * Null with --idle 0.
 */
export async function measureIdleStep(run: Run): Promise<RssResult | null> {
  const { opts, env, db, redis, people, idleUsers } = run;
  let rss: RssResult | null = null;
  if (opts.idle > 0) {
    const idleNode = createNodeProcess({ id: 'node-idle', port: await freePort(), env: { ...env, DATABASE_URL: db.url, REDIS_URL: redis.url } });
    onCleanup('idle node', async () => void (await idleNode.stop('SIGTERM')));
    log(`RSS: starting node-idle (not behind nginx) for ${opts.idle} idle connections…`);
    await idleNode.start();
    rss = await measureIdle(
      opts,
      idleNode,
      people.slice(0, idleUsers).map((p) => p.token),
      opts.idle,
    );
    await idleNode.stop('SIGTERM');
  }
  return rss;
}

async function measureIdle(opts: Options, node: NodeProcess, tokens: string[], count: number): Promise<RssResult> {
  log(`RSS: ${count} idle WebSockets straight to ${node.id} (${node.url}, not through nginx), each with an event.onEvent subscription…`);
  /** RSS after a full collection (the preload's SIGWINCH), so garbage does not count. */
  const rssAfterGc = async () => {
    if (node.pid) process.kill(node.pid, 'SIGWINCH');
    await sleep(1500);
    return rssBytes(node.pid) ?? 0;
  };
  /**
   * V8's heap in use, the memory held outside it (Buffers) and the young generation's size
   * (its semi-spaces, grown under allocation and kept: a node's, not a connection's), from the
   * node's own /metrics (prom-client's defaults).
   */
  const heap = async () => {
    try {
      const text = await (await fetch(`${node.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const pick = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
      const young = Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m.exec(text)?.[1] ?? NaN);
      return { used: pick('nodejs_heap_size_used_bytes'), external: pick('nodejs_external_memory_bytes'), young };
    } catch {
      return { used: NaN, external: NaN, young: NaN };
    }
  };
  const rssBefore = await rssAfterGc();
  const heapBefore = await heap();
  const sockets: TrpcSocket[] = [];
  onCleanup('idle sockets', () => sockets.forEach((s) => s.close()));
  let failedToOpen = 0;
  const t0 = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    100,
    async (i) => {
      const socket = new TrpcSocket(node.url, tokens[i % tokens.length]!);
      sockets.push(socket);
      try {
        await socket.opened;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no started within 30 s')), 30_000);
          socket.subscribe(
            'event.onEvent',
            { partitionId: IDLE_PARTITION, lastEventId: null },
            {
              onStarted: () => {
                clearTimeout(timer);
                resolve();
              },
              onData: () => {},
              onError: (e) => {
                clearTimeout(timer);
                reject(e);
              },
            },
          );
        });
      } catch {
        failedToOpen += 1;
      }
    },
  );
  const openSeconds = (performance.now() - t0) / 1000;
  const opened = sockets.filter((s) => s.open).length;
  log(`RSS: ${opened} open in ${openSeconds.toFixed(1)} s (${failedToOpen} failed); settling…`);
  // Idle for a while: what the connections cost at rest (presence heartbeats, keep-alive pings).
  await sleep(opts.quick ? 1500 : 3000);
  const cpuA = cpuOf([node.pid!]);
  const tA = performance.now();
  await sleep(opts.quick ? 3000 : 5000);
  const cpuB = cpuOf([node.pid!]);
  const idleCpuPercent = (cpuDelta(cpuA, cpuB) / (performance.now() - tA)) * 100;
  const rssNoGc = rssBytes(node.pid) ?? 0;
  const rssAfter = await rssAfterGc();
  const heapAfter = await heap();
  let healthConnections: number | null;
  try {
    healthConnections = ((await (await fetch(`${node.url}/health`)).json()) as { connections: number }).connections;
  } catch {
    healthConnections = null;
  }
  sockets.forEach((s) => s.close());
  sockets.length = 0;
  await sleep(3000);
  const r: RssResult = {
    node: node.id,
    connections: count,
    opened,
    failedToOpen,
    openSeconds,
    rssBefore,
    rssAfter,
    perTenThousand: opened ? ((rssAfter - rssBefore) / opened) * 10_000 : 0,
    healthConnections,
    idleCpuPercent,
    rssAfterClose: rssBytes(node.pid) ?? null,
    rssBeforeGc: rssNoGc,
    heapPerTenThousand: opened ? ((heapAfter.used - heapBefore.used) / opened) * 10_000 : NaN,
    externalPerTenThousand: opened ? ((heapAfter.external - heapBefore.external) / opened) * 10_000 : NaN,
    youngGrowth: heapAfter.young - heapBefore.young,
  };
  log(
    `RSS: ${node.id} ${mib(rssBefore)} → ${mib(rssAfter)} with ${opened} idle subscribed sockets (${mib(r.perTenThousand)} per 10,000; ` +
      `V8 heap in use ${signedMib(r.heapPerTenThousand)}, external ${signedMib(r.externalPerTenThousand)} per 10,000; ` +
      `young generation ${signedMib(r.youngGrowth)}, once per node); ` +
      `idle CPU ${num(idleCpuPercent)}%; /health connections ${healthConnections}`,
  );
  return r;
}
