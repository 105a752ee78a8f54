import { describe, expect, test } from 'vitest';
import { addHops, hopStats, parseHops } from './hops.ts';

const metrics = (queue: number[], sum: number, commits = 1) => `# HELP parley_event_hop_seconds One hop
# TYPE parley_event_hop_seconds histogram
parley_event_hop_seconds_bucket{le="0.001",hop="queue"} ${queue[0]}
parley_event_hop_seconds_bucket{le="0.01",hop="queue"} ${queue[1]}
parley_event_hop_seconds_bucket{le="+Inf",hop="queue"} ${queue[2]}
parley_event_hop_seconds_sum{hop="queue"} ${sum}
parley_event_hop_seconds_count{hop="queue"} ${queue[2]}
parley_group_commit_seconds_bucket{le="0.001"} ${commits}
parley_group_commit_seconds_bucket{le="+Inf"} ${commits}
parley_group_commit_seconds_sum 0.0005
parley_group_commit_seconds_count ${commits}
parley_delivery_seconds_bucket{le="0.001"} 9
`;

describe('hop histograms from /metrics', () => {
  test('the difference of two readings, summed over nodes, with interpolated percentiles', () => {
    const before = addHops(parseHops(metrics([10, 10, 10], 0.005)), parseHops(metrics([0, 0, 0], 0)));
    const after = addHops(parseHops(metrics([60, 110, 110], 0.405, 2)), parseHops(metrics([50, 100, 100], 0.1)));
    const stats = hopStats(before, after);
    expect(stats.map((s) => s.hop)).toEqual(['queue', 'statement']);
    const queue = stats[0]!;
    expect(queue.count).toBe(200);
    expect(queue.mean).toBeCloseTo((0.5 / 200) * 1000);
    // 100 of the 200 are under 1 ms: the median is the first bucket's top.
    expect(queue.p50).toBeCloseTo(1);
    // The 198th lies in (1 ms, 10 ms], 98 of its 100: 1 + 9 × 0.98.
    expect(queue.p99).toBeCloseTo(1 + 9 * 0.98);
    expect(stats[1]).toMatchObject({ hop: 'statement', count: 1 });
  });

  test('a hop with nothing in the window is left out', () => {
    const same = parseHops(metrics([5, 5, 5], 0.001));
    expect(hopStats(same, same)).toEqual([]);
  });
});
