/**
 * Checks exactly-once, in-order delivery in a running cluster: every send is recorded (who,
 * clientId, body, when), and every event each receiving client gets (event id, the message's
 * clientId). The report says, per receiving client:
 * - `lost`: messages sent while it was expecting them that it never got;
 * - `duplicated`: deliveries of a message (or an event id) it already had;
 * - `outOfOrder`: deliveries of a new event id that is not the next one: below the last id it
 *   got (a step back), or above it with ids missing between (a gap). Event ids are dense
 *   per partition, so a client that sees every event of its partition sees 1, 2, 3, … with no
 *   hole. (A client that may not see every event, e.g. in a room it is not in, does see holes:
 *   record only clients that see the whole partition.)
 * - `reordered`: messages of one sender delivered in another order than they were sent (the
 *   outbox sends in order, one at a time).
 * It knows nothing of Parley's types, so a test, the cluster scripts and a benchmark share it.
 */

export interface SentMessage {
  sender: string;
  clientId: string;
  body: string;
  /** Epoch ms of the send (when it was handed to the outbox). */
  at: number;
}

export interface DeliveredEvent {
  /** The event's id in its partition's log. */
  id: number;
  /** The message's clientId for a `message.created` event; null for any other event. */
  clientId: string | null;
}

export interface ClientReport {
  client: string;
  /** Events received (all of them, repeats included). */
  received: number;
  /** Messages received that it was expected to get. */
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  reordered: number;
  /** The clientIds it never got (at most 20), for the failure message. */
  lostClientIds: string[];
  /** Send-to-delivery latency of its expected messages, in ms (null before any). */
  latencyMs: { p50: number; p99: number; max: number } | null;
}

export interface DeliveryReport {
  sent: number;
  clients: ClientReport[];
  /** Sums over every client. */
  totals: { lost: number; duplicated: number; outOfOrder: number; reordered: number };
  /** Nothing lost, duplicated, out of order or reordered for anyone. */
  ok: boolean;
}

interface Receiver {
  name: string;
  /** Index into `sent` of the first message it must get: everything sent after it started expecting. */
  firstExpected: number;
  lastId: number | null;
  received: number;
  ids: Set<number>;
  /** clientId → delivery time. */
  messages: Map<string, number>;
  duplicated: number;
  outOfOrder: number;
  reordered: number;
  /** Per sender, the index in `sent` of the last message of theirs delivered. */
  lastIndexBySender: Map<string, number>;
}

