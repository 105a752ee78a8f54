// Loaded into each node by `pnpm bench` (NODE_OPTIONS=--import=<this file>; the cluster's node
// command line is fixed, and Node 20 refuses --cpu-prof and --expose-gc in NODE_OPTIONS). It
// adds two controls the benchmark drives by signal, and nothing else:
// - PARLEY_BENCH_GC=1: SIGWINCH runs a full garbage collection, so RSS before and after opening
//   idle connections compares live memory, not garbage left by earlier steps;
// - PARLEY_CPU_PROF_DIR=<dir> (`--profile`): the first SIGUSR2 starts the inspector's CPU
//   profiler (what --cpu-prof uses), the second (or the exit) writes <SERVER_ID>.cpuprofile there.
//   V8 samples on wall-clock ticks: on an overloaded machine a thread preempted inside a system
//   call (a socket write that woke its reader) keeps being counted there; compare with /proc.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

if (process.env.PARLEY_BENCH_GC === '1') {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  process.on('SIGWINCH', () => gc());
}

const dir = process.env.PARLEY_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let state = 'idle';
  const write = () => {
    if (state !== 'running') return;
    state = 'done';
    // The main-thread session answers synchronously, so this also works inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      writeFileSync(join(dir, `${process.env.SERVER_ID ?? 'node'}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'running';
      session.post('Profiler.start');
    } else write();
  });
  process.on('exit', write);
}
