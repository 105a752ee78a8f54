import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { NGINX_CONF, serverParameters } from '../cluster/index.ts';
import { nginxTimeMs } from '../cluster/nginx-conf.ts';
import { BenchClient, type ClientEvents } from './bench-client.ts';
import type { Measures } from './measure.ts';
import { STORM_GOAL_MS, STORM_SEND_SECONDS, STORM_WAIT_MS as WAIT_MS } from './options.ts';
import { childPids } from './procstat.ts';
import type { StormResult } from './results.ts';
import { log, onCleanup, sleep, waitFor } from './run.ts';
import type { Person, Run } from './setup.ts';
import { ms, num } from './stats.ts';
import { outcomeOf, quantile, summarizeStorm, targetOf, type StormSend } from './storm-stats.ts';
import { uuidv7 } from './wire.ts';

/** Clients opened at once; the next group waits for their subscriptions (least_conn then sees them). */
const OPEN_GROUP = 200;
/** A send is tried again with the same clientId (the outbox's way) this many times, 200 ms apart. */
const SEND_TRIES = 50;

/** TcpExt ListenOverflows of this network namespace: connections dropped because an accept queue was full. */
function listenOverflows(): number | null {
  try {
    const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'))
      .map((l) => l.split(/\s+/));
    const i = names?.indexOf('ListenOverflows') ?? -1;
    return i > 0 && values ? Number(values[i]) : null;
  } catch {
    return null;
  }
}

const openFiles = (pid: number | 'self') => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
};

/**
 * Step 7 (issue 12): the resume storm. `--storm` clients through nginx, spread over the nodes
 * and the run's rooms (client i is person i mod --clients: same token, room and workspace), each
 * with an `event.onEvent` subscription from its workspace's head, reconnecting as
 * `@parley/client` does (BenchClient). Once every one has received a probe message, the last
 * node gets SIGKILL; right after it one marker message goes into every room, then messages at
 * opts.stormRate for STORM_SEND_SECONDS, through nginx. A client of the killed node has
 * resumed when its new subscription has delivered every event of its room (and workspace-wide)
 * from its last one before the kill up to its room's marker, or up to the room's last message
 * acknowledged before that subscription started if that is later; every client is checked
 * against the event log for events never received and events received twice. The killed node is
 * started again afterwards. Runs last (after the RSS step): 10,000 sockets and their clean-up
 * would weigh on any step after it. Null with --storm 0.
 */
