import WebSocket from 'ws';
import { createParleyClient, manualNetwork, type ManualNetwork, type ParleyClient } from '@parley/client';
import { waitUntil } from '@parley/cluster/test-services';
import type { Cluster, DeliveryChecker, NodeProcess } from '@parley/scripts/cluster';

/** Every test client comes from 127.0.0.1 (nginx forwards that): the nodes' limits would refuse them. */
export { RELAXED_RATE_LIMIT_ENV } from '../../apps/server/test/helpers.ts';

/**
 * `ws`, reporting which node each socket reached: every node names itself in `X-Parley-Node`
 * (its id; nginx passes it through) on every answer, the 101 of a WebSocket upgrade included.
 */
function nodeReportingWebSocket(onUpgrade: (nodeId: string | undefined) => void): typeof globalThis.WebSocket {
  class Reporting extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.once('upgrade', (res) => onUpgrade(res.headers['x-parley-node'] as string | undefined));
    }
  }
  return Reporting as unknown as typeof globalThis.WebSocket;
}

export interface ClusterClient {
  name: string;
  token: string;
  client: ParleyClient;
  /** Switch it off and on: offline closes the socket and holds the outbox, as in a browser. */
  network: ManualNetwork;
  /** The node its latest WebSocket reached through nginx (meaningful while connected). */
  node(): NodeProcess | undefined;
  /** Every node its WebSockets reached, in order. */
  readonly nodes: string[];
  /**
   * The node that answered its latest HTTP call (queries and mutations go over HTTP, through
   * nginx, each to the node least_conn picks): read it right after awaiting one call.
   */
  answeredBy(): NodeProcess | undefined;
  /** The last event id its stream delivered. */
  readonly lastEventId: number | null;
  /** Streams the partition's events from `after` (raw, so repeats would show), into `checker`. */
  watch(partitionId: string, after: number): void;
  /** From now on, what it receives is reported to `checker` (which then expects everything sent). */
  reportTo(checker: DeliveryChecker): void;
  /** Queues a message in its outbox and records the send in the current checker. */
  send(partitionId: string, roomId: string, body: string): void;
  /** Resolves once it is connected. */
  connected(timeoutMs?: number): Promise<void>;
  /** Resolves once its outbox is empty; throws at once if the server refused an entry. */
  drained(timeoutMs?: number): Promise<void>;
  readonly errors: unknown[];
  close(): Promise<void>;
}

/** Registers `username` through nginx and returns a client with a bearer token, a switchable network and node tracking. */
export async function clusterClient(cluster: Cluster, username: string): Promise<ClusterClient> {
  const anon = createParleyClient({ url: cluster.url });
  const { token } = await anon.trpc.auth.register.mutate({ username, password: 'correct horse battery', session: 'token' });
  await anon.close();
  const network = manualNetwork();
  const nodes: string[] = [];
  let reached: string | undefined;
  let answered: string | undefined;
  const client = createParleyClient({
    url: cluster.url,
    token: token!,
    network,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      answered = res.headers.get('x-parley-node') ?? undefined;
      return res;
    },
    WebSocket: nodeReportingWebSocket((nodeId) => {
      reached = nodeId;
      nodes.push(cluster.nodeAt(nodeId)?.id ?? `unknown (${nodeId})`);
    }),
  });
  let checker: DeliveryChecker | undefined;
  let lastEventId: number | null = null;
  const errors: unknown[] = [];
  let stopStream: (() => void) | undefined;

  return {
    name: username,
    token: token!,
    client,
    network,
    node: () => cluster.nodeAt(reached),
    nodes,
    answeredBy: () => cluster.nodeAt(answered),
    get lastEventId() {
      return lastEventId;
    },
    errors,
    watch(partitionId, after) {
      lastEventId = after;
      const sub = client.trpc.event.onEvent.subscribe(
        { partitionId, lastEventId: after },
        {
          onData: ({ data: event }) => {
            lastEventId = event.id;
            checker?.delivered(username, { id: event.id, clientId: event.type === 'message.created' ? event.data.clientId : null });
          },
          onError: (error) => errors.push(error),
        },
      );
      stopStream = () => sub.unsubscribe();
    },
    reportTo(next) {
      checker = next;
      next.expect(username, { after: lastEventId });
    },
    send(partitionId, roomId, body) {
      const entry = client.outbox.send({ partitionId, roomId, body });
      checker?.sent(username, { clientId: entry.clientId, body });
    },
    connected: (timeoutMs = 30_000) => waitUntil(() => client.connection.getSnapshot().state === 'CONNECTED', timeoutMs, `${username} to connect`),
    async drained(timeoutMs = 60_000) {
      await waitUntil(
        () => {
          const entries = client.outbox.getSnapshot();
          const failed = entries.find((e) => e.status === 'failed');
          if (failed) throw new Error(`${username}'s ${failed.kind === 'send' ? `send "${failed.body}"` : failed.kind} was refused: ${failed.error}`);
          return entries.length === 0;
        },
        timeoutMs,
        `${username}'s outbox to drain`,
      );
    },
    async close() {
      stopStream?.();
      await client.close();
    },
  };
}

