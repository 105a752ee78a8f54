import { expect, test } from 'vitest';
import { encodeFrame as encodeFrameBytes, feedReceivedAt, markReceived } from './event.wire.ts';

/** The frame's text, as the client reads the text frame. */
const encodeFrame = (frame: unknown): string => {
  const out = encodeFrameBytes(frame);
  return typeof out === 'string' ? out : out.toString('utf8');
};

/** A data frame exactly as tRPC's WebSocket handler builds it for a tracked yield (ws adapter, `result.id` added last). */
function trackedFrame(id: number | string, eventId: string, event: object, jsonrpc?: '2.0') {
  const result: { type: 'data'; data: unknown; id?: string } = { type: 'data', data: event };
  result.id = eventId;
  result.data = { id: eventId, data: event };
  return { id, jsonrpc, result };
}

const liveEvent = () => ({
  id: 7,
  partitionId: 'acme',
  roomId: 'r1',
  at: '2026-01-05T09:00:00.000Z',
  type: 'message.created',
  data: { body: 'héllo "you"\n' },
});

test('a live event frame is the same text JSON.stringify makes, with or without jsonrpc, any subscription id', () => {
  const event = liveEvent();
  markReceived(event);
  for (const frame of [trackedFrame(1, '7', event), trackedFrame('sub-2', '7', event, '2.0')]) {
    expect(encodeFrame(frame)).toBe(JSON.stringify(frame));
  }
});

test("the event's JSON is made once per node: later subscribers reuse it", () => {
  const event = liveEvent();
  markReceived(event);
  const first = encodeFrame(trackedFrame(1, '7', event));
  // Events are never changed once the feed has them; a change shows the text was not made again.
  event.data.body = 'changed';
  const second = encodeFrame(trackedFrame(2, '7', event));
  expect(JSON.parse(second)).toEqual({ ...JSON.parse(first), id: 2 });
});

test('anything else is JSON.stringify: replays, other frames, unexpected shapes', () => {
  const replayed = liveEvent(); // read from the log: never marked
  const frames: unknown[] = [
    trackedFrame(1, '7', replayed),
    { id: 3, result: { type: 'started' } },
    { id: 4, error: { code: -32600, message: 'no' } },
    { id: 5, result: { type: 'data', data: { ok: true } } },
    null,
    'PONG',
  ];
  const marked = liveEvent();
  markReceived(marked);
  frames.push({ ...trackedFrame(6, '7', marked), extra: 1 }, trackedFrame(8, '8', marked));
  (frames.at(-1) as { result: { data: { id: string } } }).result.data.id = '9';
  for (const frame of frames) expect(encodeFrame(frame)).toBe(JSON.stringify(frame));
});

test('the feed time is kept from the first time the node had the event', () => {
  const event = liveEvent();
  expect(feedReceivedAt(event)).toBeUndefined();
  markReceived(event, 1000);
  markReceived(event, 2000);
  expect(feedReceivedAt(event)).toBe(1000);
});
