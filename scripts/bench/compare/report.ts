import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../cluster/index.ts';
import { COMPARE_CPU_RATE, type Options } from '../options.ts';
import { STEP_HEADER, stepRows } from '../report.ts';
import type { MachineInfo, StepResult } from '../results.ts';
import { log } from '../run.ts';
import { markdownTable, num, textTable } from '../stats.ts';
import { HOP_HEADER, hopRows } from '../hops.ts';
import type { SideResult } from './side.ts';
import { COMPARISON_HEADER, comparisonRows, stepAt } from './summary.ts';

// `pnpm bench --compare`: the table printed at the end and docs/benchmarks-vs-socketio.md.

export interface Comparison {
  opts: Options;
  commandLine: string;
  info: MachineInfo;
  parley: SideResult;
  peer: SideResult;
}

const rowsOf = (c: Comparison) =>
  comparisonRows(c.parley, c.peer, { p99BoundMs: c.opts.p99BoundMs, latencyRate: c.opts.rate, cpuRate: COMPARE_CPU_RATE, reference: c.parley.ladder });
const stepsOf = (s: SideResult) => stepRows([s.warmUp, ...s.ladder]);
const spread = (s: SideResult) => s.nodeIds.map((id, i) => `${id} ${s.perNode[i] ?? 0}`).join(', ');

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'scripts/node_modules', pkg, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/**
 * The steps in which other work (the "other" column: busy CPU that is none of the measured
 * processes) took more than a fifth of a core, or '' when none did. Such a step is slower than
 * on a quiet machine, and on this shared machine it can happen to either system.
 */
export function noiseNote(c: Comparison): string {
  const noisy = (s: SideResult) =>
    [s.warmUp, ...s.ladder].filter((st) => st.cpu.otherMs / st.cpu.wallMs > 0.2).map((st) => `${st.label} ${num((st.cpu.otherMs / st.cpu.wallMs) * 100, 0)}%`);
  const parley = noisy(c.parley);
  const peer = noisy(c.peer);
  if (!parley.length && !peer.length) return '';
  return (
    `Other work on the machine took more than a fifth of a core in some steps (the "other" column, in % of one core): ` +
    `Parley ${parley.join(', ') || 'none'}; the peer ${peer.join(', ') || 'none'}. Those steps are slower than they would be on a quiet machine; ` +
    `run again when \`uptime\` shows a load well under 1.`
  );
}

/** Parley's hop breakdown at the latency rate (and at the ladder's top), as a heading and a table each. */
function hopLines(c: Comparison, table: (rows: string[][]) => string): string[] {
  const out: string[] = [];
  const steps = [stepAt(c.parley.ladder, c.opts.rate), c.parley.ladder.at(-1) ?? null];
  for (const s of new Set(steps)) {
    if (!s?.hops?.length) continue;
    out.push('', `One message's life on Parley's nodes at ${s.label} (${s.acked} sends; from the nodes' /metrics):`, '', table(hopRows(s.hops)));
  }
  return out;
}

export function renderComparisonText(c: Comparison): string {
  const { info, opts } = c;
  const noise = noiseNote(c);
  return [
    `Parley vs Socket.IO peer — ${info.date}, ${info.nproc} cores (${info.cpuModel})`,
    `${c.commandLine}: ${opts.nodes} nodes each, ${opts.clients} clients in ${opts.rooms} rooms (Parley: ${opts.partitions} workspace(s)), ${opts.bodyBytes}-byte bodies`,
    '',
    textTable(COMPARISON_HEADER, rowsOf(c)),
    ...(noise ? ['', noise] : []),
    '',
    `Parley (${spread(c.parley)}):`,
    textTable(STEP_HEADER, stepsOf(c.parley)),
    ...hopLines(c, (rows) => textTable(HOP_HEADER, rows)),
    '',
    `Socket.IO peer (${spread(c.peer)}):`,
    textTable(STEP_HEADER, stepsOf(c.peer)),
  ].join('\n');
}

/** Per message at one step: PostgreSQL transactions and Redis commands, the most called first. */
function perMessage(s: StepResult | null): string {
  if (!s || !s.acked) return '—';
  return `${num(s.pgTransactions / s.acked, 1)} PostgreSQL transactions and ${num(s.redisCommands / s.acked, 1)} Redis commands (${s.redisTop
    .map((t) => `${t.command} ${num(t.calls / s.acked, 1)}`)
    .join(', ')})`;
}

