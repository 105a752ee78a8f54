import { describe, expect, test } from 'vitest';
import { DeliveryChecker, formatReport } from './delivery-checker.ts';

/** A checker with a clock the test moves, two receivers, and `n` messages from ada and bob. */
function scene(n = 4) {
  let now = 1_000;
  const checker = new DeliveryChecker({ now: () => now });
  checker.expect('carol', { after: 10 });
  checker.expect('dave', { after: 10 });
  const sent = Array.from({ length: n }, (_, i) => {
    const m = { clientId: `c${i}`, body: `m${i}` };
    checker.sent(i % 2 ? 'bob' : 'ada', m);
    return m;
  });
  const tick = (ms: number) => (now += ms);
  /** Delivers message i as event 11 + i (the server's order equals the send order here). */
  const deliver = (client: string, i: number, id = 11 + i) => checker.delivered(client, { id, clientId: sent[i]!.clientId });
  return { checker, deliver, tick };
}

const counts = (checker: DeliveryChecker, client: string) => {
  const c = checker.report().clients.find((r) => r.client === client)!;
  return { lost: c.lost, duplicated: c.duplicated, outOfOrder: c.outOfOrder, reordered: c.reordered };
};
const clean = { lost: 0, duplicated: 0, outOfOrder: 0, reordered: 0 };

describe('the delivery checker', () => {
  test('every message once, in order, to everyone: all counts zero, with latencies', async () => {
    const { checker, deliver, tick } = scene();
    tick(30);
    for (const client of ['carol', 'dave']) for (let i = 0; i < 4; i++) deliver(client, i);
    const report = await checker.waitForAll(100);
    expect(report.ok).toBe(true);
    expect(report.totals).toEqual(clean);
    expect(report.clients.map((c) => [c.client, c.received, c.delivered])).toEqual([
      ['carol', 4, 4],
      ['dave', 4, 4],
    ]);
    expect(report.clients[0]!.latencyMs).toEqual({ p50: 30, p99: 30, max: 30 });
  });

  test('lost: a message one client never got, and only that client', () => {
    const { checker, deliver } = scene();
    for (const i of [0, 1, 2, 3]) deliver('carol', i);
    for (const i of [0, 1, 3]) deliver('dave', i);
    expect(counts(checker, 'carol')).toEqual(clean);
    // Message 2 (event 13) never arrived: lost, and the jump from 12 to 14 is a gap.
    expect(counts(checker, 'dave')).toEqual({ ...clean, lost: 1, outOfOrder: 1 });
    expect(checker.report().clients[1]!.lostClientIds).toEqual(['c2']);
    expect(checker.missing()).toBe(1);
  });

  test('lost: what is still missing at the end, even without a gap', async () => {
    const { checker, deliver } = scene();
    for (const i of [0, 1, 2]) {
      deliver('carol', i);
      deliver('dave', i);
    }
    expect(checker.report().totals).toEqual({ ...clean, lost: 2 });
    await expect(checker.waitForAll(50)).rejects.toThrow(/still missing after 50 ms[\s\S]*lost 2/);
  });

  test('duplicated: the same message twice to one client, by event id or by clientId', () => {
    const { checker, deliver } = scene();
    for (const i of [0, 1, 1, 2, 3]) deliver('carol', i);
    // The same clientId under a second event id (a send stored twice) is also a duplicate.
    for (const i of [0, 1, 2, 3]) deliver('dave', i);
    checker.delivered('dave', { id: 15, clientId: 'c3' });
    expect(counts(checker, 'carol')).toEqual({ ...clean, duplicated: 1 });
    expect(counts(checker, 'dave')).toEqual({ ...clean, duplicated: 1 });
  });

  test('outOfOrder: event ids going back, and a gap (ids are dense), even when nothing is lost', () => {
    const { checker, deliver } = scene();
    // 11, 13, 12, 14: 13 jumps over 12 (a gap), 12 steps back.
    for (const i of [0, 2, 1, 3]) deliver('carol', i);
    // Every message arrives, but event 13 is skipped: some other event of the partition was lost.
    deliver('dave', 0);
    deliver('dave', 1);
    deliver('dave', 2, 14);
    deliver('dave', 3, 15);
    expect(counts(checker, 'carol')).toEqual({ ...clean, outOfOrder: 2 });
    expect(counts(checker, 'dave')).toEqual({ ...clean, outOfOrder: 1 });
  });

  test('outOfOrder: the first event must follow the position the stream started after', () => {
    const checker = new DeliveryChecker();
    checker.expect('carol', { after: 10 });
    checker.sent('ada', { clientId: 'c0', body: 'm0' });
    checker.delivered('carol', { id: 12, clientId: 'c0' });
    expect(counts(checker, 'carol')).toEqual({ ...clean, outOfOrder: 1 });
  });

  test('events that are not messages count for the order, not as messages', () => {
    const { checker, deliver } = scene(2);
    deliver('carol', 0);
    checker.delivered('carol', { id: 12, clientId: null });
    deliver('carol', 1, 13);
    expect(counts(checker, 'carol')).toEqual(clean);
    expect(checker.report().clients[0]!.received).toBe(3);
  });

  test("reordered: one sender's messages in another order than sent", () => {
    const { checker } = scene(0);
    for (const i of [0, 1, 2]) checker.sent('ada', { clientId: `a${i}`, body: `a${i}` });
    // Dense ids, so only the sender's order shows it: a2 was committed before a1.
    checker.delivered('carol', { id: 11, clientId: 'a0' });
    checker.delivered('carol', { id: 12, clientId: 'a2' });
    checker.delivered('carol', { id: 13, clientId: 'a1' });
    expect(counts(checker, 'carol')).toEqual({ ...clean, reordered: 1 });
  });

  test('a client expects only what was sent after it started expecting', () => {
    const checker = new DeliveryChecker();
    checker.expect('carol');
    checker.sent('ada', { clientId: 'early', body: 'before erin' });
    checker.expect('erin', { after: 1 });
    checker.sent('ada', { clientId: 'late', body: 'after erin' });
    checker.delivered('carol', { id: 1, clientId: 'early' });
    checker.delivered('carol', { id: 2, clientId: 'late' });
    checker.delivered('erin', { id: 2, clientId: 'late' });
    expect(checker.report().totals).toEqual(clean);
  });

  test("the table shows each client's counts", () => {
    const { checker, deliver } = scene(2);
    deliver('carol', 0);
    deliver('carol', 0);
    const table = formatReport(checker.report(), 'kill -9');
    expect(table.split('\n')[0]).toBe('kill -9: 2 sent; lost 3, duplicated 1, outOfOrder 0, reordered 0');
    expect(table).toMatch(/^carol\s+2\s+1\s+1\s+0\s+0\s+0\s+0$/m);
    expect(table).toMatch(/^dave\s+0\s+2\s+0\s+0\s+0\s+-\s+-$/m);
  });
});
