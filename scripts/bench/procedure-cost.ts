/**
 * Node CPU per tRPC call, by procedure, on one node without nginx: where a send's cost comes
 * from (the transport and middleware every call pays, a session check, a partition check, the
 * send itself). Used by `pnpm bench` (its "cost per call" table) and runnable alone:
 * `node --import tsx scripts/bench/procedure-cost.ts`.
 */
import { performance } from 'node:perf_hooks';
import { processCpuMs } from './procstat.ts';
import { TrpcHttp, TrpcSocket, uuidv7 } from './wire.ts';

export interface CallCost {
  call: string;
  calls: number;
  /** Node CPU (utime + stime) per call, µs. */
  cpuUs: number;
  /** Wall time per call with `concurrency` in flight, µs. */
  wallUs: number;
}

export interface CostTarget {
  url: string;
  pid: number;
  token: string;
  partitionId: string;
  roomId: string;
}

async function measure(name: string, pid: number, calls: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<CallCost> {
  // warm-up
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  const cpu0 = processCpuMs(pid)!;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await fn(next++);
    }),
  );
  const wall = performance.now() - t0;
  const cpu = processCpuMs(pid)! - cpu0;
  return { call: name, calls, cpuUs: (cpu * 1000) / calls, wallUs: (wall * 1000) / calls };
}

/** Each call `calls` times, `concurrency` at once, over HTTP (as @parley/client) and over the WebSocket. */
export async function procedureCosts(t: CostTarget, calls = 1000, concurrency = 4): Promise<CallCost[]> {
  const http = new TrpcHttp(t.url, { maxSockets: concurrency });
  const socket = new TrpcSocket(t.url, t.token);
  await socket.opened;
  const p = { partitionId: t.partitionId };
  const send = (i: number) => ({ ...p, roomId: t.roomId, clientId: uuidv7(), body: `cost ${i}` });
  try {
    const out: CallCost[] = [];
    out.push(await measure('GET /live (plain HTTP, no tRPC)', t.pid, calls, concurrency, () => fetchLive(http)));
    out.push(await measure('HTTP auth.me (IP limit + session)', t.pid, calls, concurrency, () => http.query('auth.me', undefined, t.token)));
    out.push(await measure('HTTP event.head (+ membership, 1 query)', t.pid, calls, concurrency, () => http.query('event.head', p, t.token)));
    out.push(await measure('HTTP message.send', t.pid, calls, concurrency, (i) => http.mutation('message.send', send(i), t.token)));
    out.push(await measure('WS auth.me', t.pid, calls, concurrency, () => socket.query('auth.me', undefined)));
    out.push(await measure('WS message.send', t.pid, calls, concurrency, (i) => socket.mutate('message.send', send(i))));
    return out;
  } finally {
    socket.close();
    http.close();
  }
}

function fetchLive(http: TrpcHttp): Promise<void> {
  return http.get('/live');
}
