import type { Context } from '../../context.ts';
import { eventChannel } from './event.feed.ts';
import type { ParleyEvent } from './event.types.ts';

// What other features use of the event log, apart from reading it as a stream (event.service.ts):
// `appendEvents` (one statement, last in their transaction), `publishEvents` (after commit) and
// the reads a page needs. Kept out of event.service.ts so that a writer (partition, room,
// message) never imports the streaming side, which checks access through them: no cycle.
export { appendEvents, findLastEventId, toParleyEvent } from './event.repo.ts';

/**
 * After commit: hand events to this node's subscribers at once and to other nodes via the
 * bus. A failed publish loses nothing: every node's feed polls the log.
 */
export function publishEvents(ctx: Pick<Context, 'bus' | 'feeds' | 'log'>, events: ParleyEvent[]): void {
  for (const event of events) {
    ctx.feeds.deliverLocal(event);
    ctx.bus.publish(eventChannel(event.partitionId), event).catch((error: unknown) => {
      ctx.log.warn({ err: error, eventId: event.id }, 'bus publish failed; other nodes will poll');
    });
  }
}
