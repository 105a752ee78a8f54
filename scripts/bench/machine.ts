import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { findNginx } from '../cluster/index.ts';
import { loadAverage } from './procstat.ts';
import type { MachineInfo } from './results.ts';
import { num } from './stats.ts';

export function sh(cmd: string, args: string[]): string {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  } catch {
    return '';
  }
}

export function machineInfo(postgresVersion: string): MachineInfo {
  const model = cpus()[0]?.model ?? /Model name:\s*(.*)/.exec(sh('lscpu', []))?.[1] ?? 'unknown';
  const limits = (() => {
    try {
      return /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      return null;
    }
  })();
  let portRange: string;
  try {
    portRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–');
  } catch {
    portRange = 'unknown';
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: Number(sh('nproc', [])) || cpus().length,
    cpuModel: model.trim(),
    memory: `${num(totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    postgres: postgresVersion,
    redis: /v=(\S+)/.exec(sh('redis-server', ['--version']))?.[1] ?? 'unknown',
    nginx: /nginx\/(\S+)/.exec(sh(findNginx() ?? 'nginx', ['-v']))?.[1] ?? 'unknown',
    loadBefore: loadAverage(),
    uptimeBefore: sh('uptime', []),
    openFiles: limits ? `${limits[1]} (hard ${limits[2]})` : 'unknown',
    portRange,
  };
}

export function openFilesSoftLimit(): number {
  try {
    const m = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}
