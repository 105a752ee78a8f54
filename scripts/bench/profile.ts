/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`, written by a node when it exits): self time
 * per function and per package, to show where a node spends its CPU under load.
 */
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function (`name (file:line)`), largest first. */
  functions: { name: string; ms: number; share: number }[];
  /** Self time by where the code lives: a package, a Parley workspace package, node internals, GC, idle. */
  areas: { area: string; ms: number; share: number }[];
  /**
   * Parley's own functions (packages/*, apps/*) by total time, callees included (each sample
   * once per function). Only the synchronous part of an async function is under it: what runs
   * after an await is under runMicrotasks.
   */
  parley: { name: string; ms: number; share: number }[];
  /** Socket writes (writev, writeUtf8String, writeBuffer) by the library or package that made them. */
  writesBy: { area: string; ms: number; share: number }[];
}

/** Where a script URL belongs: `pg`, `@trpc/server`, `packages/api`, `node:internal`, … */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, outside JS)';
    return `(${functionName || 'native'})`;
  }
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const ws = /\/(packages\/[^/]+|apps\/[^/]+)\//.exec(url);
  if (ws) return ws[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (node: CpuProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*?\/(packages|apps)\//, '$1/') : '';
    return `${functionName || '(anonymous)'}${file ? ` (${file}:${lineNumber + 1})` : ''}`;
  };
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      if (!/\/(packages|apps)\/[^/]+\/src\//.test(node.callFrame.url) || /node_modules/.test(node.callFrame.url)) continue;
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const writes = new Map<string, number>();
  for (const [id, us] of self) {
    const leaf = byId.get(id)!;
    if (!/^(writev|writeUtf8String|writeBuffer|writeLatin1String|writeAsciiString)$/.test(leaf.callFrame.functionName)) continue;
    let by = '(unknown)';
    for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      if (!frame.url) continue;
      const a = areaOf(frame.url, frame.functionName);
      if (a === 'node:internal') {
        if (/node:_http_/.test(frame.url) || /node:internal\/http/.test(frame.url)) by = 'node:http';
        continue;
      }
      by = a === 'node:internal' ? by : a;
      break;
    }
    writes.set(by, (writes.get(by) ?? 0) + us);
  }
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const name = keyOf(node);
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]).map(([k, us]) => ({ k, ms: us / 1000, share: total ? us / total : 0 }));
  return {
    totalMs: total / 1000,
    functions: rank(fn)
      .slice(0, top)
      .map(({ k, ms, share }) => ({ name: k, ms, share })),
    areas: rank(area)
      .slice(0, top)
      .map(({ k, ms, share }) => ({ area: k, ms, share })),
    parley: rank(inclusive)
      .slice(0, top)
      .map(({ k, ms, share }) => ({ name: k, ms, share })),
    writesBy: rank(writes)
      .slice(0, top)
      .map(({ k, ms, share }) => ({ area: k, ms, share })),
  };
}
