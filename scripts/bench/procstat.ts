/** CPU time and memory of processes and of the machine, read from Linux's /proc. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clkTck: number | undefined;
/** Clock ticks per second of /proc's utime/stime (`getconf CLK_TCK`, 100 nearly everywhere). */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of one process in ms, or undefined when it is gone. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes (VmRSS), or undefined when the process is gone. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of a process (nginx's workers under its master). */
export function childPids(pid: number | undefined): number[] {
  if (!pid) return [];
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Summed CPU ms of a set of processes; missing ones count 0. */
export function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) out.set(pid, ms);
  }
  return out;
}

/**
 * CPU used between two readings of the same group of processes: processes present in both
 * count their difference, ones that appeared meanwhile count all they used (they started
 * within the interval).
 */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

export interface MachineCpu {
  /** ms of CPU time spent busy over all cores (everything but idle and iowait). */
  busyMs: number;
  totalMs: number;
}

/** The machine's CPU counters (first line of /proc/stat). */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  const total = busy + idle + iowait;
  const k = 1000 / ticksPerSecond();
  return { busyMs: busy * k, totalMs: total * k };
}

/** `uptime`'s load averages (1, 5, 15 minutes). */
export function loadAverage(): [number, number, number] {
  const [a = '0', b = '0', c = '0'] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return [Number(a), Number(b), Number(c)];
}
