import { tracker } from '../bench-client.ts';
import { connectClients } from '../connect.ts';
import { sh } from '../machine.ts';
import type { Options } from '../options.ts';
import { loadAverage } from '../procstat.ts';
import { log } from '../run.ts';
import { setUp } from '../setup.ts';
import { connectPeerClients, setUpPeer } from './peer.ts';
import { writeComparison } from './report.ts';
import { machineLoad, measureSide } from './side.ts';

/**
 * `pnpm bench --compare`: the same workload on Parley, then on the Socket.IO peer, in this
 * process. Each system gets a fresh database and the same private redis-server (emptied in
 * between), and is stopped before the next one starts, so neither runs beside the other.
 */
export async function compare(opts: Options): Promise<void> {
  // -------- Parley: the bench's own set-up (services, cluster, people), without the steps only Parley has.
  const parleyBefore = machineLoad();
  const run = await setUp(opts);
  const connected = await connectClients(run);
  const parley = await measureSide('Parley', run, connected, parleyBefore);
  connected.clients.forEach((c) => c.close());
  await run.cluster.stop();
  // Dropped now, so its autovacuum and files are not part of the peer's run.
  await run.db.drop();
  tracker.reset();

  // -------- the Socket.IO peer, on the same redis-server and PostgreSQL server.
  log('Parley done; now the Socket.IO peer…');
  const peerBefore = machineLoad();
  const peerRun = await setUpPeer(opts, run.redis, run.env);
  const peerClients = await connectPeerClients(peerRun);
  const peer = await measureSide('Socket.IO peer', peerRun, peerClients, peerBefore);
  peerClients.clients.forEach((c) => c.close());
  await peerRun.cluster.stop();

  const { info } = run;
  info.loadAfter = loadAverage();
  info.uptimeAfter = sh('uptime', []);
  writeComparison({ opts, commandLine: run.commandLine, info, parley, peer }, opts.out);
}