export async function measureStorm(run: Run, m: Measures): Promise<StormResult | null> {
  const { opts, nodes, cluster, people, http, ownerToken, partitionIds, roomIds, roomPartition, nodeIndex, db } = run;
  if (opts.storm === 0) return null;

  // A whole cluster: the kill -9 step leaves its node down. nginx takes a node it marked failed
  // back after fail_timeout.
  const down = nodes.filter((n) => !n.running);
  if (down.length) {
    log(`storm: starting ${down.map((n) => n.id).join(', ')} again (down since the kill -9 step)…`);
    await Promise.all(down.map((n) => n.start()));
    const failTimeout = serverParameters(readFileSync(NGINX_CONF, 'utf8')).find((p) => p.startsWith('fail_timeout='));
    await sleep((failTimeout ? nginxTimeMs(failTimeout.split('=')[1]!) : 10_000) + 1000);
  }
  await m.quiesce();

  const heads = new Map<string, number>();
  for (const p of partitionIds) heads.set(p, (await http.query<{ lastEventId: number }>('event.head', { partitionId: p }, ownerToken)).lastEventId);

  // What each client does after the kill, by client index; t0 is the kill (0 before it).
  let t0 = 0;
  let subscribed = 0;
  const everStarted = new Uint8Array(opts.storm);
  const startedAt: (number | null)[] = new Array<number | null>(opts.storm).fill(null);
  const ids: number[][] = Array.from({ length: opts.storm }, () => []);
  const at: number[][] = Array.from({ length: opts.storm }, () => []);
  const events: ClientEvents = {
    nodeIndex,
    onDelivered: () => {},
    onStarted: (c) => {
      if (!everStarted[c.index]) {
        everStarted[c.index] = 1;
        subscribed += 1;
      }
      if (t0 && startedAt[c.index] === null) startedAt[c.index] = performance.now() - t0;
    },
    onEvent: (c, id) => {
      if (!t0) return;
      ids[c.index]!.push(id);
      at[c.index]!.push(performance.now() - t0);
    },
  };
  const clients = Array.from({ length: opts.storm }, (_, i) => {
    const p = people[i % people.length]!;
    const c = new BenchClient(i, p.username, p.token, p.room, p.partitionId, cluster.url, events);
    c.lastEventId = String(heads.get(p.partitionId)!);
    c.lastId = heads.get(p.partitionId)!;
    return c;
  });
  const closeAll = () => clients.forEach((c) => c.close());
  onCleanup('storm clients', closeAll);

  log(`storm: opening ${opts.storm} subscribed WebSockets through nginx…`);
  const tOpen = performance.now();
  for (let i = 0; i < clients.length; i += OPEN_GROUP) {
    const group = clients.slice(i, i + OPEN_GROUP);
    group.forEach((c) => c.connect());
    await waitFor(() => subscribed >= i + group.length, WAIT_MS, 10);
    if ((i + group.length) % 2000 === 0) log(`storm: ${subscribed} subscribed`);
  }
  await waitFor(() => subscribed >= clients.length, WAIT_MS);
  const openSeconds = (performance.now() - tOpen) / 1000;
  const errors = [...new Set(clients.flatMap((c) => c.errors))].slice(0, 3);
  log(`storm: ${subscribed}/${clients.length} subscribed in ${num(openSeconds, 1)} s${errors.length ? ` (errors: ${errors.join('; ')})` : ''}`);

  // Live: a message in every room, received by each client (its subscription streams).
  const roomPeople = roomIds.map((_, r) => people.filter((p) => p.room === r));
  let seq = 0;
  const send = async (room: number, from: number): Promise<StormSend | null> => {
    const members = roomPeople[room]!;
    const n = seq++;
    const sender: Person = members[n % members.length]!;
    const input = { partitionId: roomPartition[room], roomId: roomIds[room], clientId: uuidv7(), body: `storm|${n}` };
    for (let attempt = 0; attempt < SEND_TRIES; attempt++) {
      try {
        const r = await http.mutation<{ eventId: number }>('message.send', input, sender.token);
        return { room, eventId: Number(r.data.eventId), ackedAt: performance.now() - from };
      } catch {
        await sleep(200);
      }
    }
    return null;
  };
  const probes = await Promise.all(roomIds.map((_, room) => send(room, 0)));
  const probeOf = probes.map((p) => p?.eventId ?? Infinity);
  await waitFor(() => clients.every((c) => !everStarted[c.index] || c.lastId >= probeOf[c.room]!), WAIT_MS, 50);
  const live = clients.filter((c) => c.lastId >= probeOf[c.room]!);
  for (const c of clients) if (c.lastId < probeOf[c.room]!) c.close();
  const perNode = nodes.map((_, n) => live.filter((c) => c.node === n).length);
  const files = { bench: openFiles('self'), nginxWorkers: childPids(run.nginxMaster).map(openFiles) };
  log(
    `storm: ${live.length} live (probe received): ${nodes.map((n, i) => `${n.id} ${perNode[i]}`).join(', ')}; ` +
      `open files: this process ${files.bench}, nginx workers ${files.nginxWorkers.join(' / ')}`,
  );
  await m.quiesce();

  // The kill, and the messages the victim's clients miss.
  const victimIndex = nodes.length - 1;
  const victim = nodes[victimIndex]!;
  const onVictim = live.filter((c) => c.node === victimIndex);
  const lastSeen = new Map<BenchClient, number>(live.map((c) => [c, c.lastId]));
  const connects = new Map<BenchClient, number>(onVictim.map((c) => [c, c.connects]));
  const errors0 = new Map<BenchClient, number>(onVictim.map((c) => [c, c.errors.length]));
  const nginxErrors0 = new Map(run.nginxErrors);
  const overflows0 = listenOverflows();
  const cpu0 = await m.readCpu();
  // This process is every client: if its event loop lags, the times are partly its own.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  log(`storm: kill -9 ${victim.id} (pid ${victim.pid}) with ${onVictim.length} of ${live.length} storm clients on it; ${opts.stormRate} messages/s after it…`);
  t0 = performance.now();
  const kill = victim.stop('SIGKILL');
  // With one node nothing is left to serve them: it comes back (its start-up counts).
  if (nodes.length === 1) await kill.then(() => victim.start());
  const pending = roomIds.map((_, room) => send(room, t0));
  const markers = Promise.all(pending.slice());
  const total = Math.round(opts.stormRate * STORM_SEND_SECONDS);
  for (let offered = 0; offered < total;) {
    const due = Math.min(total, Math.floor((opts.stormRate * (performance.now() - t0)) / 1000));
    for (; offered < due; offered++) pending.push(send(offered % roomIds.length, t0));
    await sleep(5);
  }
  await kill;
  const markerOf = (await markers).map((s) => s?.eventId ?? Infinity);
  const sent = await Promise.all(pending);
  const sends = sent.filter((s): s is StormSend => s !== null);
  const lastOf = roomIds.map((_, r) => sends.reduce((max, s) => (s.room === r ? Math.max(max, s.eventId) : max), 0));
  const caughtUp = await waitFor(() => live.every((c) => c.failed || c.lastId >= lastOf[c.room]!), WAIT_MS, 50);
  if (!caughtUp) log(`storm: ${live.filter((c) => !c.failed && c.lastId < lastOf[c.room]!).length} clients still behind after ${WAIT_MS / 1000} s`);
  const cpu = m.cpuUsed(cpu0, await m.readCpu());
  loopDelay.disable();
  const overflows1 = listenOverflows();
  const nginxErrors = [...run.nginxErrors]
    .map(([error, count]) => ({ error, count: count - (nginxErrors0.get(error) ?? 0) }))
    .filter((e) => e.count > 0)
    .sort((a, b) => b.count - a.count);
  const attempts = new Map<number, number>();
  const clientErrors = new Map<string, number>();
  for (const c of onVictim) {
    const n = c.connects - connects.get(c)!;
    attempts.set(n, (attempts.get(n) ?? 0) + 1);
    for (const e of c.errors.slice(errors0.get(c))) clientErrors.set(e, (clientErrors.get(e) ?? 0) + 1);
  }

  // Every client against the log: its room's events and the workspace-wide ones after its last one.
  const expected: number[][] = roomIds.map(() => []);
  for (const p of partitionIds) {
    const from = live.reduce((min, c) => (roomPartition[c.room] === p ? Math.min(min, lastSeen.get(c)!) : min), Infinity);
    if (from === Infinity) continue;
    const rows = (
      await db.client.query<{ id: string; room_id: string | null }>(`select id::text as id, room_id from "events_${p}" where id > $1 order by id`, [from])
    ).rows;
    roomIds.forEach((roomId, r) => {
      if (roomPartition[r] !== p) return;
      expected[r] = rows.filter((row) => row.room_id === roomId || row.room_id === null).map((row) => Number(row.id));
    });
  }
  const logOf = (c: BenchClient, started: number | null) => ({ lastSeen: lastSeen.get(c)!, startedAt: started, ids: ids[c.index]!, at: at[c.index]! });
  const victims = new Set(onVictim);
  const outcomes = onVictim.map((c) => {
    const started = startedAt[c.index] ?? null;
    return outcomeOf(logOf(c, started), expected[c.room]!, targetOf(sends, c.room, markerOf[c.room]!, started ?? Infinity));
  });
  const others = live.filter((c) => !victims.has(c)).map((c) => outcomeOf(logOf(c, 0), expected[c.room]!, 0));
  const s = summarizeStorm(outcomes, STORM_GOAL_MS);
  const started = onVictim.flatMap((c) => (startedAt[c.index] == null ? [] : [startedAt[c.index]!])).sort((a, b) => a - b);

  closeAll();
  await sleep(1000);
  if (nodes.length > 1) await victim.start();
  const r: StormResult = {
    clients: opts.storm,
    live: live.length,
    openSeconds,
    perNode,
    openFiles: files,
    victim: victim.id,
    clientsOnVictim: onVictim.length,
    sent: sends.length,
    ratePerS: opts.stormRate,
    sendSeconds: STORM_SEND_SECONDS,
    sendErrors: sent.length - sends.length,
    resumed: s.resumed,
    failed: onVictim.filter((c) => c.failed).length,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    goalMs: STORM_GOAL_MS,
    withinGoal: s.withinGoal,
    time99: s.time99,
    resubscribedP50: quantile(started, 0.5),
    resubscribedP99: quantile(started, 0.99),
    missed: s.missed,
    duplicates: s.duplicates,
    behind: s.behind,
    othersMissed: others.reduce((sum, o) => sum + o.missed, 0),
    othersDuplicates: others.reduce((sum, o) => sum + o.duplicates, 0),
    othersBehind: others.filter((o) => o.behind > 0).length,
    attempts: [...attempts].sort((a, b) => a[0] - b[0]),
    nginxErrors,
    clientErrors: [...clientErrors].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count),
    listenOverflows: overflows0 === null || overflows1 === null ? null : overflows1 - overflows0,
    cpu,
    benchLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  };
  log(
    `storm: ${r.resumed}/${r.clientsOnVictim} of ${victim.id}'s clients resumed; p50 ${ms(r.p50)}, p90 ${ms(r.p90)}, p99 ${ms(r.p99)}, max ${ms(r.max)} ` +
      `from the kill; ${num(r.withinGoal * 100, 1)}% within ${STORM_GOAL_MS / 1000} s; 99% resumed at ${ms(r.time99)}; ` +
      `missed ${r.missed}, duplicates ${r.duplicates}, behind at the end ${r.behind} ` +
      `(other nodes' clients: missed ${r.othersMissed}, duplicates ${r.othersDuplicates}, behind ${r.othersBehind}); ` +
      `${r.sent} messages sent after the kill${r.sendErrors ? ` (${r.sendErrors} failed)` : ''}`,
  );
  log(
    `storm: reconnect attempts (attempts × clients) ${r.attempts.map(([a, n]) => `${a} × ${n}`).join(', ')}; ` +
      `their failures: ${r.clientErrors.map((e) => `${e.count} × ${e.error}`).join('; ') || 'none'}; listen queue overflows ${r.listenOverflows ?? '—'}; ` +
      `nginx: ${r.nginxErrors.map((e) => `${e.count} × ${e.error}`).join('; ') || 'no errors'}; ` +
      `CPU in % of a core over ${num(cpu.wallMs / 1000, 1)} s: nodes ${num((cpu.nodesMs / cpu.wallMs) * 100, 0)}, PostgreSQL ${num((cpu.pgMs / cpu.wallMs) * 100, 0)}, ` +
      `nginx ${num((cpu.nginxMs / cpu.wallMs) * 100, 0)}, this process ${num((cpu.generatorMs / cpu.wallMs) * 100, 0)}, other ${num((cpu.otherMs / cpu.wallMs) * 100, 0)}; ` +
      `this process's event loop delay p99 ${ms(r.benchLoopDelayMs.p99)}, max ${ms(r.benchLoopDelayMs.max)}`,
  );
  return r;
}
