/**
 * One message's life on the server, from the nodes' own histograms (`/metrics`): read before
 * and after a step, the difference is that step's. Prometheus histograms keep counts per
 * bucket, so a percentile is interpolated inside its bucket (as PromQL's `histogram_quantile`).
 */

/** One histogram: cumulative counts per upper bound (seconds), ending with +Inf; and the sum. */
interface Histogram {
  bounds: number[];
  cumulative: number[];
  sum: number;
  count: number;
}

/** The hops a report shows, in the order a message lives them, with what each covers. */
export const HOPS = [
  { key: 'queue', what: 'send handed to the group commit → its statement starts (waiting for the workspace’s write in flight)', per: 'send' },
  { key: 'statement', what: 'the group-commit statement and its commit (one per batch)', per: 'batch' },
  { key: 'write', what: 'statement start → the writing node’s feed has the event (statement, commit, answer)', per: 'event' },
  { key: 'bus', what: 'statement start → another node’s feed has it (commit, Redis pub/sub)', per: 'event, other node' },
  { key: 'stream', what: 'feed → one subscription yields it (its queue, the stream waking)', per: 'receiver' },
  { key: 'socket', what: 'feed → its frame is written for one receiver’s socket', per: 'receiver' },
] as const;

export interface HopStat {
  hop: string;
  count: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p99: number;
}

const SERIES = /^(parley_event_hop_seconds|parley_group_commit_seconds)_(bucket|sum|count)\{?([^}]*)\}?\s+(\S+)$/;

/** The hop histograms of one `/metrics` text, by hop (`statement`: parley_group_commit_seconds). */
export function parseHops(text: string): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  const get = (hop: string) => {
    let h = out.get(hop);
    if (!h) out.set(hop, (h = { bounds: [], cumulative: [], sum: 0, count: 0 }));
    return h;
  };
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line.trim());
    if (!m) continue;
    const [, name, part, labelText, valueText] = m;
    const labels = Object.fromEntries([...labelText!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const hop = name === 'parley_group_commit_seconds' ? 'statement' : labels.hop;
    if (!hop) continue;
    const value = Number(valueText);
    const h = get(hop);
    if (part === 'sum') h.sum += value;
    else if (part === 'count') h.count += value;
    else {
      const bound = labels.le === '+Inf' ? Infinity : Number(labels.le);
      h.bounds.push(bound);
      h.cumulative.push(value);
    }
  }
  return out;
}

/** Adds `b` into `a` (the same metric from several nodes; same buckets on every node). */
export function addHops(a: Map<string, Histogram>, b: Map<string, Histogram>): Map<string, Histogram> {
  for (const [hop, h] of b) {
    const into = a.get(hop);
    if (!into) a.set(hop, { bounds: [...h.bounds], cumulative: [...h.cumulative], sum: h.sum, count: h.count });
    else {
      h.cumulative.forEach((c, i) => (into.cumulative[i] = (into.cumulative[i] ?? 0) + c));
      into.sum += h.sum;
      into.count += h.count;
    }
  }
  return a;
}

function quantile(h: Histogram, q: number): number {
  const rank = q * h.count;
  for (let i = 0; i < h.bounds.length; i++) {
    if (h.cumulative[i]! >= rank) {
      const upper = h.bounds[i]!;
      const lower = i === 0 ? 0 : h.bounds[i - 1]!;
      if (upper === Infinity) return lower;
      const below = i === 0 ? 0 : h.cumulative[i - 1]!;
      const inBucket = h.cumulative[i]! - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return NaN;
}

/** What happened between two readings, per hop in {@link HOPS} order (hops with no observation are left out). */
export function hopStats(before: Map<string, Histogram>, after: Map<string, Histogram>): HopStat[] {
  const stats: HopStat[] = [];
  for (const { key } of HOPS) {
    const a = after.get(key);
    if (!a) continue;
    const b = before.get(key);
    const d: Histogram = {
      bounds: a.bounds,
      cumulative: a.cumulative.map((c, i) => c - (b?.cumulative[i] ?? 0)),
      sum: a.sum - (b?.sum ?? 0),
      count: a.count - (b?.count ?? 0),
    };
    if (d.count <= 0) continue;
    stats.push({ hop: key, count: d.count, mean: (d.sum / d.count) * 1000, p50: quantile(d, 0.5) * 1000, p99: quantile(d, 0.99) * 1000 });
  }
  return stats;
}

/** Every node's hop histograms summed; null when the nodes have no such metrics (the peer). */
export async function readHops(urls: readonly string[]): Promise<Map<string, Histogram> | null> {
  const total = new Map<string, Histogram>();
  for (const url of urls) {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return null;
      addHops(total, parseHops(await res.text()));
    } catch {
      return null;
    }
  }
  return total.size ? total : null;
}

export const HOP_HEADER = ['hop', 'what it covers', 'observations', 'per', 'mean', 'p50', 'p99'];

/** Table rows of a step's hops, in the order a message lives them. */
export function hopRows(stats: readonly HopStat[]): string[][] {
  const fmt = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '—');
  return stats.map((s) => {
    const h = HOPS.find((x) => x.key === s.hop);
    return [s.hop, h?.what ?? '', String(s.count), h?.per ?? '', fmt(s.mean), fmt(s.p50), fmt(s.p99)];
  });
}
