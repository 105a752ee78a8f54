import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { openHttpTransport, SSE_CONNECT_TIMEOUT_MS, SSE_RESUME_AFTER_MS, type EventSourceFetch, type HttpTransport } from './http-transport.ts';
import type { SubscriptionEnvelope } from './subscription-transport.ts';

/** An EventSource the test drives: the server's side of one server-sent event stream. */
class FakeEventSource {
  static all: FakeEventSource[] = [];
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly #listeners = new Map<string, Set<(event: object) => void>>();
  constructor(
    readonly url: string,
    readonly init?: { fetch?: EventSourceFetch },
  ) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: object) => void) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (event: object) => void) {
    this.#listeners.get(type)?.delete(listener);
  }
  close() {
    this.readyState = this.CLOSED;
  }
  #emit(type: string, event: object) {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
  /** tRPC's first event on a stream. */
  connected() {
    this.readyState = this.OPEN;
    this.#emit('connected', { data: '{}' });
  }
  /** A tracked event, as `tracked(id, data)` is sent. */
  data(id: string, data: unknown) {
    this.#emit('message', { data: JSON.stringify(data), lastEventId: id });
  }
  refuse(code: 'FORBIDDEN' | 'UNAUTHORIZED', message: string) {
    this.#emit('serialized-error', { data: JSON.stringify({ code: TRPC_ERROR_CODES_BY_KEY[code], message, data: { code } }) });
  }
  /** The response ended (EventSource would reconnect by itself). */
  interrupted() {
    this.readyState = this.CONNECTING;
    this.#emit('error', { type: 'error' });
  }
  /** Not a stream at all (a proxy's 403 page): EventSource gives up. */
  failed() {
    this.readyState = this.CLOSED;
    this.#emit('error', { type: 'error' });
  }
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const latest = () => FakeEventSource.all.at(-1)!;
let probeOk: boolean | 'html';
let fetchCalls: { url: string; headers: Record<string, string> }[];
const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  fetchCalls.push({ url: input instanceof Request ? input.url : String(input), headers: (init?.headers ?? {}) as Record<string, string> });
  if (probeOk === 'html') return new Response('<!doctype html><title>Parley</title>', { status: 200, headers: { 'content-type': 'text/html' } });
  if (!probeOk) throw new TypeError('fetch failed');
  return new Response('{"status":"ok"}', { status: 200, headers: { 'content-type': 'application/json' } });
}) as typeof globalThis.fetch;

function open(token: string | null = null): HttpTransport {
  return openHttpTransport({
    url: 'http://parley.test/trpc',
    probeUrl: 'http://parley.test/live',
    EventSource: FakeEventSource,
    fetch: fakeFetch,
    token: () => token,
  });
}

