import type { Load } from './load.ts';
import type { StepResult } from './results.ts';
import { log } from './run.ts';
import type { Run } from './setup.ts';
import { num } from './stats.ts';

/** Step 1: latency at a moderate rate; the quietest of up to three tries (one with --quick). */
export async function measureLatency(run: Pick<Run, 'opts'>, load: Load): Promise<{ latency: StepResult; latencyTries: StepResult[] }> {
  const { opts } = run;
  const { runStep } = load;
  log(`latency: ${opts.rate} messages/s for ${opts.latencySeconds} s over ${opts.rooms} rooms (${opts.send} sends)…`);
  // On a shared machine: when other work took more than a quarter of a core, try again (twice at
  // most; not with --quick); the report shows every try and takes the quietest for the headline.
  const latencyTries: StepResult[] = [];
  const otherShare = (t: StepResult) => t.cpu.otherMs / t.cpu.wallMs;
  do {
    if (latencyTries.length) log(`latency: other work took ${num(otherShare(latencyTries.at(-1)!) * 100, 0)}% of a core; again…`);
    latencyTries.push(await runStep('latency', opts.rate, opts.latencySeconds));
  } while (latencyTries.length < (opts.quick ? 1 : 3) && otherShare(latencyTries.at(-1)!) > 0.25);
  const latency = [...latencyTries].sort((a, b) => otherShare(a) - otherShare(b))[0]!;
  return { latency, latencyTries };
}
