import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { errorCode } from './api.ts';
import { openWsTransport, type WsTransport } from './ws-transport.ts';

/**
 * Calls over the transport's socket against a bare `ws` server that speaks just enough of
 * tRPC's protocol: it answers what the test tells it to, or nothing at all.
 */
interface Received {
  id: number;
  method: string;
  params?: { path: string; input: unknown };
}

let server: WebSocketServer;
let url: string;
let received: Received[];
let answer: ((message: Received, socket: WebSocket) => void) | null;
let sockets: WebSocket[];
const transports: WsTransport[] = [];

beforeEach(async () => {
  received = [];
  sockets = [];
  answer = null;
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => {
      const text = new TextDecoder().decode(Array.isArray(data) ? Buffer.concat(data) : data);
      if (text === 'PING') return;
      const messages = [JSON.parse(text) as Received | Received[]].flat();
      for (const message of messages) {
        received.push(message);
        answer?.(message, socket);
      }
    });
  });
});
afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of sockets) s.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const open = async (token = 'secret-token') => {
  const transport = openWsTransport({ url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, connectionParams: () => ({ token }) });
  transports.push(transport);
  await transport.opened;
  return transport;
};

/** Runs one mutation through the transport's call channel; settles with the result or the error. */
const call = (transport: WsTransport, id: number) =>
  new Promise<{ data?: unknown; error?: unknown }>((resolve) => {
    transport.calls.request({ id, type: 'mutation', path: 'message.send', input: { body: 'hi' }, context: {}, signal: null }).subscribe({
      next: (envelope) => resolve({ data: (envelope.result as { data?: unknown }).data }),
      error: (error) => resolve({ error }),
    });
  });

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);

describe('calls over the WebSocket transport', () => {
  test('a mutation is answered over the socket, which knows the token it opened with', async () => {
    answer = (m, socket) => {
      if (m.method === 'mutation') socket.send(JSON.stringify({ id: m.id, result: { type: 'data', data: { ok: m.params?.input } } }));
    };
    const transport = await open();
    expect(await call(transport, 1)).toEqual({ data: { ok: { body: 'hi' } } });
    expect(received.find((m) => m.method === 'mutation')?.params?.path).toBe('message.send');
    expect(transport.calls.token).toBe('secret-token');
  });

  test("the server's refusal arrives with its code", async () => {
    answer = (m, socket) => {
      if (m.method === 'mutation') {
        socket.send(JSON.stringify({ id: m.id, error: { code: -32003, message: 'Join the room first.', data: { code: 'FORBIDDEN', httpStatus: 403 } } }));
      }
    };
    const transport = await open();
    const { error } = await call(transport, 2);
    expect(errorCode(error)).toBe('FORBIDDEN');
  });

  test('a socket closed by the other side fails the call in flight, without a code (the outbox sends it again)', async () => {
    const transport = await open();
    const pending = call(transport, 3);
    await expect.poll(() => received.some((m) => m.method === 'mutation')).toBe(true);
    for (const s of sockets) s.terminate();
    const result = await within(pending, 2_000);
    expect(result).not.toBe('still waiting');
    expect(errorCode((result as { error: unknown }).error)).toBeUndefined();
    expect((result as { error?: unknown }).error).toBeDefined();
  });

  test('closing the transport (a keep-alive timeout on a half-dead socket) fails the call at once instead of waiting for an answer that never comes', async () => {
    const transport = await open();
    const pending = call(transport, 4);
    await expect.poll(() => received.some((m) => m.method === 'mutation')).toBe(true);
    transport.close();
    const result = await within(pending, 500);
    expect(result).not.toBe('still waiting');
    expect(errorCode((result as { error: unknown }).error)).toBeUndefined();
    // And a call after the end fails the same way.
    expect(errorCode((await call(transport, 5)).error)).toBeUndefined();
    expect((await call(transport, 6)).error).toBeDefined();
  });
});
