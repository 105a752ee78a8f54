// A live event on its way out of a node: when the node's feed got it (for the delivery hops of
// `/metrics`), and its JSON, made once per node however many subscribers it goes to.
//
// A feed hands the same event object to every subscription of its workspace on the node, and
// tRPC hands that object on, untouched, to each connection's encoder. Both facts are keyed on
// that object (weakly: gone with it), so nothing here holds an event longer than its delivery.

const receivedAt = new WeakMap<object, number>();

/** The feed has the event now (`Date.now()`): the start of its `stream` and `socket` hops. */
export function markReceived(event: object, at: number = Date.now()): void {
  if (!receivedAt.has(event)) receivedAt.set(event, at);
}

/** When this node's feed got the event live; undefined for one read from the log (a replay) or made elsewhere. */
export function feedReceivedAt(event: object): number | undefined {
  return receivedAt.get(event);
}

type Frame = { id?: unknown; jsonrpc?: unknown; result?: { type?: unknown; id?: unknown; data?: unknown } };

const onlyKeys = (o: object, allowed: readonly string[]) => Object.keys(o).every((k) => allowed.includes(k));

/**
 * The live event of a data frame as tRPC's WebSocket handler makes it for a tracked yield
 * (`{ id, jsonrpc, result: { type: 'data', data: { id, data: event }, id } }`), else undefined:
 * a frame with any other shape is left to `JSON.stringify`.
 */
function trackedEvent(frame: Frame): object | undefined {
  const result = frame.result;
  if (!result || result.type !== 'data' || typeof result.id !== 'string') return undefined;
  const data = result.data as { id?: unknown; data?: unknown } | null | undefined;
  const event = data?.data;
  if (event === null || typeof event !== 'object' || !receivedAt.has(event) || data!.id !== result.id) return undefined;
  if (!onlyKeys(frame, ['id', 'jsonrpc', 'result']) || !onlyKeys(result, ['type', 'data', 'id']) || !onlyKeys(data!, ['id', 'data'])) return undefined;
  return event;
}

/**
 * A live event's part of its data frames, the same for every subscriber on the node: its JSON as
 * UTF-8, made once (weakly keyed on the event: gone with it).
 */
const tails = new WeakMap<object, { trackedId: unknown; bytes: Buffer }>();

/**
 * One frame of tRPC's WebSocket protocol, to be sent as a text frame. A live event's data frame
 * is bytes: its connection's head (`{"id":…,"jsonrpc":…,`) before the rest, which is the same for
 * every subscriber of the event and is made once per node (the event's JSON, and its UTF-8, are
 * not made again per subscriber). The same text as `JSON.stringify(frame)` (same keys, same
 * order). Anything else is `JSON.stringify(frame)`.
 */
export function encodeFrame(frame: unknown): string | Buffer {
  const f = frame as Frame | null;
  const event = f && typeof f === 'object' ? trackedEvent(f) : undefined;
  if (!event) return JSON.stringify(frame);
  const trackedId = f!.result!.id;
  let tail = tails.get(event);
  if (!tail || tail.trackedId !== trackedId) {
    const id = JSON.stringify(trackedId);
    tail = { trackedId, bytes: Buffer.from(`"result":{"type":"data","data":{"id":${id},"data":${JSON.stringify(event)}},"id":${id}}}`) };
    tails.set(event, tail);
  }
  const head = Buffer.from(
    `{${f!.id === undefined ? '' : `"id":${JSON.stringify(f!.id)},`}${f!.jsonrpc === undefined ? '' : `"jsonrpc":${JSON.stringify(f!.jsonrpc)},`}`,
  );
  return Buffer.concat([head, tail.bytes], head.length + tail.bytes.length);
}
