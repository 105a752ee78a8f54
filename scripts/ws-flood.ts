/**
 * The hostile client of issue 10, to try against a running node: one unauthenticated WebSocket
 * that never reads its socket and sends ~64 KiB frames of calls to a procedure that does not
 * exist. Prints the node's resident memory (RSS, read with `ps`: the node must be on this
 * machine) every 10 seconds, and how the node ended the connection.
 *
 *   pnpm ws-flood http://localhost:3000 <node pid> [--seconds 60] [--calls 100]
 *
 * `--calls` per frame: above the node's WS_MAX_CALLS_PER_MESSAGE (100) the first frame closes
 * the connection (1008); at or below it the node stops reading the client once it holds its
 * high-water mark of unread answers. The attacker's own unsent bytes are capped at 64 MB.
 */
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '60' }, calls: { type: 'string', default: '100' } },
});
const [url, pid] = positionals;
if (!url || !pid || !/^\d+$/.test(pid)) {
  console.error('usage: pnpm ws-flood <node url> <node pid> [--seconds 60] [--calls 100]');
  process.exit(2);
}
const seconds = Number(values.seconds);
const calls = Number(values.calls);
const rssMb = () => Number(execFileSync('ps', ['-o', 'rss=', '-p', pid]).toString().trim()) / 1024;

const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc`);
/** How the node ended the connection (set by the close event, read in the loop). */
const ended: { how: string | null } = { how: null };
ws.on('close', (code, reason) => (ended.how = `${code} ${reason.toString()}`));
ws.on('error', () => {});
await new Promise((resolve) => ws.once('open', resolve));
// Never read: what the node answers stays in the kernel's buffers, then in the node.
(ws as unknown as { _socket: Socket })._socket.pause();

const pad = 'x'.repeat(Math.max(0, Math.floor(65_000 / calls) - 90));
const path = pad ? `no.such.${pad}` : 'x.y';
const frame = JSON.stringify(Array.from({ length: calls }, (_, i) => ({ id: i + 1, method: 'query', params: { path } })));
console.log(`${frame.length} bytes a frame, ${calls} calls; node RSS at start ${rssMb().toFixed(0)} MB`);

const started = Date.now();
let sent = 0;
let reported = 0;
while (Date.now() - started < seconds * 1000 && !ended.how) {
  if (ws.bufferedAmount < 64 * 1024 * 1024) {
    ws.send(frame);
    sent++;
  }
  await new Promise((resolve) => setImmediate(resolve));
  const tens = Math.floor((Date.now() - started) / 10_000);
  if (tens !== reported) {
    reported = tens;
    console.log(
      `${tens * 10} s: node RSS ${rssMb().toFixed(0)} MB, ${sent} frames handed over, ${(ws.bufferedAmount / 1048576).toFixed(1)} MB not taken by the node`,
    );
  }
}
console.log(`end: node RSS ${rssMb().toFixed(0)} MB; connection ${ended.how ? `closed by the node: ${ended.how}` : 'still open'}`);
ws.terminate();
