import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NGINX_CONF } from '../cluster/index.ts';
import { findAll, parseNginxConf } from '../cluster/nginx-conf.ts';
import { STORM_GOAL_CLIENTS, STORM_WAIT_MS, type Options } from './options.ts';
import type { CallCost } from './procedure-cost.ts';
import type { ProfileSummary } from './profile.ts';
import type { MachineInfo, NoteCallStats, NotesResult, ResumeResult, RssResult, StepResult, StormResult } from './results.ts';
import { log } from './run.ts';
import { markdownTable, mib, ms, num, textTable, type Percentiles } from './stats.ts';

/** RSS per idle connection net of the young generation's growth (KiB; the young generation is the node's, not the connections'). */
function netKiB(r: RssResult): number {
  const young = Number.isFinite(r.youngGrowth) ? Math.max(0, r.youngGrowth) : 0;
  return (r.rssAfter - r.rssBefore - young) / Math.max(1, r.opened) / 1024;
}

// The table printed at the end and docs/benchmarks.md.

export type Report = {
  opts: Options;
  commandLine: string;
  info: MachineInfo;
  perNode: number[];
  latency: StepResult;
  /** Every latency step run (more than one when other work disturbed it); `latency` is the quietest. */
  latencyTries: StepResult[];
  /** PostgreSQL transactions and Redis commands per second with no traffic, subtracted from the steps' counts. */
  background: { pgPerS: number; redisPerS: number };
  knee: StepResult[];
  kneeStep: StepResult | null;
  bestPersisted: StepResult | null;
  rowsTotal: number;
  eventsTotal: number;
  ackedTotal: number;
  duplicatesTotal: number;
  rss: RssResult | null;
  resume: ResumeResult;
  /** The resume storm (issue 12); null with --storm 0. */
  storm: StormResult | null;
  /** The notes step (seed 001's locks); null with --notes 0. */
  notes: NotesResult | null;
  callCosts: CallCost[];
  profiles: { node: string; summary: ProfileSummary }[];
  nodeIds: string[];
  logs: string[];
};

export const signedMib = (bytes: number) => (Number.isFinite(bytes) ? `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}` : '—');
export const pctl = (p: Percentiles | null) => (p ? `${num(p.p50)} / ${num(p.p99)} ms` : '—');
export const usPer = (cpuMs: number, count: number) => (count ? (cpuMs * 1000) / count : null);

export function headline(r: Report): string[][] {
  const l = r.latency;
  const k = r.kneeStep;
  const cpuRow = (s: StepResult) =>
    `${num(usPer(s.cpu.nodesMs, s.deliveries))} µs (${num(usPer(s.cpu.nodesMs, s.persisted))} µs per message sent; +nginx ${num(usPer(s.cpu.nginxMs, s.deliveries))}, PostgreSQL ${num(usPer(s.cpu.pgMs, s.deliveries))}, Redis ${num(usPer(s.cpu.redisMs, s.deliveries))} µs)`;
  const other = (s: StepResult) => `other work on the machine ${num((s.cpu.otherMs / s.cpu.wallMs) * 100, 0)}% of a core`;
  const rows: string[][] = [
    ['same-node delivery p50 / p99', pctl(l.same), '< 50 ms (same server)', `${l.label}, ${l.same?.count ?? 0} deliveries; ${other(l)}`],
    ['cross-node delivery p50 / p99', pctl(l.cross), '< 100 ms (cross-server via Redis)', `${l.label}, ${l.cross?.count ?? 0} deliveries; ${other(l)}`],
    [
      'persisted messages/s at the knee',
      k ? `${num(k.persistedRate, 0)}/s (${num(k.deliveries / k.seconds, 0)} deliveries/s)` : 'none passed',
      '1,000+ per server instance',
      k
        ? `step ${k.label} (p99 ${num(k.all?.p99)} ms; every send persisted: ${k.persisted}/${k.acked}; ${other(k)}); highest persisted ${num(r.bestPersisted?.persistedRate, 0)}/s at ${r.bestPersisted?.label}`
        : `highest persisted ${num(r.bestPersisted?.persistedRate, 0)}/s at ${r.bestPersisted?.label}`,
    ],
    ['server CPU per delivered message', cpuRow(l), '—', `all nodes, ${l.label}`],
  ];
  if (k) rows.push(['server CPU per delivered message (knee)', cpuRow(k), '—', `all nodes, ${k.label}`]);
  rows.push(
    r.rss
      ? [
          'RSS per 10,000 idle connections',
          mib(r.rss.perTenThousand),
          '10,000+ connections per instance; ~100–200 MB RAM per instance',
          `${r.rss.opened} subscribed sockets on ${r.rss.node}: ${mib(r.rss.rssBefore)} → ${mib(r.rss.rssAfter)} (V8 heap in use ${signedMib(r.rss.heapPerTenThousand)}, external ${signedMib(r.rss.externalPerTenThousand)} per 10,000; of the RSS, ${signedMib(r.rss.youngGrowth)} is V8's young generation grown once for the node: ${num(netKiB(r.rss), 1)} KiB per connection without it); idle CPU ${num(r.rss.idleCpuPercent)}%`,
        ]
      : ['RSS per 10,000 idle connections', 'skipped (--idle 0)', '', ''],
  );
  const res = r.resume;
  rows.push([
    '99% of clients resumed after kill -9',
    ms(res.p99),
    '—',
    `${res.resumed}/${res.clientsOnVictim} clients of ${res.victim}; p50 ${ms(res.p50)}, max ${ms(res.max)}; the client's backoff waits 1–2 s before the first retry`,
  ]);
  const st = r.storm;
  rows.push(
    st
      ? [
          `99% of a killed node's clients resumed, storm of ${st.live} clients`,
          st.time99 === null ? `not reached (${st.resumed}/${st.clientsOnVictim})` : ms(st.time99),
          `issue 12: ${num(STORM_GOAL_CLIENTS, 0)} clients, 99% resumed in < ${num(st.goalMs / 1000, 0)} s, every missed event, none twice`,
          `${st.resumed}/${st.clientsOnVictim} clients of ${st.victim}: p50 ${ms(st.p50)}, p90 ${ms(st.p90)}, max ${ms(st.max)}; ` +
            `${num(st.withinGoal * 100, 1)}% within ${num(st.goalMs / 1000, 0)} s; events missed ${st.missed}, received twice ${st.duplicates}`,
        ]
      : ["99% of a killed node's clients resumed, storm", 'skipped (--storm 0)', '', ''],
  );
  return rows;
}