export function renderComparisonMarkdown(c: Comparison): string {
  const { info: i, opts: o, parley, peer } = c;
  const cpuRate = stepAt(parley.ladder, COMPARE_CPU_RATE)?.targetRate ?? COMPARE_CPU_RATE;
  const totals = (s: SideResult) => `${s.acked} sends acknowledged, ${s.rows} rows stored, ${s.duplicates} deliveries seen twice by a client`;
  return `# Parley and a Socket.IO 4 peer, side by side

Written by \`pnpm bench --compare\` (scripts/bench/compare/); run it again to refresh this page.
Both systems ran on the same machine in the same run, one after the other (Parley first), under
the same load generator and workload. The numbers are from one machine shared with other work:
read the load rows before comparing runs. Parley's own, longer benchmark is docs/benchmarks.md.

## Machine and run

| | |
| --- | --- |
| date | ${i.date} |
| machine | ${i.nproc} cores (\`nproc\`), ${i.cpuModel}, ${i.memory} RAM |
| load (\`uptime\`) | before Parley: ${parley.before.uptime}<br>before the peer: ${peer.before.uptime}<br>after: ${i.uptimeAfter ?? '—'} |
| software | Node ${i.node}, PostgreSQL ${i.postgres}, Redis ${i.redis}, nginx ${i.nginx}; socket.io ${version('socket.io')}, @socket.io/redis-adapter ${version('@socket.io/redis-adapter')}, ioredis ${version('ioredis')}, socket.io-client ${version('socket.io-client')} |
| command | \`${c.commandLine}\` |
| Parley | ${o.nodes} node processes (apps/server) behind nginx; ${o.rooms} rooms in ${o.partitions} workspace${o.partitions === 1 ? '' : 's'}; each client one WebSocket with an \`event.onEvent\` subscription; sends are ${o.send === 'ws' ? "tRPC mutations over the sender's own WebSocket" : 'tRPC HTTP POSTs through nginx'} (\`message.send\`, acknowledged after the group commit) |
| Socket.IO peer | ${o.nodes} node processes of scripts/peer/server.ts (Socket.IO 4, \`@socket.io/redis-adapter\` on ioredis, a \`pg\` pool of 10 as Parley's) behind nginx; each client one socket.io-client (\`transports: ['websocket']\`) that \`join\`s its room; a \`send\` is acknowledged after \`INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING id\` and \`io.to(room).emit\` |
| both | the repository's nginx.conf rendered by \`@parley/scripts/cluster\` (least_conn; the same upgrade headers carry \`/trpc\` and \`/socket.io/\`), nodes started the same way (\`node --import tsx\`, \`startCluster\`), a fresh PostgreSQL database each, the same private redis-server (emptied between), all on this machine with the load generator |
| clients | ${o.clients} through nginx, client *i* in room *i* mod ${o.rooms} (${Math.round(o.clients / o.rooms)} per room); Parley: ${spread(parley)}; peer: ${spread(peer)} |
| workload | open loop, round-robin over the rooms, the sender a member of the room; bodies of ${o.bodyBytes} bytes (\`b\\|step\\|seq\\|send time\\|\` then filler); a ${parley.warmUp.seconds} s warm-up at ${parley.warmUp.targetRate} msg/s, then every rate of ${o.rates.join(', ')} msg/s, ${o.stepSeconds} s each (no knee search: both run the same rates); each step starts once the nodes are quiet; a step keeps up when no send fails, every acknowledged send is a row and reaches every member of its room, the stored rate is at least 95% of the offered one, and p99 delivery < ${o.p99BoundMs} ms |

## Side by side
${noiseNote(c) ? `\n> ${noiseNote(c)}\n` : ''}
${markdownTable(COMPARISON_HEADER, rowsOf(c))}

The ratio is Parley's number over the peer's: above 1, Parley's is higher (better for a rate,
worse for a latency or a CPU cost). A system that kept up with the ladder's top rate may do more:
its side of a rate ratio is then a lower bound ("≥"/"≤"), and there is no ratio when both did
(\`--rates\` with higher rates finds their limits). Per message at ${cpuRate} msg/s, Parley: ${perMessage(stepAt(parley.ladder, cpuRate))};
the peer: ${perMessage(stepAt(peer.ladder, cpuRate))} (net of the background with no traffic:
Parley ${num(parley.background.pgPerS, 1)} transactions/s and ${num(parley.background.redisPerS, 1)} commands/s, the peer
${num(peer.background.pgPerS, 1)} and ${num(peer.background.redisPerS, 1)}).

## Every step

Parley (${totals(parley)}):

${markdownTable(STEP_HEADER, stepsOf(parley))}

Socket.IO peer (${totals(peer)}):

${markdownTable(STEP_HEADER, stepsOf(peer))}

## Where a message's time goes on Parley

Each node times the hops of every message it handles (\`parley_event_hop_seconds\` and
\`parley_group_commit_seconds\` on \`/metrics\`); the benchmark reads every node's histograms
before and after a step and shows the difference, summed over the nodes. Percentiles are
interpolated within a histogram bucket (as PromQL's \`histogram_quantile\`), so they are
approximate; the means are exact. The hops overlap (\`write\`/\`bus\` include the statement;
\`socket\` includes \`stream\`); what is left of the delivery time (the "p50 / p99" of the step
rows, measured in the generator) is the way in (client → nginx → node, until the send reaches the
group commit) and out (socket → nginx → client).
${hopLines(c, (rows) => markdownTable(HOP_HEADER, rows)).join('\n')}

"batch" is the number of rows sharing one \`created_at\` (one transaction): Parley's group commit;
the peer inserts each message in a transaction of its own. "max queued" is Parley's
\`/health\` → \`queues.sendsWaitingToCommit\`; the peer has no such queue (0).

## What is the same, and what is not

- **Same**: the machine and its ${i.nproc} cores (shared by the nodes, nginx, PostgreSQL, Redis
  and the generator), the node count, nginx and its configuration, PostgreSQL and its settings,
  the redis-server, the clients per room, the bodies, the rates, the quiet start of every step,
  and every measurement (the delivery time is taken in the one generator process, CPU from
  \`/proc\` the same way for both; docs/benchmarks.md says how each is read).
- **The peer does less per message.** It checks only that the sending socket joined the room
  (\`join\` itself checks nothing); it has no rate limits (Parley: one script per send, the
  INCR/PTTL pairs in the Redis column), no session or membership look-up, and no event log:
  Parley's one statement checks membership, takes the workspace's next event id (a counter row,
  so one workspace's writes queue behind each other), and stores the message and its
  \`message.created\` event, from which a client that reconnects gets what it missed. A client of
  the peer that drops misses what was sent meanwhile; the comparison kills no node, so that
  difference is not measured here. Its delivery frame carries \`{ id, room, body, clientId }\`
  where Parley's carries the whole event in tRPC's envelope.
- **Fan-out.** Socket.IO encodes a broadcast once per node and writes that one frame to every
  socket in the room. Parley makes an event's JSON (and its UTF-8 bytes) once per node too (\`event.wire.ts\`), but each
  subscriber's frame is its own (its subscription id in tRPC's envelope, copied before those bytes) and goes through that
  subscription's own stream (its visibility check, its position for resuming): per-receiver work
  the peer does not do, and one reason for the "node CPU per 1,000 deliveries" row.
- **Writes.** Parley stores concurrent sends of a node and workspace in one transaction (group
  commit: the "batch" column); the peer makes one autocommit \`INSERT\` per message, as \`pg\` does
  by default. Both use a pool of 10 connections per node; Parley's group commit has 5 more of its own
  (\`writeLanes\`: one connection each, a workspace keeping to its own while it is free, sessions
  that plan its prepared statements with index probes only). A send alone has a statement of a few
  plan nodes; two or more waiting together share the batch statement.${
    o.partitions > 1
      ? ''
      : ' With one workspace (`--partitions 1`), each Parley node has one write in flight at a time; `--partitions 20` gives every room a workspace of its own.'
  }
- **The clients differ by necessity.** Parley's clients speak tRPC's WebSocket protocol directly
  over \`ws\` (no \`@trpc/client\`); the peer's are socket.io-client, which costs the generator
  more per delivery (the "generator" column). The generator shares the ${i.nproc} cores with the
  servers, so that is CPU the peer's nodes did not get.
- **Health polls.** The benchmark polls every node's \`/health\` twice a second during a step;
  Parley's answers from the database and its queues, the peer's makes one \`select 1\`.
- **Order.** Parley runs first, the peer second, each on its own database (Parley's is dropped
  before the peer starts) and the same redis-server, emptied in between. The peer's run may meet
  PostgreSQL's checkpoint of Parley's writes; compare the "other" column of the steps. The load
  average before the peer includes Parley's own run just before it (a 1-minute average decays
  slowly); the "other" column, not the load, tells whether outside work disturbed a step.
${o.partitions > 1 ? `- **Workspaces.** Parley spread the ${o.rooms} rooms over ${o.partitions} workspaces (\`--partitions ${o.partitions}\`), each with its own tables and event stream; the peer has one table whatever the rooms.\n` : ''}`;
}

/** Prints the table; writes docs/benchmarks-vs-socketio.md (or `--out`) unless --no-write. */
export function writeComparison(c: Comparison, out: string | null): void {
  console.log(`\n${renderComparisonText(c)}`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderComparisonMarkdown(c));
    log(`written to ${out}`);
  }
}