export class DeliveryChecker {
  readonly #sent: SentMessage[] = [];
  readonly #indexByClientId = new Map<string, number>();
  readonly #receivers = new Map<string, Receiver>();
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * `client` expects, from now on, every message anyone sends. `after`: the event id its
   * stream starts after (its first delivery must be `after + 1`); unknown when omitted.
   */
  expect(client: string, options: { after?: number | null } = {}): void {
    if (this.#receivers.has(client)) throw new Error(`${client} is already expecting messages`);
    this.#receivers.set(client, {
      name: client,
      firstExpected: this.#sent.length,
      lastId: options.after ?? null,
      received: 0,
      ids: new Set(),
      messages: new Map(),
      duplicated: 0,
      outOfOrder: 0,
      reordered: 0,
      lastIndexBySender: new Map(),
    });
  }

  /** A message was handed to `sender`'s outbox. */
  sent(sender: string, message: { clientId: string; body: string }, at = this.#now()): void {
    if (this.#indexByClientId.has(message.clientId)) throw new Error(`clientId ${message.clientId} was recorded as sent twice`);
    this.#indexByClientId.set(message.clientId, this.#sent.length);
    this.#sent.push({ sender, clientId: message.clientId, body: message.body, at });
    this.#changed();
  }

  /** `client` received an event. */
  delivered(client: string, event: DeliveredEvent, at = this.#now()): void {
    const r = this.#receivers.get(client);
    if (!r) throw new Error(`${client} received an event but was never registered with expect()`);
    r.received += 1;
    const repeatedId = r.ids.has(event.id);
    const repeatedMessage = event.clientId !== null && r.messages.has(event.clientId);
    if (repeatedId || repeatedMessage) r.duplicated += 1;
    // A repeat is counted once, as a duplicate; a new id must be the next one.
    if (!repeatedId && r.lastId !== null && event.id !== r.lastId + 1) r.outOfOrder += 1;
    if (r.lastId === null || event.id > r.lastId) r.lastId = event.id;
    r.ids.add(event.id);
    if (event.clientId !== null && !repeatedMessage) {
      r.messages.set(event.clientId, at);
      const index = this.#indexByClientId.get(event.clientId);
      if (index !== undefined) {
        const sender = this.#sent[index]!.sender;
        const previous = r.lastIndexBySender.get(sender);
        if (previous !== undefined && index < previous) r.reordered += 1;
        else r.lastIndexBySender.set(sender, index);
      }
    }
    this.#changed();
  }

  get sentCount(): number {
    return this.#sent.length;
  }

  /** Messages sent that `client` (or anyone, without a name) is still waiting for. */
  missing(client?: string): number {
    const receivers = client ? [this.#receiver(client)] : [...this.#receivers.values()];
    return receivers.reduce((sum, r) => sum + this.#lost(r).length, 0);
  }

  /** Resolves once every expecting client has every message sent so far; rejects with the report after `timeoutMs`. */
  waitForAll(timeoutMs = 30_000): Promise<DeliveryReport> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.missing() > 0) return;
        done();
        resolve(this.report());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`messages still missing after ${timeoutMs} ms:\n${formatReport(this.report())}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  report(): DeliveryReport {
    const clients = [...this.#receivers.values()].map((r): ClientReport => {
      const lost = this.#lost(r);
      const latencies: number[] = [];
      for (let i = r.firstExpected; i < this.#sent.length; i++) {
        const m = this.#sent[i]!;
        const at = r.messages.get(m.clientId);
        if (at !== undefined) latencies.push(at - m.at);
      }
      latencies.sort((a, b) => a - b);
      const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      return {
        client: r.name,
        received: r.received,
        delivered: latencies.length,
        lost: lost.length,
        duplicated: r.duplicated,
        outOfOrder: r.outOfOrder,
        reordered: r.reordered,
        lostClientIds: lost.slice(0, 20),
        latencyMs: latencies.length ? { p50: pick(0.5), p99: pick(0.99), max: latencies.at(-1)! } : null,
      };
    });
    const sum = (k: 'lost' | 'duplicated' | 'outOfOrder' | 'reordered') => clients.reduce((s, c) => s + c[k], 0);
    const totals = { lost: sum('lost'), duplicated: sum('duplicated'), outOfOrder: sum('outOfOrder'), reordered: sum('reordered') };
    return {
      sent: this.#sent.length,
      clients,
      totals,
      ok: totals.lost + totals.duplicated + totals.outOfOrder + totals.reordered === 0,
    };
  }

  #receiver(client: string): Receiver {
    const r = this.#receivers.get(client);
    if (!r) throw new Error(`${client} was never registered with expect()`);
    return r;
  }

  #lost(r: Receiver): string[] {
    const lost: string[] = [];
    for (let i = r.firstExpected; i < this.#sent.length; i++) {
      const id = this.#sent[i]!.clientId;
      if (!r.messages.has(id)) lost.push(id);
    }
    return lost;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The report as a small table, for test output. */
export function formatReport(report: DeliveryReport, title = 'delivery'): string {
  const header = ['client', 'received', 'lost', 'duplicated', 'outOfOrder', 'reordered', 'p50 ms', 'max ms'];
  const rows = report.clients.map((c) => [
    c.client,
    String(c.received),
    String(c.lost),
    String(c.duplicated),
    String(c.outOfOrder),
    String(c.reordered),
    c.latencyMs ? String(c.latencyMs.p50) : '-',
    c.latencyMs ? String(c.latencyMs.max) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const t = report.totals;
  return [
    `${title}: ${report.sent} sent; lost ${t.lost}, duplicated ${t.duplicated}, outOfOrder ${t.outOfOrder}, reordered ${t.reordered}`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}
