import { performance } from 'node:perf_hooks';
import { tracker, type BenchClient } from './bench-client.ts';
import type { Connected } from './connect.ts';
import type { Load } from './load.ts';
import type { Measures } from './measure.ts';
import type { ResumeResult } from './results.ts';
import { log, sleep, waitFor } from './run.ts';
import type { Run } from './setup.ts';
import { ms, percentiles } from './stats.ts';
import { uuidv7 } from './wire.ts';

/** Step 5: kill -9 of a node; how long until 99% of its clients resubscribed elsewhere and got a message sent after the kill. */
export async function measureResume(run: Run, connected: Connected, m: Measures, load: Load): Promise<ResumeResult> {
  const { nodes, http, nodeIndex, roomIds, roomPartition } = run;
  const { clients, roomMembers, resumeWatch } = connected;
  const { quiesce } = m;
  await quiesce();
  const victimIndex = nodes.length - 1;
  const victim = nodes[victimIndex]!;
  const onVictim = clients.filter((c) => c.node === victimIndex);
  log(`resume: kill -9 ${victim.id} (pid ${victim.pid}) with ${onVictim.length} of ${clients.length} clients on it…`);
  const step = load.nextStep();
  tracker.beginStep(step);
  const markerOf = new Map<number, number>(); // room → seq of its marker
  const resumedAt = new Map<BenchClient, number>();
  const startedAt = new Map<BenchClient, number>();
  const victims = new Set(onVictim);
  let t0 = 0;
  resumeWatch.onStarted = (c) => {
    if (victims.has(c) && t0 && !startedAt.has(c)) startedAt.set(c, performance.now() - t0);
  };
  resumeWatch.onDelivered = (c, seq) => {
    if (victims.has(c) && markerOf.get(c.room) === seq && !resumedAt.has(c)) resumedAt.set(c, performance.now() - t0);
  };
  const dup0 = tracker.duplicates;
  t0 = performance.now();
  await victim.stop('SIGKILL');
  if (nodes.length === 1) {
    // Nothing is left to serve them: the lone node comes back (its start-up counts in the resume time).
    await victim.start();
  }
  // A message in every room, sent after the kill (through nginx, which routes around the dead node).
  const markers = roomIds.map(async (_, room) => {
    const members = roomMembers[room]!;
    const sender = members.find((m) => !victims.has(m)) ?? members[0]!;
    const at = performance.now();
    const seq = tracker.add(room, step, at);
    markerOf.set(room, seq);
    // The outbox's way: the same clientId again after a failure (a 502 from nginx).
    const input = { partitionId: roomPartition[room], roomId: roomIds[room], clientId: uuidv7(), body: `b|${step}|${seq}|${at.toFixed(3)}` };
    for (let retry = 0; retry < 50; retry++) {
      try {
        const r = await http.mutation('message.send', input, sender.token);
        tracker.origin[seq] = nodeIndex(r.upstream);
        tracker.acked[seq] = 1;
        return;
      } catch {
        await sleep(200);
      }
    }
  });
  await Promise.all(markers);
  const done = await waitFor(() => onVictim.every((c) => resumedAt.has(c) || c.failed), 60_000, 10);
  if (!done) log(`resume: ${onVictim.length - resumedAt.size} clients not resumed within 60 s`);
  const times = [...resumedAt.values()];
  const p = percentiles([...times]);
  const s = percentiles([...startedAt.values()]);
  const markersExpected = roomIds.reduce((sum, _, room) => sum + roomMembers[room]!.length, 0);
  await waitFor(() => tracker.stepDelivered >= markersExpected, 10_000);
  resumeWatch.onStarted = undefined;
  resumeWatch.onDelivered = undefined;
  const restarted = nodes.length === 1;
  const r: ResumeResult = {
    victim: victim.id,
    clientsOnVictim: onVictim.length,
    resumed: resumedAt.size,
    failed: onVictim.filter((c) => c.failed).length,
    p50: p?.p50 ?? null,
    p99: p?.p99 ?? null,
    max: p?.max ?? null,
    resubscribedP99: s?.p99 ?? null,
    markersDelivered: tracker.stepDelivered,
    markersExpected,
    duplicates: tracker.duplicates - dup0,
    restarted,
  };
  log(
    `resume: ${r.resumed}/${r.clientsOnVictim} resumed; p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} from the kill ` +
      `(subscription re-established p99 ${ms(r.resubscribedP99)}); markers delivered ${r.markersDelivered}/${markersExpected}`,
  );
  return r;
}