export function stepRows(steps: StepResult[]): string[][] {
  return steps.map((s) => [
    s.label,
    String(s.offered),
    `${s.persisted}/${s.acked}`,
    num(s.persistedRate, 0),
    `${s.deliveries}/${s.expectedDeliveries}`,
    pctl(s.all),
    pctl(s.same),
    pctl(s.cross),
    s.batches ? `${num(s.batches.mean, 1)} / ${s.batches.p99} / ${s.batches.max}` : '—',
    String(s.maxQueued),
    s.acked ? `${num(s.pgTransactions / s.acked, 1)} / ${num(s.redisCommands / s.acked, 1)}` : '—',
    num(usPer(s.cpu.nodesMs, s.deliveries)),
    `${num((s.cpu.nodesMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.nginxMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.pgMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.redisMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.generatorMs / s.cpu.wallMs) * 100, 0)} / ${num((s.cpu.otherMs / s.cpu.wallMs) * 100, 0)}`,
    num((s.cpu.machineBusyMs / s.cpu.machineTotalMs) * 100, 0),
    s.kind === 'latency' ? '' : s.pass ? 'yes' : `no: ${s.why}`,
  ]);
}

export const STEP_HEADER = [
  'step',
  'offered',
  'persisted/acked',
  'persisted/s',
  'delivered/expected',
  'p50 / p99',
  'same-node p50 / p99',
  'cross-node p50 / p99',
  'batch mean / p99 / max',
  'max queued',
  'per message: PG tx / Redis cmds',
  'node µs/delivery',
  'CPU % nodes / nginx / pg / redis / generator / other',
  'machine busy %',
  'keeps up',
];

export const STORM_HEADER = [
  "storm: the killed node's clients",
  'resumed',
  'p50 / p90 / p99 / max (from the kill)',
  'within the goal',
  '99% resumed at',
  'first resubscribed p50 / p99',
  'events missed',
  'received twice',
  'still behind at the end',
];

export function stormRows(st: StormResult): string[][] {
  return [
    [
      `${st.clientsOnVictim} of ${st.live} on ${st.victim}`,
      `${st.resumed} (${st.failed} FAILED)`,
      `${num(st.p50)} / ${num(st.p90)} / ${num(st.p99)} / ${num(st.max)} ms`,
      `${num(st.withinGoal * 100, 1)}% < ${num(st.goalMs / 1000, 0)} s`,
      ms(st.time99),
      `${num(st.resubscribedP50)} / ${num(st.resubscribedP99)} ms`,
      String(st.missed),
      String(st.duplicates),
      String(st.behind),
    ],
  ];
}

function stormSummary(st: StormResult, nodeIds: string[]): string {
  const c = st.cpu;
  const share = (cpuMs: number) => num((cpuMs / c.wallMs) * 100, 0);
  return (
    `${st.live} of ${st.clients} clients subscribed and live before the kill (opened in ${num(st.openSeconds, 1)} s through nginx: ` +
    `${nodeIds.map((id, i) => `${id} ${st.perNode[i] ?? 0}`).join(', ')}; open files: this process ${st.openFiles.bench}, ` +
    `nginx workers ${st.openFiles.nginxWorkers.join(' / ')}); ${st.sent} messages sent after the kill (a marker in every room, then ` +
    `${st.ratePerS}/s for ${st.sendSeconds} s${st.sendErrors ? `; ${st.sendErrors} failed` : ''}); the clients of the nodes that stayed up ` +
    `missed ${st.othersMissed} events, received ${st.othersDuplicates} twice, ${st.othersBehind} were still behind at the end. ` +
    `Reconnect attempts after the kill (attempts × clients of ${st.victim}): ${st.attempts.map(([a, n]) => `${a} × ${n}`).join(', ')}` +
    `${st.clientErrors.length ? ` (failed attempts: ${st.clientErrors.map((e) => `${e.count} × "${e.error}"`).join(', ')})` : ''}; ` +
    `connections dropped on a full listen queue (TcpExt ListenOverflows, the whole machine) ${st.listenOverflows ?? '—'}; nginx's error log from the kill on: ` +
    `${st.nginxErrors.length ? st.nginxErrors.map((e) => `${e.count} × "${e.error}"`).join(', ') : 'nothing'}. ` +
    `CPU from the kill until every client had caught up (${num(c.wallMs / 1000, 1)} s), in % of one core: nodes ${share(c.nodesMs)}, ` +
    `PostgreSQL ${share(c.pgMs)}, nginx ${share(c.nginxMs)}, Redis ${share(c.redisMs)}, the bench's clients ${share(c.generatorMs)}, other ${share(c.otherMs)}; ` +
    `the machine ${num((c.machineBusyMs / c.machineTotalMs) * 100, 0)}% busy; the bench's event loop (every client's) lagged ` +
    `${ms(st.benchLoopDelayMs.p99)} at p99, ${ms(st.benchLoopDelayMs.max)} at most`
  );
}

