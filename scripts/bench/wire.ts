/**
 * The load generator's side of the wire, kept lean so that on a 2-core machine the generator
 * is not what is measured: tRPC v11's WebSocket protocol spoken directly over `ws` (what
 * `@trpc/client`'s wsLink sends, without its observables), and tRPC's batched HTTP POST on a
 * keep-alive agent (what `httpBatchLink` sends for one mutation).
 *
 * WebSocket protocol (tRPC v11, `@trpc/server/adapters/ws`):
 * - `ws://host/trpc?connectionParams=1`, then the first text frame is
 *   `{"method":"connectionParams","data":{"token":"…"}}` (the context is created from it);
 * - `{"id":1,"method":"subscription","params":{"path":"event.onEvent","input":{…},"lastEventId":"41"}}`
 *   → `{"id":1,"result":{"type":"started"}}`, then per `tracked(id, event)`
 *   `{"id":1,"result":{"type":"data","id":"42","data":{"id":"42","data":<event>}}}`, and
 *   `{"id":1,"result":{"type":"stopped"}}` or `{"id":1,"error":{…}}` at the end;
 * - `{"id":2,"method":"mutation","params":{"path":"message.send","input":{…}}}` →
 *   `{"id":2,"result":{"type":"data","data":<output>}}` or `{"id":2,"error":{…}}`;
 * - the server's keep-alive is a text frame `PING`, answered `PONG`.
 */
import { Agent, request } from 'node:http';
import { randomFillSync } from 'node:crypto';
import WebSocket from 'ws';

/** A UUIDv7 (what the client's outbox generates): 48-bit ms time, version 7, variant 10, random. */
export function uuidv7(): string {
  const b = randomFillSync(new Uint8Array(16));
  const ms = Date.now();
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class TrpcError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

function errorOf(error: unknown, status?: number): TrpcError {
  const e = error as { message?: string; data?: { code?: string; httpStatus?: number } } | undefined;
  return new TrpcError(e?.message ?? 'tRPC error', e?.data?.code, status ?? e?.data?.httpStatus);
}

export interface SubscriptionHandlers {
  /** `result.type === 'started'`: the procedure accepted the subscription (auth passed). */
  onStarted?: (() => void) | undefined;
  /** A tracked event: its id and the event object. */
  onData: (id: string, data: unknown) => void;
  onError?: ((error: TrpcError) => void) | undefined;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * One WebSocket speaking tRPC's protocol. No reconnect of its own: `onClose` tells its owner,
 * which decides (see `BenchClient` in bench.ts, mirroring `@parley/client`'s backoff).
 */
export class TrpcSocket {
  readonly ws: WebSocket;
  /** nginx's `X-Parley-Node` on the upgrade (the upstream's address), when there is one. */
  upstream: string | undefined;
  readonly opened: Promise<void>;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subs = new Map<number, SubscriptionHandlers>();
  #closed = false;
  #onClose: ((code: number) => void) | undefined;

  constructor(baseUrl: string, token: string, options: { onClose?: (code: number) => void } = {}) {
    this.#onClose = options.onClose;
    const url = `${baseUrl.replace(/^http/, 'ws')}/trpc?connectionParams=1`;
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.once('upgrade', (res) => {
      const h = res.headers['x-parley-node'];
      this.upstream = Array.isArray(h) ? h.at(-1) : h;
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        this.ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
        resolve();
      });
      this.ws.once('error', (error) => reject(error));
      this.ws.once('close', (code) => reject(new Error(`closed before open (${code})`)));
    });
    this.opened.catch(() => {});
    this.ws.on('error', () => {});
    this.ws.on('message', (raw) => this.#message(new TextDecoder().decode(Array.isArray(raw) ? Buffer.concat(raw) : raw)));
    this.ws.once('close', (code) => {
      this.#closed = true;
      const error = new TrpcError(`socket closed (${code})`, undefined, undefined);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
      this.#subs.clear();
      this.#onClose?.(code);
    });
  }

  get open(): boolean {
    return !this.#closed && this.ws.readyState === WebSocket.OPEN;
  }

  #message(text: string): void {
    if (text === 'PING') {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send('PONG');
      return;
    }
    if (text === 'PONG') return;
    let msg: { id?: number | null; method?: string; result?: { type?: string; id?: string; data?: unknown }; error?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id == null) return; // `{"id":null,"method":"reconnect"}` or a connection-level error
    const sub = this.#subs.get(msg.id);
    if (sub) {
      if (msg.error) {
        this.#subs.delete(msg.id);
        sub.onError?.(errorOf(msg.error));
        return;
      }
      const r = msg.result;
      if (r?.type === 'data') {
        const tracked = r.data as { id: string; data: unknown };
        sub.onData(r.id ?? tracked.id, tracked.data);
      } else if (r?.type === 'started') sub.onStarted?.();
      else if (r?.type === 'stopped') this.#subs.delete(msg.id);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (pending) {
      this.#pending.delete(msg.id);
      if (msg.error) pending.reject(errorOf(msg.error));
      else pending.resolve(msg.result?.data);
    }
  }

  /** Starts a subscription; returns its id (for `unsubscribe`). */
  subscribe(path: string, input: unknown, handlers: SubscriptionHandlers, lastEventId?: string | null): number {
    const id = this.#nextId++;
    this.#subs.set(id, handlers);
    const params: Record<string, unknown> = { path, input };
    if (lastEventId != null) params.lastEventId = lastEventId;
    this.ws.send(JSON.stringify({ id, method: 'subscription', params }));
    return id;
  }

  unsubscribe(id: number): void {
    this.#subs.delete(id);
    if (this.open) this.ws.send(JSON.stringify({ id, method: 'subscription.stop' }));
  }

  /** A mutation over the socket (the `--send ws` mode). */
  mutate<T = unknown>(path: string, input: unknown): Promise<T> {
    return this.#call<T>('mutation', path, input);
  }

  query<T = unknown>(path: string, input: unknown): Promise<T> {
    return this.#call<T>('query', path, input);
  }

  #call<T>(method: 'query' | 'mutation', path: string, input: unknown): Promise<T> {
    if (!this.open) return Promise.reject(new TrpcError('socket not open', undefined, undefined));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (d: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params: { path, input } }));
    });
  }

  close(): void {
    this.#onClose = undefined;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
  }
}