function watch(transport: HttpTransport, lastEventId?: string) {
  const envelopes: SubscriptionEnvelope[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const sub = transport
    .subscribe({ id: 1, path: 'event.onEvent', input: { partitionId: 'acme', lastEventId: null } }, lastEventId)
    .subscribe({ next: (e) => envelopes.push(e), error: (e) => errors.push(e), complete: () => (completed = true) });
  return {
    envelopes,
    errors,
    get completed() {
      return completed;
    },
    ids: () => envelopes.flatMap((e) => ('id' in e.result && e.result.id != null ? [String(e.result.id)] : [])),
    unsubscribe: () => sub.unsubscribe(),
  };
}

const inputOf = (es: FakeEventSource) => JSON.parse(new URL(es.url).searchParams.get('input')!) as Record<string, unknown>;

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.all = [];
  probeOk = true;
  fetchCalls = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HTTP transport (server-sent events)', () => {
  test('is open once the server answers GET /live; a server that does not answer fails the attempt', async () => {
    const t = open();
    await expect(t.opened).resolves.toBeUndefined();
    expect(fetchCalls.map((c) => c.url)).toEqual(['http://parley.test/live']);
    expect(t.kind).toBe('http');

    probeOk = false;
    const down = open();
    const closes: string[] = [];
    down.onClose((reason) => closes.push(reason));
    await expect(down.opened).rejects.toThrow('Could not reach the server.');
    expect(closes).toEqual(['Could not reach the server.']);

    // Any 200 is not enough: a dev server's or a captive portal's page is not Parley.
    probeOk = 'html';
    await expect(open().opened).rejects.toThrow('Could not reach the server.');
  });

  test('a subscription is an event stream at /trpc/<path>, resumed after lastEventId, with tracked ids', async () => {
    const t = open();
    await t.opened;
    const activity = vi.fn();
    t.onActivity(activity);
    const w = watch(t, '41');
    await flush();
    const es = latest();
    expect(new URL(es.url).pathname).toBe('/trpc/event.onEvent');
    expect(inputOf(es)).toEqual({ partitionId: 'acme', lastEventId: '41' });
    es.connected();
    es.data('42', { id: 42, type: 'message.created' });
    es.data('43', { id: 43, type: 'message.created' });
    await flush();
    expect(w.envelopes[0]!.result).toEqual({ type: 'started' });
    expect(w.ids()).toEqual(['42', '43']);
    expect(w.envelopes[1]!.result).toMatchObject({ id: '42', data: { id: '42', data: { id: 42 } } });
    expect(activity).toHaveBeenCalledTimes(3);
    w.unsubscribe();
    expect(es.readyState).toBe(es.CLOSED);
  });

  test("a program's token goes as a bearer header through the EventSource's fetch, never in the URL", async () => {
    const t = open('secret-token');
    await t.opened;
    watch(t);
    await flush();
    const es = latest();
    expect(es.url).not.toContain('secret-token');
    await es.init!.fetch!('http://parley.test/trpc/event.onEvent', { headers: { Accept: 'text/event-stream' } });
    expect(fetchCalls.at(-1)!.headers).toEqual({ Accept: 'text/event-stream', authorization: 'Bearer secret-token' });
  });

  test('a refusal (an error with a code) ends that subscription with the error; the transport stays open', async () => {
    const t = open();
    await t.opened;
    const closes: string[] = [];
    t.onClose((reason) => closes.push(reason));
    const w = watch(t);
    await flush();
    latest().connected();
    latest().refuse('FORBIDDEN', 'You are not a member of this workspace.');
    await flush();
    expect(w.errors).toHaveLength(1);
    expect((w.errors[0] as { data?: { code?: string } }).data?.code).toBe('FORBIDDEN');
    expect(closes).toEqual([]);
  });

  test('a stream that breaks soon after it started closes the transport (the connection backs off), and stops EventSource retrying', async () => {
    const t = open();
    await t.opened;
    const closes: string[] = [];
    t.onClose((reason) => closes.push(reason));
    const w = watch(t);
    await flush();
    const es = latest();
    es.connected();
    await vi.advanceTimersByTimeAsync(SSE_RESUME_AFTER_MS - 1);
    es.interrupted();
    await flush();
    expect(closes).toEqual(['The event stream was interrupted.']);
    expect(es.readyState).toBe(es.CLOSED);
    expect(FakeEventSource.all).toHaveLength(1);
    expect(w.errors).toEqual([]);
  });

  test('a stream that breaks after running a while resumes at once on the same transport, after its last event id', async () => {
    const t = open();
    await t.opened;
    const closes: string[] = [];
    t.onClose((reason) => closes.push(reason));
    const w = watch(t, '9');
    await flush();
    const first = latest();
    first.connected();
    first.data('10', { id: 10 });
    await vi.advanceTimersByTimeAsync(SSE_RESUME_AFTER_MS);
    first.interrupted();
    await flush();
    expect(FakeEventSource.all).toHaveLength(2);
    expect(first.readyState).toBe(first.CLOSED);
    const second = latest();
    expect(inputOf(second)).toEqual({ partitionId: 'acme', lastEventId: '10' });
    second.connected();
    second.data('11', { id: 11 });
    await flush();
    expect(w.ids()).toEqual(['10', '11']);
    expect(closes).toEqual([]);

    // …but the resumed stream failing at once (the server is gone) closes the transport.
    second.failed();
    await flush();
    expect(closes).toEqual(['The event stream failed.']);
  });

  test('a stream the server never starts (a proxy buffering it) closes the transport after 10 s', async () => {
    const t = open();
    await t.opened;
    const closes: string[] = [];
    t.onClose((reason) => closes.push(reason));
    watch(t);
    await vi.advanceTimersByTimeAsync(SSE_CONNECT_TIMEOUT_MS - 1);
    expect(closes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(closes).toEqual(['The server did not start the event stream.']);
    expect(latest().readyState).toBe(latest().CLOSED);
  });

  test('ping() asks GET /live: an answer is activity', async () => {
    const t = open();
    await t.opened;
    const activity = vi.fn();
    t.onActivity(activity);
    t.ping();
    await flush();
    expect(activity).toHaveBeenCalledTimes(1);
    probeOk = false;
    t.ping();
    await flush();
    expect(activity).toHaveBeenCalledTimes(1);
  });

  test('close() ends every stream without reporting a loss', async () => {
    const t = open();
    await t.opened;
    const closes: string[] = [];
    t.onClose((reason) => closes.push(reason));
    watch(t);
    watch(t);
    await flush();
    for (const es of FakeEventSource.all) es.connected();
    t.close();
    await flush();
    expect(FakeEventSource.all.map((es) => es.readyState)).toEqual([2, 2]);
    expect(closes).toEqual([]);
  });
});