/** `worker_connections` of the repository's nginx.conf (what every local run renders). */
function nginxWorkerConnections(): string {
  try {
    return findAll(parseNginxConf(readFileSync(NGINX_CONF, 'utf8')), 'worker_connections')[0]?.args[0] ?? '—';
  } catch {
    return '—';
  }
}

export const COST_HEADER = ['call (one node, no nginx, 4 in flight)', 'node CPU per call', 'wall per call'];
export const costRows = (costs: CallCost[]) => costs.map((c) => [c.call, `${num(c.cpuUs, 0)} µs`, `${num(c.wallUs, 0)} µs`]);

export const NOTES_HEADER = ['note call (through nginx)', 'p50 / p99', 'max', 'calls', 'refused otherwise'];

/** The notes step's rows: each call's wall time as the editor sees it. */
export function notesRows(n: NotesResult): string[][] {
  const row = (label: string, s: NoteCallStats) => [
    label,
    s.count ? `${num(s.p50)} / ${num(s.p99)} ms` : '—',
    s.count ? `${num(s.max)} ms` : '—',
    String(s.count),
    s.errors ? `${s.errors} (${s.errorSamples[0] ?? ''})` : '0',
  ];
  const own = `${n.editors} editors on ${n.editors} notes`;
  const one = `${n.contenders} on one note`;
  return [
    row(`${own}: acquire`, n.separate.acquire),
    row(`${own}: renew`, n.separate.renew),
    row(`${own}: save`, n.separate.save),
    row(`${own}: release`, n.separate.unlock),
    row(`${one}: acquire, won`, n.contended.won),
    row(`${one}: acquire, CONFLICT`, n.contended.refused),
    row(`${one}: renew (the winner)`, n.contended.renew),
    row(`${one}: save and release`, n.contended.save),
  ];
}

function notesSummary(n: NotesResult, nodeIds: string[]): string {
  return (
    `${n.editors} editors: each started within ${num(n.separate.spreadMs / 1000, 0)} s, ${n.rounds} round(s) of lock → renew → save → release, ${n.separate.thinkMs} ms between its calls ` +
    `(${num(n.separate.callsPerS, 0)} calls/s in ${num(n.separate.seconds, 1)} s); ` +
    `${n.contenders} on one note: ${n.contendedRounds} rounds in ${num(n.contended.seconds, 1)} s, exactly one winner in ${n.contended.roundsWithOneWinner}/${n.contendedRounds}; ` +
    `answered by ${nodeIds.map((id, i) => `${id} ${n.answeredBy[i] ?? 0}`).join(', ')}`
  );
}

export function renderText(r: Report): string {
  return [
    `Parley benchmark — ${r.info.date}, ${r.info.nproc} cores (${r.info.cpuModel}), load before ${r.info.loadBefore.join(' ')}, after ${r.info.loadAfter?.join(' ')}`,
    `${r.commandLine}: ${r.opts.nodes} nodes, ${r.opts.clients} clients (${r.perNode.join('/')} per node), ${r.opts.rooms} rooms in ${r.opts.partitions} workspace(s), ${r.opts.send} sends`,
    '',
    textTable(['measure', 'Parley', 'seed claim', 'how'], headline(r)),
    '',
    textTable(STEP_HEADER, stepRows([...r.latencyTries, ...r.knee])),
    '',
    `every message: ${r.ackedTotal} acknowledged, ${r.rowsTotal} rows, ${r.eventsTotal} events; duplicates seen by clients: ${r.duplicatesTotal}`,
    '',
    textTable(COST_HEADER, costRows(r.callCosts)),
    ...(r.notes ? ['', textTable(NOTES_HEADER, notesRows(r.notes)), notesSummary(r.notes, r.nodeIds)] : []),
    ...(r.storm ? ['', textTable(STORM_HEADER, stormRows(r.storm)), stormSummary(r.storm, r.nodeIds)] : []),
    ...r.profiles.flatMap((p) => [
      '',
      `CPU profile ${p.node}: ${num(p.summary.totalMs, 0)} ms busy`,
      ...p.summary.areas.slice(0, 12).map((a) => `  ${num(a.share * 100, 1).padStart(5)}%  ${a.area}`),
      '  top functions (self time):',
      ...p.summary.functions.slice(0, 15).map((f) => `  ${num(f.share * 100, 1).padStart(5)}%  ${f.name}`),
      '  socket writes by caller:',
      ...p.summary.writesBy.slice(0, 8).map((a) => `  ${num(a.share * 100, 1).padStart(5)}%  ${a.area}`),
      '  Parley functions (total time, callees included):',
      ...p.summary.parley.slice(0, 15).map((f) => `  ${num(f.share * 100, 1).padStart(5)}%  ${f.name}`),
    ]),
  ].join('\n');
}

