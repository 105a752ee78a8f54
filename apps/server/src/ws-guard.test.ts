import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { initTRPC } from '@trpc/server';
import { defaultWsLimits, guardedConnectionHandler, StopSignal } from './ws-guard.ts';

describe('StopSignal', () => {
  test('calls each abort listener once (functions and handleEvent objects, onabort first), with the reason', () => {
    const signal = new StopSignal();
    const calls: string[] = [];
    const fn = () => calls.push('fn');
    signal.onabort = () => calls.push('onabort');
    signal.addEventListener('abort', fn);
    signal.addEventListener('abort', fn);
    signal.addEventListener('abort', { handleEvent: () => calls.push('object') });
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();
    signal.abort();
    signal.abort();
    expect(calls).toEqual(['onabort', 'fn', 'object']);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: 'AbortError' });
    expect(() => signal.throwIfAborted()).toThrow();
    // After the abort a listener is never called (as with an AbortSignal).
    signal.addEventListener('abort', fn);
    signal.abort();
    expect(calls).toEqual(['onabort', 'fn', 'object']);
  });
});

/** Just enough of a `ws` WebSocket for the connection's keep-alive. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly OPEN = 1;
  sent: string[] = [];
  terminated = false;
  send(data: string) {
    this.sent.push(data);
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.alloc(0));
  }
}

describe('keep-alive', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('a PING after pingMs of silence; any frame answers it; no answer within pongWaitMs drops the connection', () => {
    const t = initTRPC.create();
    const closed = vi.fn();
    const connect = guardedConnectionHandler({
      router: t.router({}),
      limits: defaultWsLimits,
      hooks: { isKnownProcedure: () => true, refuseUnknown: () => Promise.reject(new Error('unused')), closed },
      keepAlive: { pingMs: 10_000, pongWaitMs: 5_000 },
      describe: () => ({}),
      connect: ({ request }) => request,
      context: () => ({}),
    });
    const ws = new FakeSocket();
    connect(ws as unknown as WebSocket, { url: '/trpc' } as IncomingMessage);
    vi.advanceTimersByTime(8_000);
    ws.emit('message', Buffer.from('PING'), false);
    expect(ws.sent).toEqual(['PONG']);
    // Heard from at 8 s: the ping is due at 18 s, not at 10 s.
    vi.advanceTimersByTime(9_000);
    expect(ws.sent).toEqual(['PONG']);
    vi.advanceTimersByTime(2_000);
    expect(ws.sent).toEqual(['PONG', 'PING']);
    ws.emit('message', Buffer.from('PONG'), false);
    vi.advanceTimersByTime(6_000);
    expect(ws.terminated).toBe(false);
    // Silent from now on: pinged once more, then dropped.
    vi.advanceTimersByTime(6_000);
    expect(ws.sent).toEqual(['PONG', 'PING', 'PING']);
    expect(ws.terminated).toBe(false);
    vi.advanceTimersByTime(6_000);
    expect(ws.terminated).toBe(true);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
