import { COST_PARTITION } from './options.ts';
import { procedureCosts, type CallCost } from './procedure-cost.ts';
import { log } from './run.ts';
import type { Run } from './setup.ts';
import { num } from './stats.ts';

/** Step 0: node CPU per call, by procedure (one node, no nginx, nobody subscribed). */
export async function measureCallCosts(run: Run): Promise<CallCost[]> {
  const { opts, http, nodes, ownerToken } = run;
  const costCalls = opts.quick ? 200 : 1000;
  log(`cost per call: ${costCalls} calls of each, 4 at once, straight to ${nodes[0]!.id}…`);
  const costRoom = (await http.query<{ id: string }[]>('room.list', { partitionId: COST_PARTITION }, ownerToken))[0]!.id;
  const callCosts = await procedureCosts(
    { url: nodes[0]!.url, pid: nodes[0]!.pid!, token: ownerToken, partitionId: COST_PARTITION, roomId: costRoom },
    costCalls,
    4,
  );
  for (const c of callCosts) log(`  ${c.call.padEnd(42)} ${num(c.cpuUs, 0).padStart(6)} µs CPU per call`);
  return callCosts;
}