/**
 * Sends from each of `senders`, one message every `everyMs`, until `stop()`; bodies are
 * `<label> <sender> #<n>`.
 */
export function sendContinuously(senders: ClusterClient[], target: { partitionId: string; roomId: string }, label: string, everyMs = 75) {
  let n = 0;
  const intervals: ReturnType<typeof setInterval>[] = [];
  const timers = senders.map((s, i) =>
    // Staggered, so the senders do not always hit nginx in the same millisecond.
    setTimeout(
      () => {
        const tick = () => s.send(target.partitionId, target.roomId, `${label} ${s.name} #${++n}`);
        tick();
        intervals[i] = setInterval(tick, everyMs);
      },
      Math.round((everyMs / senders.length) * i),
    ),
  );
  return {
    stop() {
      for (const t of timers) clearTimeout(t);
      for (const t of intervals) clearInterval(t);
    },
  };
}

interface Health {
  status: string;
  node: string;
  redis: string;
  connections: number;
}

/** A node's own `/health`, bypassing nginx (null when it does not answer). */
export async function health(node: NodeProcess): Promise<Health | null> {
  try {
    return (await (await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(2000) })).json()) as Health;
  } catch {
    return null;
  }
}

/** WebSockets per running node, as each node counts them (every one came through nginx). */
export async function connectionsPerNode(cluster: Cluster): Promise<Map<NodeProcess, number>> {
  const running = cluster.nodes.filter((n) => n.running);
  const counts = await Promise.all(running.map(async (n) => (await health(n))?.connections ?? 0));
  return new Map(running.map((n, i) => [n, counts[i]!]));
}

/**
 * Makes `avoid` the node nginx's least_conn will not pick next: idle WebSockets are opened
 * through nginx (each lands where least_conn puts it) until `avoid` holds at least two more
 * than some other node once the ones that landed elsewhere are closed again. Returns a function
 * that closes the rest. Deterministic: it only reads where nginx put each socket.
 */
export async function steerAwayFrom(cluster: Cluster, avoid: NodeProcess): Promise<() => Promise<void>> {
  const base = await connectionsPerNode(cluster);
  const kept: WebSocket[] = [];
  const elsewhere: WebSocket[] = [];
  let onAvoid = 0;
  const minOthers = () => Math.min(...[...base].filter(([n]) => n !== avoid).map(([, c]) => c));
  for (let i = 0; (base.get(avoid) ?? 0) + onAvoid < minOthers() + 2; i++) {
    if (i >= 40) throw new Error('nginx never put a WebSocket on the node to avoid');
    const { ws, nodeId } = await openIdleSocket(cluster.url);
    if (cluster.nodeAt(nodeId) === avoid) {
      kept.push(ws);
      onAvoid += 1;
    } else {
      elsewhere.push(ws);
    }
  }
  await closeSockets(elsewhere);
  // Settled when every node counts what it should: nginx has let go of the closed ones too.
  await waitUntil(
    async () => {
      const now = await connectionsPerNode(cluster);
      return [...base].every(([n, c]) => now.get(n) === c + (n === avoid ? onAvoid : 0));
    },
    10_000,
    'the closed WebSockets to be gone from the nodes',
  );
  return () => closeSockets(kept);
}

function openIdleSocket(baseUrl: string): Promise<{ ws: WebSocket; nodeId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/trpc`);
    let nodeId: string | undefined;
    ws.once('upgrade', (res) => (nodeId = res.headers['x-parley-node'] as string | undefined));
    ws.once('open', () => resolve({ ws, nodeId }));
    ws.once('error', reject);
  });
}

async function closeSockets(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  );
}
