import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findNginx, REPO_ROOT, startCluster, type Cluster } from '../../cluster/index.ts';
import { PEER_SCHEMA, PEER_TABLE } from '../../peer/protocol.ts';
import { tracker } from '../bench-client.ts';
import type { LoadClients } from '../load.ts';
import type { MeasuredSystem } from '../measure.ts';
import { fail, type Options } from '../options.ts';
import { log, onCleanup, waitFor } from '../run.ts';
import { createBenchDatabase, redisCommand, type PrivateRedis } from '../services.ts';
import { databaseBaseUrl } from '../setup.ts';
import { PeerClient } from './peer-client.ts';

const PEER_SERVER = join(REPO_ROOT, 'scripts/peer/server.ts');

/** The Socket.IO peer's side of a comparison: its nodes behind nginx, its database, its rooms. */
export interface PeerRun extends MeasuredSystem {
  opts: Options;
  cluster: Cluster;
  nodeIndex: (serverId: string | undefined) => number;
  /** Room r's Socket.IO room name. */
  roomNames: string[];
}

/**
 * A fresh database with the peer's table, the run's redis-server emptied (Parley's keys and
 * registrations gone), then `opts.nodes` peer nodes (`node --import tsx scripts/peer/server.ts`,
 * started and measured as Parley's nodes are) behind the repository's nginx.conf.
 */
export async function setUpPeer(opts: Options, redis: PrivateRedis, env: Record<string, string>): Promise<PeerRun> {
  const nginxBinary = findNginx() ?? fail('nginx not found');
  await redisCommand(redis.url, 'FLUSHALL');
  const db = await createBenchDatabase(databaseBaseUrl());
  onCleanup('peer database', () => db.drop());
  const ownBackend = (await db.client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  // Made here, before any node starts, so no node races another to create it.
  await db.client.query(PEER_SCHEMA);

  log(`starting ${opts.nodes} Socket.IO peer node${opts.nodes === 1 ? '' : 's'} and nginx…`);
  const cluster = await startCluster({
    databaseUrl: db.url,
    redisUrl: redis.url,
    nodes: opts.nodes,
    nginxBinary,
    env,
    entry: PEER_SERVER,
    onLog: (source, line) => log(`${source}: ${line}`),
  });
  onCleanup('peer cluster', () => cluster.stop());
  const nodes = cluster.nodes;
  const nginxMaster = Number(readFileSync(join(dirname(cluster.nginx.confPath), 'nginx.pid'), 'utf8').trim());
  log(`peer: ${cluster.url} (${nodes.map((n) => `${n.id} pid ${n.pid}`).join(', ')}; nginx pid ${nginxMaster})`);
  const nodeIndex = (serverId: string | undefined) => {
    const n = cluster.nodeAt(serverId);
    return n ? nodes.indexOf(n) : -1;
  };
  return {
    opts,
    db,
    ownBackend,
    redis,
    nodes,
    nginxMaster,
    messageTables: [PEER_TABLE],
    cluster,
    nodeIndex,
    roomNames: Array.from({ length: opts.rooms }, (_, r) => `room-${r}`),
  };
}

/** One socket.io-client per person through nginx, client i in room i mod rooms, as Parley's clients are spread. */
export async function connectPeerClients(run: PeerRun): Promise<LoadClients<PeerClient>> {
  const { opts, cluster, nodes, nodeIndex, roomNames } = run;
  let joined = 0;
  const events = {
    nodeIndex,
    onJoined: () => (joined += 1),
    onDelivered: (c: PeerClient, seq: number, at: number) => tracker.deliver(seq, c.node, performance.now() - at),
  };
  const clients = Array.from({ length: opts.clients }, (_, i) => {
    const room = i % opts.rooms;
    // The peer only checks that a token is there; a random one per person, as a session would be.
    return new PeerClient(i, `bench_u${i}`, randomBytes(16).toString('hex'), room, roomNames[room]!, cluster.url, events);
  });
  onCleanup('peer clients', () => clients.forEach((c) => c.close()));
  log(`connecting ${clients.length} socket.io clients through nginx…`);
  // In small groups, as Parley's are, so least_conn spreads them evenly.
  for (let i = 0; i < clients.length; i += 20) {
    const group = clients.slice(i, i + 20);
    group.forEach((c) => c.connect());
    await waitFor(() => joined >= i + group.length, 30_000);
  }
  if (!(await waitFor(() => joined >= clients.length, 30_000))) {
    throw new Error(
      `only ${joined} of ${clients.length} peer clients joined:\n${clients
        .flatMap((c) => c.errors)
        .slice(0, 5)
        .join('\n')}`,
    );
  }
  const perNode = nodes.map((_, n) => clients.filter((c) => c.node === n).length);
  log(`peer clients per node: ${nodes.map((n, i) => `${n.id} ${perNode[i]}`).join(', ')}`);
  return {
    clients,
    perNode,
    roomMembers: roomNames.map((_, r) => clients.filter((c) => c.room === r)),
    send: (sender, _room, body) => sender.send(body),
  };
}
