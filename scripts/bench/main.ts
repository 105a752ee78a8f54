import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tracker } from './bench-client.ts';
import { measureCallCosts } from './call-costs.ts';
import { compare } from './compare/main.ts';
import { connectClients } from './connect.ts';
import { measureIdleStep } from './idle.ts';
import { findKnee } from './knee.ts';
import { measureLatency } from './latency.ts';
import { createLoad } from './load.ts';
import { sh } from './machine.ts';
import { createMeasures } from './measure.ts';
import { parseOptions } from './options.ts';
import { loadAverage } from './procstat.ts';
import { summarizeProfile, type ProfileSummary } from './profile.ts';
import { writeReport, type Report } from './report.ts';
import { measureNotes } from './notes.ts';
import { measureResume } from './resume.ts';
import { log } from './run.ts';
import { setUp } from './setup.ts';
import { num } from './stats.ts';
import { measureStorm } from './storm.ts';
import { countMessages } from './totals.ts';

/** The whole run, step by step (scripts/bench.ts runs it and cleans up on every way out). */
export async function main(): Promise<void> {
  const opts = parseOptions();
  // Parley, then the Socket.IO peer, side by side (compare/main.ts).
  if (opts.compare) return compare(opts);
  const run = await setUp(opts);
  const callCosts = await measureCallCosts(run);
  const connected = await connectClients(run);
  const measures = createMeasures(run);
  const load = createLoad(run, connected, measures);

  /** `--profile`: the preload samples between the first and the second SIGUSR2. */
  const toggleProfile = () => {
    if (opts.profile) for (const n of run.nodes) if (n.pid) process.kill(n.pid, 'SIGUSR2');
  };
  toggleProfile();

  const { background } = measures;
  await measures.measureBackground(opts.quick ? 2 : 4, opts.quick ? 2000 : 10_000);
  log(
    `background with no traffic: ${num(background.pgPerS, 1)} PostgreSQL transactions/s, ${num(
      [...background.redisPerS.values()].reduce((a, b) => a + b, 0),
      1,
    )} Redis commands/s (subtracted from each step's counts)`,
  );

  const { latency, latencyTries } = await measureLatency(run, load);
  const { knee, kneeStep } = await findKnee(run, load);
  toggleProfile();
  const bestPersisted = [...load.results].sort((a, b) => b.persistedRate - a.persistedRate)[0] ?? null;
  const { rowsTotal, eventsTotal, ackedTotal } = await countMessages(run);
  // Before the kill: the notes step wants every node up.
  if (opts.notes > 0) await measures.quiesce();
  const notes = await measureNotes(run);
  const resume = await measureResume(run, connected, measures, load);
  const rss = await measureIdleStep(run);
  // The load clients' repeats so far; the storm reports its own.
  const duplicatesTotal = tracker.duplicates;
  const storm = await measureStorm(run, measures);

  const { info, profileDir } = run;
  info.loadAfter = loadAverage();
  info.uptimeAfter = sh('uptime', []);
  connected.clients.forEach((c) => c.close());
  await run.cluster.stop();
  let profiles: { node: string; summary: ProfileSummary }[] = [];
  if (profileDir) {
    profiles = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f, i) => ({ node: `profile ${i + 1} (${f})`, summary: summarizeProfile(join(profileDir, f)) }));
  }
  const report: Report = {
    opts,
    commandLine: run.commandLine,
    info,
    perNode: connected.perNode,
    latency,
    latencyTries,
    background: { pgPerS: background.pgPerS, redisPerS: [...background.redisPerS.values()].reduce((a, b) => a + b, 0) },
    knee,
    kneeStep,
    bestPersisted,
    rowsTotal,
    eventsTotal,
    ackedTotal,
    duplicatesTotal,
    rss,
    resume,
    storm,
    notes,
    callCosts,
    profiles,
    nodeIds: run.nodes.map((n) => n.id),
    logs: run.nodeLogs.filter((l) => /"level":(50|60)/.test(l)).slice(0, 10),
  };
  writeReport(report, opts.out);
}
