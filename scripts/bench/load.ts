import { performance } from 'node:perf_hooks';
import { messageBody, tracker } from './bench-client.ts';
import { hopStats, readHops } from './hops.ts';
import type { Measures } from './measure.ts';
import { MAX_IN_FLIGHT, type Options } from './options.ts';
import type { StepResult } from './results.ts';
import { log, sleep, waitFor } from './run.ts';
import { ms, num, percentiles } from './stats.ts';

export type Load = ReturnType<typeof createLoad>;

/** One connected client as the generator sees it, whatever it speaks (Parley's tRPC, the Socket.IO peer). */
export interface LoadClient {
  /** Its room: index in the run's rooms. */
  readonly room: number;
  /** The node its socket is on: index in the run's nodes, -1 while not connected. */
  readonly node: number;
}

/** The clients of one system, and how one of them sends a message into its room. */
export interface LoadClients<C extends LoadClient = LoadClient> {
  clients: C[];
  /** Clients per node, as nginx spread them. */
  perNode: number[];
  roomMembers: C[][];
  /** Sends `body` as `sender` into `room`; resolves once acknowledged, with the node that committed it (index in the run's nodes, -1 unknown). */
  send(sender: C, room: number, body: string): Promise<number>;
}

/**
 * The open-loop generator: `runStep(kind, rate, seconds)` offers `rate` sends a second over the
 * rooms and measures one step (persisted, delivered, latency same-/cross-node, batches, CPU,
 * PostgreSQL and Redis per message). `results` holds every step run.
 */
