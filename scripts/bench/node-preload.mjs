// Loaded into each node by `pnpm bench --profile` (NODE_OPTIONS=--import=<this file>): Node 20
// refuses --cpu-prof in NODE_OPTIONS, and the cluster's node command line is fixed, so this does
// what --cpu-prof does, through the inspector, but only over the window the benchmark chooses:
// the first SIGUSR2 starts sampling, the second (or the process's exit) writes a .cpuprofile to
// $PARLEY_CPU_PROF_DIR. V8 samples on wall-clock ticks: on an overloaded machine a thread that
// was preempted inside a system call (a socket write that woke its reader) keeps being counted
// there, so compare with the /proc CPU times.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