/** tRPC over HTTP with a keep-alive agent, as `httpBatchLink` sends one operation. */
export class TrpcHttp {
  readonly agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, options: { maxSockets?: number } = {}) {
    const u = new URL(baseUrl);
    this.#host = u.hostname;
    this.#port = Number(u.port || 80);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'fifo' });
  }

  /**
   * `POST /trpc/<path>?batch=1` with `{"0":input}`; resolves with the output and the node that
   * answered (`X-Parley-Node`, set by nginx), or rejects with the tRPC error.
   */
  mutation<T = unknown>(path: string, input: unknown, token: string | null): Promise<{ data: T; upstream: string | undefined }> {
    const body = JSON.stringify({ 0: input });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          method: 'POST',
          path: `/trpc/${path}?batch=1`,
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = res.headers['x-parley-node'];
            const upstream = Array.isArray(h) ? h.at(-1) : h;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              reject(new TrpcError(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`, undefined, res.statusCode));
              return;
            }
            const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { result?: { data?: T }; error?: unknown } | undefined;
            if (first?.error) reject(errorOf(first.error, res.statusCode));
            else if (first && 'result' in first) resolve({ data: first.result!.data as T, upstream });
            else reject(new TrpcError(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`, undefined, res.statusCode));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
      req.end(body);
    });
  }

  /** `GET /trpc/<path>?input=…` (a query, not batched). */
  query<T = unknown>(path: string, input: unknown, token: string | null): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          method: 'GET',
          path: input === undefined ? `/trpc/${path}` : `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`,
          agent: this.agent,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: { data?: T }; error?: unknown };
              if (parsed.error) reject(errorOf(parsed.error, res.statusCode));
              else resolve(parsed.result?.data as T);
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** A plain GET (e.g. `/live`), body discarded. */
  get(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.#host, port: this.#port, method: 'GET', path, agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