export function createLoad(run: { opts: Options; nodes: readonly { url: string }[] }, connected: LoadClients, m: Measures) {
  const { opts } = run;
  const { roomMembers } = connected;
  const { quiesce, watchQueues, pgXacts, redisCounts, readCpu, cpuUsed, persistedOf, background } = m;
  let inFlight = 0;
  const sendErrors: string[] = [];
  let stepErrors = 0;
  let stepAcked = 0;
  const send = async (room: number, step: number): Promise<void> => {
    const members = roomMembers[room]!;
    const at = performance.now();
    const seq = tracker.add(room, step, at);
    const sender = members[seq % members.length]!;
    const body = messageBody(step, seq, at, opts.bodyBytes);
    inFlight += 1;
    try {
      tracker.origin[seq] = await connected.send(sender, room, body);
      tracker.acked[seq] = 1;
      if (tracker.step[seq] === step) stepAcked += 1;
    } catch (error) {
      stepErrors += 1;
      if (sendErrors.length < 20) sendErrors.push(error instanceof Error ? error.message : String(error));
    } finally {
      inFlight -= 1;
    }
  };

  const results: StepResult[] = [];
  let stepNo = 0;
  const runStep = async (kind: 'latency' | 'knee', rate: number, seconds: number): Promise<StepResult> => {
    await quiesce();
    const step = ++stepNo;
    const label = kind === 'latency' ? `latency @ ${rate}/s` : `${rate}/s`;
    tracker.beginStep(step);
    stepErrors = 0;
    stepAcked = 0;
    sendErrors.length = 0;
    const dup0 = tracker.duplicates;
    const stopQueues = watchQueues();
    const nodeUrls = run.nodes.map((n) => n.url);
    const hops0 = await readHops(nodeUrls);
    const xact0 = await pgXacts();
    const redis0 = await redisCounts();
    const tCounts0 = performance.now();
    const cpu0 = await readCpu();
    const wall0 = Date.now();
    const t0 = performance.now();
    const total = Math.round(rate * seconds);
    let offered = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - t0;
        const due = Math.min(total, Math.floor((rate * elapsed) / 1000));
        while (offered < due && inFlight < MAX_IN_FLIGHT) {
          void send(offered % opts.rooms, step);
          offered += 1;
        }
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 2);
    });
    const tSent = performance.now();
    await waitFor(() => inFlight === 0, 60_000);
    const expectedOf = () => {
      let e = 0;
      for (let s = tracker.sentAt.length - 1; s >= 0 && tracker.step[s]! >= step; s--) {
        if (tracker.step[s] === step && tracker.acked[s]) e += roomMembers[tracker.room[s]!]!.length;
      }
      return e;
    };
    const expected = expectedOf();
    await waitFor(() => tracker.stepDelivered >= expected, 20_000, 20);
    const drainMs = performance.now() - tSent;
    const cpu1 = await readCpu();
    const redis1 = await redisCounts();
    const redisWindowS = (performance.now() - tCounts0) / 1000;
    const maxQueued = await stopQueues();
    const hops1 = hops0 && (await readHops(nodeUrls));
    // Backends report their transaction counts within a second of going idle.
    await sleep(1100);
    const xact1 = await pgXacts();
    const pgWindowS = (performance.now() - tCounts0) / 1000;
    // Net of the background (and of this script's own INFO), per command.
    const redisDelta = [...redis1]
      .map(([command, calls]) => ({
        command,
        calls: Math.round(calls - (redis0.get(command) ?? 0) - (command === 'info' ? 1 : 0) - (background.redisPerS.get(command) ?? 0) * redisWindowS),
      }))
      .filter((c) => c.calls > 0);
    redisDelta.sort((a, b) => b.calls - a.calls);
    const { persisted, last, sizes } = await persistedOf(step);
    const windowS = Math.max(seconds, (last - wall0) / 1000);
    const sameLat: number[] = [];
    const crossLat: number[] = [];
    for (let i = 0; i < tracker.dSeq.length; i++) {
      const origin = tracker.origin[tracker.dSeq[i]!]!;
      const node = tracker.dNode[i]!;
      if (origin < 0 || node < 0) continue;
      (origin === node ? sameLat : crossLat).push(tracker.dLat[i]!);
    }
    const all = percentiles([...tracker.dLat]);
    const batchP = percentiles([...sizes]);
    const result: StepResult = {
      label,
      kind,
      targetRate: rate,
      seconds,
      offered,
      acked: stepAcked,
      errors: stepErrors,
      errorSamples: [...new Set(sendErrors)].slice(0, 5),
      persisted,
      persistedRate: persisted / windowS,
      expectedDeliveries: expected,
      deliveries: tracker.stepDelivered,
      lost: Math.max(0, expected - tracker.stepDelivered),
      duplicates: tracker.duplicates - dup0,
      drainMs,
      all,
      same: percentiles(sameLat),
      cross: percentiles(crossLat),
      batches: batchP ? { count: sizes.length, mean: persisted / sizes.length, p50: batchP.p50, p99: batchP.p99, max: batchP.max } : null,
      maxQueued,
      cpu: cpuUsed(cpu0, cpu1),
      // minus this script's own two readings
      pgTransactions: Math.max(0, Math.round(xact1 - xact0 - 2 - background.pgPerS * pgWindowS)),
      redisCommands: redisDelta.reduce((sum, c) => sum + c.calls, 0),
      redisTop: redisDelta.slice(0, 6),
      hops: hops0 && hops1 ? hopStats(hops0, hops1) : null,
      pass: true,
      why: '',
    };
    const problems: string[] = [];
    if (result.errors) problems.push(`${result.errors} sends failed (${result.errorSamples[0] ?? ''})`);
    if (result.persisted < result.acked) problems.push(`${result.acked - result.persisted} acknowledged sends not in the table`);
    if (result.lost) problems.push(`${result.lost} deliveries missing after 20 s`);
    if (result.offered < total) problems.push(`only ${result.offered} of ${total} sends could be offered (${MAX_IN_FLIGHT} were waiting for an answer)`);
    if (result.persistedRate < 0.95 * rate) problems.push(`persisted ${num(result.persistedRate)}/s < 95% of ${rate}/s`);
    if (all && all.p99 > opts.p99BoundMs) problems.push(`p99 ${num(all.p99)} ms > ${opts.p99BoundMs} ms`);
    result.pass = problems.length === 0;
    result.why = problems.join('; ');
    results.push(result);
    const c = result.cpu;
    log(
      `${label.padEnd(16)} offered ${offered}, persisted ${persisted} (${num(result.persistedRate)}/s), delivered ${result.deliveries}/${expected}, ` +
        `p50 ${ms(all?.p50)} p99 ${ms(all?.p99)} (same ${ms(result.same?.p99)}, cross ${ms(result.cross?.p99)}), ` +
        `batch mean ${num(result.batches?.mean)} max ${result.batches?.max ?? '—'}, nodes ${num((c.nodesMs / c.wallMs) * 100)}% CPU, ` +
        `machine ${num((c.machineBusyMs / c.machineTotalMs) * 100)}% busy; per message ${num(result.pgTransactions / Math.max(1, result.acked), 1)} PG tx, ` +
        `Redis ${result.redisTop.map((t) => `${t.command} ${num(t.calls / Math.max(1, result.acked), 1)}`).join(', ')}${result.pass ? '' : ` — ${result.why}`}`,
    );
    return result;
  };

  return { runStep, results, nextStep: () => ++stepNo };
}