export function renderMarkdown(r: Report): string {
  const i = r.info;
  const o = r.opts;
  const l = r.latency;
  const cpuShare = (s: StepResult) => (s.cpu.nodesMs / s.cpu.wallMs) * 100;
  return `# Benchmarks

Written by \`pnpm bench\` (scripts/bench.ts); run it again to refresh this page. The numbers
are from one machine, shared with other work: read the load figures before comparing runs.

## Machine and run

| | |
| --- | --- |
| date | ${i.date} |
| machine | ${i.nproc} cores (\`nproc\`), ${i.cpuModel}, ${i.memory} RAM |
| load (\`uptime\`) | before: ${i.uptimeBefore}<br>after: ${i.uptimeAfter ?? '—'} |
| software | Node ${i.node}, PostgreSQL ${i.postgres}, Redis ${i.redis}, nginx ${i.nginx} |
| command | \`${r.commandLine}\` |
| topology | ${o.nodes} Parley node process${o.nodes === 1 ? '' : 'es'} behind nginx (the repository's nginx.conf, rendered by \`@parley/scripts/cluster\`), one fresh PostgreSQL database, a private redis-server; all on this machine, with the load generator |
| clients | ${o.clients} WebSocket clients through nginx (${r.perNode.map((n, j) => `${r.nodeIds[j]} ${n}`).join(', ')}), client *i* in room *i* mod ${o.rooms}, ${o.rooms} rooms in ${o.partitions} workspace${o.partitions === 1 ? '' : 's'} (${Math.round(o.clients / o.rooms)} people per room); each one \`event.onEvent\` subscription |
| sends | ${o.send === 'http' ? 'tRPC HTTP `POST /trpc/message.send?batch=1` through nginx, as `@parley/client` sends in a browser (cookie session; keep-alive, up to 256 connections)' : "tRPC mutations over each sender's own WebSocket, as `@parley/client` sends with a token while its socket is open"}, open loop, round-robin over the rooms, sender a member of the room |
| steps | latency ${o.rate} msg/s for ${o.latencySeconds} s; knee ${o.rates.join(', ')} msg/s, ${o.stepSeconds} s each, until a step fails, then ${o.quick ? 'one step' : 'two steps'} halfway between the last that kept up and the first that did not; each step starts once the nodes are quiet (under 15% of a core); a step fails when a send fails, a message is missing from the table or from a client, the persisted rate is below 95% of the offered one, or p99 delivery > ${o.p99BoundMs} ms |
| limits | open files ${i.openFiles}; local ports ${i.portRange}; nginx \`worker_connections ${nginxWorkerConnections()}\` |

## Results
${noiseNote(r)}

${markdownTable(['measure', 'Parley', 'seed claim (004)', 'how / where'], headline(r))}

Every step (latency first, then the knee; a latency step disturbed by other work is tried again):

${markdownTable(STEP_HEADER, stepRows([...r.latencyTries, ...r.knee]))}

Per message sent at ${l.label}: ${num(l.pgTransactions / Math.max(1, l.acked), 1)} PostgreSQL transactions (\`pg_stat_database\`: each autocommit query is one) and ${num(l.redisCommands / Math.max(1, l.acked), 1)} Redis commands (${l.redisTop.map((t) => `${t.command} ${num(t.calls / Math.max(1, l.acked), 1)}`).join(', ')}; \`INFO commandstats\` of the private redis-server; commands inside a script count as well as the EVALSHA), net of what the cluster does with no traffic (${num(r.background.pgPerS, 1)} transactions/s and ${num(r.background.redisPerS, 1)} commands/s: heartbeats, leases, safety polls, presence, this script's \`/health\` polling). Approximate: a PostgreSQL backend reports its counts when it goes idle, at most once a second and sometimes up to 10 s late, so a step's last transactions can land in the next step's window.

Node CPU per call, by procedure (${r.callCosts[0]?.calls ?? 0} calls of each, 4 in flight, straight to node-1, in a workspace nobody watches, so no delivery is included):

${markdownTable(COST_HEADER, costRows(r.callCosts))}

${
  r.notes
    ? `Notes (seed 001's database locks), on the cluster through nginx, in a workspace nobody watches (${o.nodes} nodes; each call's wall time as the caller sees it):

${markdownTable(NOTES_HEADER, notesRows(r.notes))}

${notesSummary(r.notes, r.nodeIds)}.`
    : 'Notes: skipped (`--notes 0`).'
}

${
  r.storm
    ? `The resume storm (issue 12's goal: ${num(STORM_GOAL_CLIENTS, 0)} subscribed clients, one node kill -9ed, 99% resumed with every missed event received and none twice in < ${num(r.storm.goalMs / 1000, 0)} s):

${markdownTable(STORM_HEADER, stormRows(r.storm))}

${stormSummary(r.storm, r.nodeIds)}.`
    : 'The resume storm: skipped (`--storm 0`).'
}

Every message of the run (before the kill): ${r.ackedTotal} acknowledged, ${r.rowsTotal} rows in \`messages_*\`, ${r.eventsTotal} \`message.created\` events in \`events_*\`; deliveries seen twice by a client: ${r.duplicatesTotal}.
${r.resume ? `After the kill: ${r.resume.markersDelivered}/${r.resume.markersExpected} deliveries of the messages sent after it, ${r.resume.duplicates} duplicates, ${r.resume.failed} clients FAILED.` : ''}
${r.rss ? `Idle sockets: ${r.rss.opened} of ${r.rss.connections} opened and subscribed in ${num(r.rss.openSeconds, 1)} s (${r.rss.failedToOpen} failed); ${r.rss.node}'s /health counted ${r.rss.healthConnections}; RSS with them ${mib(r.rss.rssBeforeGc)} before a full GC, ${mib(r.rss.rssAfter)} after; ${mib(r.rss.rssAfterClose)} 3 s after closing them.` : ''}
${r.logs.length ? `\nErrors the nodes logged:\n\n\`\`\`\n${r.logs.join('\n')}\n\`\`\`\n` : ''}
## What this means

${summaryParagraph(r, cpuShare(l))}

## Where the CPU goes

${bottlenecks(r)}

## How each number is measured

- **Delivery latency** (${l.label}, ${o.latencySeconds} s): each message body carries its send
  time (\`b|step|seq|performance.now()\`, taken just before the request is issued); a receiver
  computes \`now − send time\` when the \`message.created\` event's WebSocket frame arrives (one
  process, one monotonic clock: no skew). Every delivery to every member of the room is a sample.
  *Same-node* means the receiver's WebSocket is on the node that committed and published the
  message (the node that answered the POST, from nginx's \`X-Parley-Node\` response header; the
  receiver's node is the same header on its upgrade response); *cross-node* means the event
  travelled through Redis to another node. Percentiles are nearest-rank.
- **Persisted messages/s at the knee**: rows counted in \`messages_<partition>\` per step
  (\`body like 'b|<step>|%'\`), divided by the longer of the step and the time from its start to
  its last commit (\`max(created_at)\`, the database clock), so a step whose commits trail behind
  the offered rate scores lower. The knee is the last step that kept up (see "steps" above).
  **Group commit batch sizes** are read from the same rows: a batch is one transaction, and its
  rows share \`now()\` (\`created_at\`), so \`group by created_at\` gives each batch's size, per
  step. The nodes expose the same since their start (\`/health\` → \`groupCommit\`, \`/metrics\` →
  \`parley_group_commit_batch_size\`) and the queue depth (\`/health\` →
  \`queues.sendsWaitingToCommit\`, polled every 500 ms: "max queued").
- **CPU per delivered message**: utime + stime from \`/proc/<pid>/stat\` of every node process
  (\`NodeProcess.pid\`), before and after a step (including the drain until every delivery
  arrived), divided by the deliveries of that step. nginx (master and workers), PostgreSQL (the
  backends connected to the run's database; not its shared WAL writer and checkpointer), the
  private redis-server and the generator are read the same way; "other" is the machine's busy
  time (\`/proc/stat\`) minus all of them: other people's work on the machine.
- **RSS per 10,000 idle connections**: ${r.rss ? `${r.rss.opened} WebSockets opened straight to ${r.rss.node}'s port (not through nginx: one node holds them all), each authenticated (\`connectionParams\` token, ${Math.min(o.clients, 100)} users' sessions shared) with an \`event.onEvent\` subscription to a workspace of its own with no traffic; VmRSS from \`/proc/<pid>/status\`, each time after a full garbage collection (the bench's preload in the node runs \`gc()\` on SIGWINCH), before opening them and ${o.quick ? 5 : 8} s after the last one opened; the difference is scaled to 10,000. It runs after the kill -9 step, on a node of its own (\`node-idle\`, same database and Redis, not behind nginx) started for this step, so its baseline is a fresh node with no connections and no load step's garbage. RSS moves by tens of MiB between runs (freed pages are kept and reused by the allocator); the V8 heap in use after the GC, from the node's \`/metrics\` (\`nodejs_heap_size_used_bytes\`), is the steadier part of it. Idle CPU is the node's CPU over ${o.quick ? 3 : 5} s with them open.` : 'skipped.'}
- **Resume after kill -9**: ${r.resume.clientsOnVictim} clients were on ${r.resume.victim} when it got SIGKILL. Each client
  reconnects as \`@parley/client\` does (a raw \`ws\` client mirroring its connection state machine:
  backoff \`min(1000·2^attempt + random(0..1000), 30000)\` ms, a new socket through nginx, the
  subscription again with \`lastEventId\`), which the benchmark implements itself to stay light.
  Right after the kill one message is sent into every room (through nginx, retried with the same
  \`clientId\` on a 502 as the outbox does). A client counts as resumed when that message reaches
  it; the time is from the kill. The backoff alone puts the first retry 1–2 s after the loss, so
  about 2 s is the floor by design, not server time.${r.resume.restarted ? ' With one node, the node is started again after the kill, and its start-up is part of the time.' : ''}
- **Resume storm**: ${r.storm ? stormHow(r.storm, o.nodes) : 'skipped (`--storm 0`).'}

- **Notes** (${r.notes ? `${r.notes.editors} editors, ${r.notes.contenders} contenders` : 'skipped'}): after the knee and before the kill, once the nodes are quiet, in a
  workspace of its own (\`bench_notes\`) that no client subscribes to, so the times are the calls
  themselves (each a transaction with \`SELECT … FOR UPDATE\` on the note's row and its event),
  not a fan-out. Every call is a tRPC HTTP POST through nginx (least_conn per request, so both
  nodes answer), timed from the request to the answer. First every editor works on a note of its
  own, all holding their locks at the same time: each starts at its own moment within the first
  seconds, then lock, renew, save (${r.notes?.bodyChars ?? '—'} characters), release, with a pause
  between its calls (a closed loop of 200 would measure only the queue); then the contenders all ask for one note's lock at once, every round: one is granted it,
  the others are answered \`CONFLICT\` (after waiting for the row lock), both timed; the winner
  renews, then saves with \`release: true\`.

The load generator is one Node process speaking tRPC's WebSocket protocol directly over \`ws\`
(connectionParams, \`subscription\` with \`lastEventId\`, \`PING\`/\`PONG\`) and tRPC's batched
HTTP POST, no \`@trpc/client\` observables; its CPU share is in the table. It runs on the same
2 cores as everything else, so the nodes never have the machine to themselves.
${
  r.profiles.length
    ? `\n## CPU profile (\`--profile\`: the nodes ran with \`--cpu-prof\`, so this run's other numbers are slower)\n\n${r.profiles
        .map(
          (p) =>
            `### ${p.node}: ${num(p.summary.totalMs, 0)} ms on CPU\n\n${markdownTable(
              ['share', 'where'],
              p.summary.areas.slice(0, 12).map((a) => [`${num(a.share * 100, 1)}%`, a.area]),
            )}\n\n${markdownTable(
              ['share', 'function (self time)'],
              p.summary.functions.slice(0, 20).map((f) => [`${num(f.share * 100, 1)}%`, f.name]),
            )}\n\n${markdownTable(
              ['share of all samples', 'socket writes (writev, writeUtf8String) made by'],
              p.summary.writesBy.slice(0, 8).map((a) => [`${num(a.share * 100, 1)}%`, a.area]),
            )}\n\n${markdownTable(
              ['share', 'Parley function (total time, callees included)'],
              p.summary.parley.slice(0, 20).map((f) => [`${num(f.share * 100, 1)}%`, f.name]),
            )}`,
        )
        .join('\n\n')}\n`
    : ''
}`;
}

