import { TrpcSocket } from './wire.ts';

// ---------------------------------------------------------------------------------------------
// Messages and deliveries

/**
 * Every message the benchmark sends, by sequence number (arrays, not objects: a knee run sends
 * tens of thousands), and the deliveries of the current step.
 */
export class Tracker {
  readonly sentAt: number[] = [];
  readonly room: number[] = [];
  readonly step: number[] = [];
  /** The node that committed it (answered the POST, or the sender's socket): index in cluster.nodes, -1 unknown. */
  readonly origin: number[] = [];
  readonly acked: number[] = [];
  /** Distinct clients that received it. */
  readonly delivered: number[] = [];
  /** The current step's deliveries: message, receiving node, latency (ms). */
  dSeq: number[] = [];
  dNode: number[] = [];
  dLat: number[] = [];
  duplicates = 0;
  /** Deliveries (distinct) of the current step's messages, whenever they arrive. */
  stepDelivered = 0;
  currentStep = -1;

  add(room: number, step: number, at: number): number {
    const seq = this.sentAt.length;
    this.sentAt.push(at);
    this.room.push(room);
    this.step.push(step);
    this.origin.push(-1);
    this.acked.push(0);
    this.delivered.push(0);
    return seq;
  }

  beginStep(step: number): void {
    this.currentStep = step;
    this.dSeq = [];
    this.dNode = [];
    this.dLat = [];
    this.stepDelivered = 0;
  }

  /** Forgets every message: `--compare` measures a second system with a tracker of its own. */
  reset(): void {
    for (const list of [this.sentAt, this.room, this.step, this.origin, this.acked, this.delivered]) list.length = 0;
    this.beginStep(-1);
    this.duplicates = 0;
  }

  deliver(seq: number, node: number, latency: number): void {
    if (seq < 0 || seq >= this.sentAt.length) return;
    this.delivered[seq]! += 1;
    if (this.step[seq] !== this.currentStep) return;
    this.stepDelivered += 1;
    this.dSeq.push(seq);
    this.dNode.push(node);
    this.dLat.push(latency);
  }
}

/**
 * Body of a benchmark message: `b|<step>|<seq>|<send time, performance.now() ms>`, padded to
 * `bytes` (ASCII) with `|` and filler when asked (`--body-bytes`), which parseBody ignores.
 */
export function messageBody(step: number, seq: number, at: number, bytes = 0): string {
  const body = `b|${step}|${seq}|${at.toFixed(3)}`;
  return bytes > body.length + 1 ? `${body}|${'x'.repeat(bytes - body.length - 1)}` : body;
}

/** Body of a benchmark message: `b|<step>|<seq>|<send time, performance.now() ms>`. */
export function parseBody(body: unknown): { seq: number; at: number } | null {
  if (typeof body !== 'string' || !body.startsWith('b|')) return null;
  const parts = body.split('|');
  return { seq: Number(parts[2]), at: Number(parts[3]) };
}

export const MAX_RECONNECT_ATTEMPTS = 10;
/** `@parley/client`'s backoff (packages/client/src/backoff.ts): min(1000·2^attempt + random(0..1000), 30000) ms. */
export const reconnectDelayMs = (attempt: number) => Math.min(1000 * 2 ** attempt + Math.floor(Math.random() * 1001), 30_000);

export interface ClientEvents {
  onDelivered(client: BenchClient, seq: number, at: number): void;
  onStarted(client: BenchClient): void;
  nodeIndex(upstream: string | undefined): number;
  /** Every tracked event's id as it arrives, repeats included: the storm step checks each client's ids against the log. */
  onEvent?: ((client: BenchClient, id: number) => void) | undefined;
}

/**
 * One person's WebSocket through nginx with an `event.onEvent` subscription, reconnecting as
 * `@parley/client`'s connection does: after a loss, wait min(1000·2^attempt + random(0..1000),
 * 30000) ms, open a new socket (nginx picks a node), and subscribe again with `lastEventId`
 * (the server replays what was missed, then streams live). 10 failed attempts: FAILED.
 */
export class BenchClient {
  socket: TrpcSocket | undefined;
  node = -1;
  lastEventId: string | null = null;
  lastId = 0;
  attempt = 0;
  closed = false;
  failed = false;
  connects = 0;
  errors: string[] = [];
  #retry: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    readonly username: string,
    readonly token: string,
    readonly room: number,
    readonly partitionId: string,
    readonly url: string,
    readonly events: ClientEvents,
  ) {}

  connect(): void {
    if (this.closed) return;
    this.connects += 1;
    // For the errors only: a socket that opened and closed before its subscription started.
    let state: 'opening' | 'open' | 'started' = 'opening';
    const socket = new TrpcSocket(this.url, this.token, {
      onClose: (code) => {
        if (state === 'open') this.errors.push(`closed before the subscription started (${code})`);
        this.#lost(socket);
      },
    });
    this.socket = socket;
    socket.opened.then(
      () => {
        if (this.socket !== socket) return;
        state = 'open';
        this.attempt = 0; // CONNECTED: the transport opened
        this.node = this.events.nodeIndex(socket.upstream);
        socket.subscribe(
          'event.onEvent',
          { partitionId: this.partitionId, lastEventId: this.lastEventId },
          {
            onStarted: () => {
              state = 'started';
              this.events.onStarted(this);
            },
            onData: (id, event) => this.#data(id, event),
            onError: (error) => {
              this.errors.push(error.message);
              socket.close();
              this.#lost(socket);
            },
          },
          this.lastEventId,
        );
      },
      (error: unknown) => void this.errors.push(`open failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  #data(id: string, event: unknown): void {
    const n = Number(id);
    this.events.onEvent?.(this, n);
    if (n <= this.lastId) {
      tracker.duplicates += 1;
      return;
    }
    this.lastId = n;
    this.lastEventId = id;
    const e = event as { type?: string; data?: { body?: unknown } };
    if (e.type !== 'message.created') return;
    const parsed = parseBody(e.data?.body);
    if (parsed) this.events.onDelivered(this, parsed.seq, parsed.at);
  }

  #lost(socket: TrpcSocket): void {
    if (this.closed || this.socket !== socket) return;
    this.socket = undefined;
    this.node = -1;
    if (this.attempt >= MAX_RECONNECT_ATTEMPTS) {
      this.failed = true;
      return;
    }
    const delay = reconnectDelayMs(this.attempt);
    this.attempt += 1;
    this.#retry = setTimeout(() => this.connect(), delay);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.#retry);
    this.socket?.close();
    this.socket = undefined;
  }
}

export const tracker = new Tracker();
