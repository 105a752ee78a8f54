import type { StepResult } from '../results.ts';
import { num } from '../stats.ts';
import type { MachineLoad } from './side.ts';

// The side-by-side table of `pnpm bench --compare`: pure functions of the two ladders.

/** The ladder step at `rate`, or the nearest one when that rate was not run; null for an empty ladder. */
export function stepAt(ladder: readonly StepResult[], rate: number): StepResult | null {
  let best: StepResult | null = null;
  for (const s of ladder) if (!best || Math.abs(s.targetRate - rate) < Math.abs(best.targetRate - rate)) best = s;
  return best;
}

/** The highest rate whose step kept up (p99 under the bound, and every send acknowledged, stored and delivered); null when none did. */
export function highestKeptUp(ladder: readonly StepResult[]): StepResult | null {
  return ladder.filter((s) => s.pass).reduce<StepResult | null>((best, s) => (!best || s.targetRate > best.targetRate ? s : best), null);
}

/**
 * Acknowledged sends per second in a step: over the step, or until its last commit when that
 * came later (a system that falls behind answers its sends after the offering stopped).
 */
export function ackedRate(s: StepResult): number {
  const window = s.persisted > 0 && s.persistedRate > 0 ? Math.max(s.seconds, s.persisted / s.persistedRate) : s.seconds;
  return s.acked / window;
}

/** a ÷ b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** What the table reads of one system. */
export type SideLadder = { ladder: readonly StepResult[]; before: MachineLoad; beforeSteps: MachineLoad };

interface Measure {
  label: string;
  value(side: SideLadder): number | null;
  show(value: number, side: SideLadder): string;
  /** The value is the ladder's top rate, kept: the system's own limit is that or higher. */
  atTop?(value: number, side: SideLadder): boolean;
}

const topRate = (ladder: readonly StepResult[]) => Math.max(...ladder.map((s) => s.targetRate));
/** Keeping pace with the highest rate offered says the system's ceiling is at or above the ladder's top, not at this number. */
function keptPaceAtTop(v: number, side: SideLadder): boolean {
  const s = side.ladder.find((x) => ackedRate(x) === v);
  return !!s && s.targetRate === topRate(side.ladder) && v >= 0.95 * s.targetRate;
}
const perThousand = (ms: number, count: number) => (count ? (ms * 1000) / count : null);

function measures(p99BoundMs: number, latencyRate: number, cpuRate: number): Measure[] {
  const at = (rate: number) => (side: SideLadder) => stepAt(side.ladder, rate);
  const latencyStep = at(latencyRate);
  const cpuStep = at(cpuRate);
  return [
    {
      label: `highest rate with p99 < ${p99BoundMs} ms (every send acknowledged, stored and delivered)`,
      value: (side) => highestKeptUp(side.ladder)?.targetRate ?? null,
      show: (v, side) => {
        const failedBelow = side.ladder.filter((s) => !s.pass && s.targetRate < v).map((s) => s.targetRate);
        const notes = [...(v === topRate(side.ladder) ? ["the ladder's top"] : []), ...(failedBelow.length ? [`${failedBelow.join(', ')} did not`] : [])];
        return `${num(v, 0)} msg/s${notes.length ? ` (${notes.join('; ')})` : ''}`;
      },
      atTop: (v, side) => v === topRate(side.ladder),
    },
    {
      label: 'highest acknowledged rate',
      value: (side) => (side.ladder.length ? Math.max(...side.ladder.map(ackedRate)) : null),
      show: (v, side) => {
        const s = side.ladder.find((x) => ackedRate(x) === v);
        return `${num(v, 0)} msg/s (offered ${s?.targetRate ?? '—'}/s${keptPaceAtTop(v, side) ? "; the ladder's top, kept pace" : ''})`;
      },
      atTop: keptPaceAtTop,
    },
    {
      label: `delivery p50 at ${latencyRate} msg/s`,
      value: (side) => latencyStep(side)?.all?.p50 ?? null,
      show: (v) => `${num(v)} ms`,
    },
    {
      label: `delivery p99 at ${latencyRate} msg/s`,
      value: (side) => latencyStep(side)?.all?.p99 ?? null,
      show: (v) => `${num(v)} ms`,
    },
    {
      label: `node CPU per 1,000 deliveries at ${cpuRate} msg/s`,
      value: (side) => {
        const s = cpuStep(side);
        return s ? perThousand(s.cpu.nodesMs, s.deliveries) : null;
      },
      show: (v) => `${num(v)} ms`,
    },
    {
      label: `PostgreSQL CPU per message at ${cpuRate} msg/s`,
      value: (side) => {
        const s = cpuStep(side);
        // ms per message → µs
        return s ? perThousand(s.cpu.pgMs, s.persisted) : null;
      },
      show: (v) => `${num(v)} µs`,
    },
    {
      label: `machine busy at ${cpuRate} msg/s (all cores)`,
      value: (side) => {
        const s = cpuStep(side);
        return s && s.cpu.machineTotalMs ? (s.cpu.machineBusyMs / s.cpu.machineTotalMs) * 100 : null;
      },
      show: (v) => `${num(v, 0)}%`,
    },
  ];
}

export const COMPARISON_HEADER = ['measure', 'Parley', 'Socket.IO peer', 'ratio (Parley ÷ peer)'];

/**
 * measure | Parley | Socket.IO peer | ratio. The ratio is Parley's number over the peer's: above 1
 * means Parley's is higher (better for a rate, worse for latency and CPU); "≥"/"≤" when one side
 * kept up with the ladder's top rate (its limit is higher), none when both did. The load rows have none.
 */
export function comparisonRows(
  parley: SideLadder,
  peer: SideLadder,
  options: { p99BoundMs: number; latencyRate: number; cpuRate: number; reference: readonly StepResult[] },
): string[][] {
  // Label the rows with the rates actually run (the nearest when --rates left one out).
  const latencyRate = stepAt(options.reference, options.latencyRate)?.targetRate ?? options.latencyRate;
  const cpuRate = stepAt(options.reference, options.cpuRate)?.targetRate ?? options.cpuRate;
  const rows = measures(options.p99BoundMs, latencyRate, cpuRate).map((m) => {
    const a = m.value(parley);
    const b = m.value(peer);
    const r = ratio(a, b);
    // A system at the ladder's top may do more: its side of the ratio is a lower bound.
    const parleyCapped = a !== null && (m.atTop?.(a, parley) ?? false);
    const peerCapped = b !== null && (m.atTop?.(b, peer) ?? false);
    const shown =
      r === null ? '—' : parleyCapped && peerCapped ? "— (both at the ladder's top)" : `${parleyCapped ? '≥ ' : peerCapped ? '≤ ' : ''}${num(r, 2)}`;
    return [m.label, a === null ? '—' : m.show(a, parley), b === null ? '—' : m.show(b, peer), shown];
  });
  const load = (l: MachineLoad) => l.load.map((x) => num(x, 2)).join(' / ');
  rows.push(['machine load (1 / 5 / 15 min) before the system was started', load(parley.before), load(peer.before), '']);
  rows.push(['machine load (1 / 5 / 15 min) before its first step', load(parley.beforeSteps), load(peer.beforeSteps), '']);
  return rows;
}