/** A warning when other work took a real share of the machine during the steps. */
export function noiseNote(r: Report): string {
  const steps = [...r.latencyTries, ...r.knee];
  const retried =
    r.latencyTries.length > 1 ? ` The latency step ran ${r.latencyTries.length} times because other work disturbed it; the headline is the quietest try.` : '';
  const worst = steps.reduce((a, b) => (b.cpu.otherMs / b.cpu.wallMs > a.cpu.otherMs / a.cpu.wallMs ? b : a));
  const share = (worst.cpu.otherMs / worst.cpu.wallMs) * 100;
  if (share < 20 && !retried) return '';
  return `\n> The machine was not quiet: other work took up to ${num(share, 0)}% of a core (step ${worst.label}; the "other" column), so those steps are slower than they would be on their own.${retried} Compare steps by that column, or run \`pnpm bench\` again when \`uptime\` shows a load well under 1.\n`;
}

export function bottlenecks(r: Report): string {
  const l = r.latency;
  const k = r.kneeStep ?? r.bestPersisted ?? l;
  const cost = (prefix: string) => r.callCosts.find((c) => c.call.startsWith(prefix))?.cpuUs ?? null;
  const live = cost('GET /live');
  const httpMe = cost('HTTP auth.me');
  const wsMe = cost('WS auth.me');
  const httpSend = cost('HTTP message.send');
  const wsSend = cost('WS message.send');
  const send = r.opts.send === 'ws' ? wsSend : httpSend;
  const perSent = usPer(l.cpu.nodesMs, l.acked);
  const perSentKnee = usPer(k.cpu.nodesMs, k.acked);
  const receivers = l.acked ? l.expectedDeliveries / l.acked : 0;
  const perDelivery = perSent !== null && send !== null && receivers ? (perSent - send) / receivers : null;
  const share = (ms: number, s: StepResult) => num((ms / s.cpu.wallMs) * 100, 0);
  const pgTx = k.acked ? k.pgTransactions / k.acked : 0;
  const pgTxLatency = l.acked ? l.pgTransactions / l.acked : 0;
  const redisCmds = k.acked ? k.redisCommands / k.acked : 0;
  const redisCmdsLatency = l.acked ? l.redisCommands / l.acked : 0;
  const how = r.opts.send === 'ws' ? 'over its WebSocket (as `@parley/client` sends with a token)' : "over HTTP (as a browser's `@parley/client` sends)";
  return [
    `- **The limit is CPU, and most of it is the nodes'.** At ${k.label} the machine was ${num((k.cpu.machineBusyMs / k.cpu.machineTotalMs) * 100, 0)}% busy; ` +
      `in % of one core: nodes ${share(k.cpu.nodesMs, k)}, PostgreSQL ${share(k.cpu.pgMs, k)}, nginx ${share(k.cpu.nginxMs, k)}, Redis ${share(k.cpu.redisMs, k)}, ` +
      `load generator ${share(k.cpu.generatorMs, k)}, other ${share(k.cpu.otherMs, k)}. Group commit does its part (batches grow with the rate, see the steps), ` +
      `so the database's share per message falls as the rate rises; it is not what stops the knee. The generator and nginx carry every delivery too ` +
      `(nginx proxies each WebSocket frame), so they grow with the deliveries, not with the sends.`,
    `- **Deliveries, not sends, are most of the nodes' work now.** A send ${how} costs the nodes ${num(send, 0)} µs of CPU before any delivery ` +
      `(one node, nobody subscribed: the cost-per-call table), and ${num(perSent, 0)} µs across the cluster with its ${num(receivers, 0)} deliveries at ` +
      `${l.label}, i.e. roughly ${num(perDelivery, 0)} µs per delivery. Under load it is cheaper per message (${num(perSentKnee, 0)} µs at ${k.label}: ` +
      `the event loop handles more per wake-up, group commit shares one statement), which for 1,000 messages/s with ${num(receivers, 0)} receivers each is ` +
      `${num(perSentKnee !== null ? perSentKnee / 1000 : null, 1)} cores for the nodes alone; this machine has ${r.info.nproc} for everything. ` +
      `A \`--profile\` run at the default settings (300 clients in 10 rooms, WebSocket sends, 600–900 messages/s) put about a third of each node's CPU in \`writev\` ` +
      `(one socket write per WebSocket frame, i.e. per delivery: \`ws\` writes each frame on its own), a fifth in @trpc/server's subscription machinery per ` +
      `yielded event (its WebSocket adapter's \`encode\` — a \`JSON.stringify\` per receiver —, \`createSubscribablePromise\`/\`race\` per step of the ` +
      `async iterator, \`_objectSpread2\`), and a tenth in garbage collection; the whole send path (\`sendMessage\`, rate limits, the group commit, ` +
      `the publish) is under a tenth. What would move the knee next: write one socket's frames together (cork the sockets a feed dispatch writes to, ` +
      `uncork after it), and serialize an event once per node rather than once per receiver (a fan-out beneath tRPC's per-subscription encoding).`,
    `- **The fan-out wakes only the streams that deliver.** A stream's \`FeedFilter\` (packages/api/src/features/event/event.service.ts) drops other ` +
      `rooms' events at the feed, before its queue, and each stream waits with one interval timer, not a timer per wait: with ${r.opts.rooms} rooms, ` +
      `${num(r.opts.rooms > 1 ? ((r.opts.rooms - 1) / r.opts.rooms) * 100 : 0, 0)}% of a workspace's streams never wake for a given message.`,
    `- **tRPC over HTTP costs about ${num(httpMe !== null && wsMe !== null ? httpMe - wsMe : null, 0)} µs per call more than over the WebSocket**: \`auth.me\` ` +
      `${num(httpMe, 0)} µs over HTTP, ${num(wsMe, 0)} µs over the socket, and a plain \`GET /live\` ${num(live, 0)} µs; \`message.send\` ${num(httpSend, 0)} vs ` +
      `${num(wsSend, 0)} µs. @trpc/server 11's Node adapter turns every request into a Fetch \`Request\`/\`Response\` with web streams and AbortSignals. ` +
      `\`@parley/client\` therefore sends \`message.send\` over its open WebSocket when it holds a token (packages/client/src/create-client.ts), which ` +
      `this run does (\`--send ${r.opts.send}\`); a browser (cookie session) still sends over HTTP, because only an HTTP answer can renew its cookie: ` +
      `\`pnpm bench --send http\` measures that path.`,
    `- **About ${num(pgTx, 1)} PostgreSQL transactions and ${num(redisCmds, 1)} Redis commands per message at ${k.label}** (${num(pgTxLatency, 1)} and ` +
      `${num(redisCmdsLatency, 1)} at ${l.label}, where every send is a statement of its own; ` +
      `the steps' columns). A validated session and a member's role come from the node's access cache (packages/api/src/access-cache.ts: at most 5 s, ` +
      `dropped on every node through the bus when a session ends or a password changes); the room membership and the \`clientId\` look-up are inside ` +
      `the group-commit statement, which numbers only the sends that survive them, so a new message is one round trip, shared by its batch. In Redis: ` +
      `one script for both rate limits of a send (per address and per user, INCR + PTTL each), the PUBLISH, and \`presence.stopTyping\`'s script only ` +
      `when this node saw the author typing.`,
    `- **Exposed**: each node's group commit is on \`/metrics\` (\`parley_group_commit_batch_size\`, \`parley_group_commit_seconds\`, ` +
      `\`parley_messages_written_total\`) and in \`/health\` (\`groupCommit\`, \`queues.sendsWaitingToCommit\`).`,
  ].join('\n');
}

