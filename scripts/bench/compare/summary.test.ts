import { describe, expect, it } from 'vitest';
import type { StepResult } from '../results.ts';
import { ackedRate, comparisonRows, highestKeptUp, ratio, stepAt, type SideLadder } from './summary.ts';

function step(targetRate: number, over: Partial<StepResult> = {}): StepResult {
  const seconds = 8;
  const sent = targetRate * seconds;
  return {
    label: `${targetRate}/s`,
    kind: 'knee',
    targetRate,
    seconds,
    offered: sent,
    acked: sent,
    errors: 0,
    errorSamples: [],
    persisted: sent,
    persistedRate: targetRate,
    expectedDeliveries: sent * 10,
    deliveries: sent * 10,
    lost: 0,
    duplicates: 0,
    drainMs: 10,
    all: { count: sent * 10, p50: 5, p99: 20, max: 40 },
    same: null,
    cross: null,
    batches: null,
    maxQueued: 0,
    hops: null,
    cpu: {
      wallMs: 8000,
      nodesMs: 4000,
      nginxMs: 0,
      pgMs: 1000,
      redisMs: 0,
      generatorMs: 0,
      machineBusyMs: 8000,
      machineTotalMs: 16000,
      otherMs: 0,
    },
    pgTransactions: sent,
    redisCommands: 0,
    redisTop: [],
    pass: true,
    why: '',
    ...over,
  };
}

const quiet = { uptime: '', load: [0.5, 0.25, 0.1] as [number, number, number] };
const side = (ladder: StepResult[]): SideLadder => ({ ladder, before: quiet, beforeSteps: quiet });

describe('the side-by-side table', () => {
  it('reads a step at its rate, or at the nearest one run', () => {
    const ladder = [step(250), step(500), step(1000)];
    expect(stepAt(ladder, 500)?.targetRate).toBe(500);
    expect(stepAt(ladder, 700)?.targetRate).toBe(500);
    expect(stepAt([], 500)).toBeNull();
  });

  it('takes the highest rate that kept up, even above one that did not', () => {
    expect(highestKeptUp([step(250), step(500, { pass: false }), step(750), step(1000, { pass: false })])?.targetRate).toBe(750);
    expect(highestKeptUp([step(250, { pass: false })])).toBeNull();
  });

  it('counts acknowledged sends until the last commit when a step fell behind', () => {
    expect(ackedRate(step(500))).toBe(500);
    // 4000 acknowledged, committed at 400/s: 10 s, not the step's 8.
    expect(ackedRate(step(500, { acked: 4000, persisted: 4000, persistedRate: 400 }))).toBe(400);
    expect(ackedRate(step(500, { acked: 0, persisted: 0, persistedRate: 0 }))).toBe(0);
  });

  it('divides Parley by the peer, and has no ratio for a missing number or a zero', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
  });

  it('lines the two systems up row by row', () => {
    // Parley falls behind at 750/s: 6000 sends acknowledged at 600/s.
    const parley = side([step(250), step(500), step(750, { pass: false, acked: 6000, persisted: 6000, persistedRate: 600 })]);
    const peer = side([step(250, { all: { count: 1, p50: 10, p99: 80, max: 90 } }), step(500, { cpu: { ...step(500).cpu, nodesMs: 2000 } }), step(750)]);
    const rows = comparisonRows(parley, peer, { p99BoundMs: 100, latencyRate: 250, cpuRate: 500, reference: parley.ladder });
    const row = (prefix: string) => rows.find((r) => r[0]!.startsWith(prefix))!;
    expect(row('highest rate')).toEqual([
      'highest rate with p99 < 100 ms (every send acknowledged, stored and delivered)',
      '500 msg/s',
      "750 msg/s (the ladder's top)",
      '≤ 0.67',
    ]);
    expect(row('highest acknowledged')).toEqual([
      'highest acknowledged rate',
      '600 msg/s (offered 750/s)',
      "750 msg/s (offered 750/s; the ladder's top, kept pace)",
      '≤ 0.80',
    ]);
    expect(row('delivery p99 at 250')).toEqual(['delivery p99 at 250 msg/s', '20.0 ms', '80.0 ms', '0.25']);
    // 4000 ms over 40,000 deliveries against 2000 ms over the same.
    expect(row('node CPU per 1,000 deliveries at 500')).toEqual(['node CPU per 1,000 deliveries at 500 msg/s', '100 ms', '50.0 ms', '2.00']);
    expect(row('machine load (1 / 5 / 15 min) before the system')[1]).toBe('0.50 / 0.25 / 0.10');
  });

  it('gives no rate ratio when both kept up with the ladder to its top', () => {
    const both = side([step(250), step(500)]);
    const rows = comparisonRows(both, both, { p99BoundMs: 100, latencyRate: 250, cpuRate: 500, reference: both.ladder });
    expect(rows[0]![3]).toBe("— (both at the ladder's top)");
    expect(rows[1]![3]).toBe("— (both at the ladder's top)");
    expect(rows[2]![3]).toBe('1.00');
  });
});
