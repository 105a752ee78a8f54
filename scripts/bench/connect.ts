import { BenchClient, tracker, type ClientEvents } from './bench-client.ts';
import type { LoadClients } from './load.ts';
import { log, onCleanup, waitFor } from './run.ts';
import type { Run } from './setup.ts';
import { uuidv7 } from './wire.ts';

/** The clients, subscribed through nginx; a step may watch their (re)starts and deliveries. */
export interface Connected extends LoadClients<BenchClient> {
  resumeWatch: { onStarted?: ((c: BenchClient) => void) | undefined; onDelivered?: ((c: BenchClient, seq: number) => void) | undefined };
}

/** One WebSocket per person through nginx, each with an `event.onEvent` subscription from the workspace's head. */
export async function connectClients(run: Run): Promise<Connected> {
  const { opts, http, people, cluster: clusterRef, heads, nodes, nodeIndex, roomIds, roomPartition } = run;
  let startedCount = 0;
  const resumeWatch: { onStarted?: (c: BenchClient) => void; onDelivered?: (c: BenchClient, seq: number) => void } = {};
  const events: ClientEvents = {
    nodeIndex,
    onStarted: (c) => {
      startedCount += 1;
      resumeWatch.onStarted?.(c);
    },
    onDelivered: (c, seq, at) => {
      tracker.deliver(seq, c.node, performance.now() - at);
      resumeWatch.onDelivered?.(c, seq);
    },
  };
  const clients = people.map((p, i) => new BenchClient(i, p.username, p.token, p.room, p.partitionId, clusterRef.url, events));
  onCleanup('clients', () => clients.forEach((c) => c.close()));
  for (const c of clients) c.lastEventId = heads.get(c.partitionId)!;
  for (const c of clients) c.lastId = Number(c.lastEventId);
  log(`connecting ${clients.length} WebSocket clients through nginx…`);
  // One after another in small groups, so least_conn spreads them evenly.
  for (let i = 0; i < clients.length; i += 20) {
    const group = clients.slice(i, i + 20);
    group.forEach((c) => c.connect());
    await waitFor(() => startedCount >= i + group.length, 30_000);
  }
  if (!(await waitFor(() => startedCount >= clients.length, 30_000))) {
    throw new Error(
      `only ${startedCount} of ${clients.length} subscriptions started:\n${clients
        .flatMap((c) => c.errors)
        .slice(0, 5)
        .join('\n')}`,
    );
  }
  const perNode = nodes.map((_, n) => clients.filter((c) => c.node === n).length);
  log(`clients per node: ${nodes.map((n, i) => `${n.id} ${perNode[i]}`).join(', ')}`);

  const roomMembers: BenchClient[][] = roomIds.map((_, r) => clients.filter((c) => c.room === r));
  /** `message.send` over the sender's own socket (`--send ws`, while it is open), else tRPC HTTP through nginx. */
  const send = async (sender: BenchClient, room: number, body: string): Promise<number> => {
    const input = { partitionId: roomPartition[room], roomId: roomIds[room], clientId: uuidv7(), body };
    if (opts.send === 'ws' && sender.socket?.open) {
      const node = sender.node;
      await sender.socket.mutate('message.send', input);
      return node;
    }
    const r = await http.mutation('message.send', input, sender.token);
    return nodeIndex(r.upstream);
  };
  return { clients, perNode, roomMembers, send, resumeWatch };
}