export function summaryParagraph(r: Report, latencyNodeCpu: number): string {
  const l = r.latency;
  const k = r.kneeStep;
  const parts: string[] = [];
  const crossOk = l.cross && l.cross.p99 < 100;
  const sameOk = l.same && l.same.p99 < 50;
  parts.push(
    `At ${l.label} with ${r.opts.clients} clients, a message reaches clients on the node that committed it in ${pctl(l.same)} (p50 / p99) ` +
      `and clients on other nodes, through Redis, in ${pctl(l.cross)}: ` +
      `${crossOk ? 'under' : 'not under'} the seed's 100 ms cross-server claim at p99${sameOk ? ', and under its 50 ms same-server claim' : ', and not under its 50 ms same-server claim at p99'}. ` +
      `The nodes used ${num(latencyNodeCpu, 0)}% of one core together at that rate.`,
  );
  if (k) {
    parts.push(
      `The send rate was raised until a step stopped keeping up; the last one that did persisted ${num(k.persistedRate, 0)} messages/s ` +
        `(every acknowledged send is a row: ${k.persisted}/${k.acked}) on all ${r.opts.nodes} nodes together, sharing ${r.info.nproc} cores with PostgreSQL, Redis, nginx and the load generator — ` +
        `${k.persistedRate >= 1000 ? 'above' : 'below'} the seed's 1,000+ messages/s per server instance` +
        `${r.opts.nodes > 1 ? ` (which would be ${r.opts.nodes * 1000}/s for ${r.opts.nodes} instances; here they share one machine)` : ''}. ` +
        `Group commit batched ${num(k.batches?.mean, 1)} messages per transaction on average there (largest ${k.batches?.max ?? '—'}).`,
    );
  } else {
    parts.push(`No knee step kept up; the highest persisted rate seen was ${num(r.bestPersisted?.persistedRate, 0)}/s.`);
  }
  const failed = r.knee.filter((s) => !s.pass).sort((a, b) => a.targetRate - b.targetRate)[0];
  if (failed) parts.push(`The lowest rate that did not keep up (${failed.label}): ${failed.why}.`);
  if (r.rss) {
    parts.push(
      `One node held ${r.rss.opened} idle subscribed connections at ${mib(r.rss.rssAfter)} RSS (${mib(r.rss.perTenThousand)} per 10,000), ` +
        `${r.rss.opened >= 10_000 ? 'meeting' : 'not testing'} the seed's 10,000 connections per instance${r.rss.opened >= 10_000 ? '' : ' (run without --quick for 10,000)'}; ` +
        `that is about ${num(r.rss.perTenThousand / 10_000 / 1024, 0)} KiB per subscribed connection (${num(netKiB(r.rss), 1)} KiB without the ${mib(r.rss.youngGrowth)} by which V8's young generation grew meanwhile, ` +
        `a cost of the node that stays whatever its connections, bounded by its \`--max-semi-space-size\`), and the whole node at ${mib(r.rss.rssAfter)} is ` +
        `${r.rss.rssAfter > 200 * 1024 * 1024 ? 'over' : 'within'} the seed's "~100–200 MB RAM per instance" (a fresh node with no connection is ${mib(r.rss.rssBefore)}: the tsx loader and every module).`,
    );
  }
  parts.push(
    `After kill -9 of ${r.resume.victim}, 99% of its ${r.resume.clientsOnVictim} clients had resubscribed elsewhere and received a message sent after the kill within ${ms(r.resume.p99)}, ` +
      `most of it the client's deliberate backoff.`,
  );
  const st = r.storm;
  if (st) {
    parts.push(
      `With ${st.live} subscribed clients, kill -9 of ${st.victim} cut ${st.clientsOnVictim}; ` +
        (st.time99 === null
          ? `99% of them had not resumed within the step (${st.resumed} did)`
          : `99% of them had resubscribed elsewhere and received every event they missed within ${ms(st.time99)}`) +
        ` (p50 ${ms(st.p50)}, max ${ms(st.max)}; ${num(st.withinGoal * 100, 1)}% within ${num(st.goalMs / 1000, 0)} s): ` +
        `${st.time99 !== null && st.time99 < st.goalMs && st.missed === 0 && st.duplicates === 0 ? 'meeting' : 'not meeting'} issue 12's goal of 99% in under ${num(st.goalMs / 1000, 0)} s, ` +
        `with ${st.missed} events missed and ${st.duplicates} received twice` +
        `${st.live < STORM_GOAL_CLIENTS ? ` (at this size: the goal is for ${num(STORM_GOAL_CLIENTS, 0)} clients, \`pnpm bench\` without --quick)` : ''}.`,
    );
  }
  return parts.join(' ');
}

function stormHow(st: StormResult, nodes: number): string {
  return `last, after the RSS step, with every node up again (the kill -9 step's node is restarted
  first). ${st.clients} clients open WebSockets through nginx (least_conn spreads them over the nodes), client *i* as
  person *i* mod --clients (their tokens, so dozens of sockets per user, and their room and workspace), each
  with an \`event.onEvent\` subscription from its workspace's head, reconnecting as \`@parley/client\` does
  (the same client and backoff as the kill -9 step, with jitter: the reconnects spread over a second, no synchronized herd). A client is
  live once it has received a probe message sent into every room; then ${st.victim} gets SIGKILL, and right
  after it a marker message goes into every room, then ${st.ratePerS} messages/s round-robin over the rooms for
  ${st.sendSeconds} s (tRPC HTTP through nginx, retried with the same \`clientId\` on failure), so its clients
  miss events while they reconnect. Each client logs every event id it receives after the kill. One of
  ${st.victim}'s clients has **resumed** when its first subscription after the kill has started and it has
  received every event it may see (its room's and workspace-wide ones, read from \`events_<workspace>\`:
  ids are dense, so a gap is an event never sent to it) after its last one before the kill, up to its
  room's marker, or up to the room's last message acknowledged before that subscription started when
  that is later; the time is from the kill. After waiting up to ${num(STORM_WAIT_MS / 1000, 0)} s for every client to reach its room's
  last message, each client's ids are checked against the log from its last one before the kill: an event
  it may see that it never received, below a later one it did receive, is **missed** (a stream delivers in
  id order, so it was skipped for good); one above the last it received is **still behind** (not delivered
  when the step ended: a client still reconnecting); an id delivered again, or at or below its last one
  before the kill, is **received twice**. "99% resumed at" counts clients that never resumed as never; the
  percentiles are over those that did. The reconnect attempts, nginx's error log and the kernel's listen
  queue overflows over the same time say where the time went.${
    nodes === 1 ? ' With one node, the node is started again right after the kill, and its start-up is part of the time.' : ''
  } ${st.victim} is started again after the step.`;
}

/** Prints the table; writes docs/benchmarks.md (or `--out`) unless --no-write. */
export function writeReport(report: Report, out: string | null): void {
  console.log(`\n${renderText(report)}`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderMarkdown(report));
    log(`written to ${out}`);
  }
}
