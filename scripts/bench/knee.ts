import type { Load } from './load.ts';
import type { StepResult } from './results.ts';
import { log } from './run.ts';
import type { Run } from './setup.ts';

/**
 * Step 2: a rising send rate until the persisted rate stops following it or p99 passes the
 * bound, then narrowed down between the last rate that kept up and the first that did not.
 */
export async function findKnee(run: Pick<Run, 'opts'>, load: Load): Promise<{ knee: StepResult[]; kneeStep: StepResult | null }> {
  const { opts } = run;
  const { runStep } = load;
  log(`knee: ${opts.rates.join(', ')} messages/s, ${opts.stepSeconds} s each, until the persisted rate stops following or p99 > ${opts.p99BoundMs} ms…`);
  const knee: StepResult[] = [];
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  for (const rate of opts.rates) {
    const r = await runStep('knee', rate, opts.stepSeconds);
    knee.push(r);
    if (!r.pass) {
      firstFail = rate;
      break;
    }
    lastPass = rate;
  }
  // Narrow it down: halfway between the last rate that kept up and the first that did not (twice; once with --quick).
  for (let i = 0; i < (opts.quick ? 1 : 2) && lastPass !== null && firstFail !== null; i++) {
    const unit = firstFail - lastPass > 200 ? 50 : 10;
    const mid = Math.round((lastPass + firstFail) / 2 / unit) * unit;
    if (mid <= lastPass || mid >= firstFail) break;
    const r = await runStep('knee', mid, opts.stepSeconds);
    knee.push(r);
    if (r.pass) lastPass = mid;
    else firstFail = mid;
  }
  const kneeStep = [...knee].filter((r) => r.pass).sort((a, b) => b.targetRate - a.targetRate)[0] ?? null;
  return { knee, kneeStep };
}
