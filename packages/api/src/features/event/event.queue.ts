export interface EventQueueOptions {
  /** Aborting it wakes the consumer for good. */
  signal?: AbortSignal | undefined;
  /** A tick this often (one timer per queue): the consumer's cue for periodic work, see {@link EventQueue.takeTick}. */
  tickMs?: number | undefined;
}

/**
 * A bounded hand-off between a feed (push) and one subscription (pull). On overflow the
 * queued items are dropped and `overflowed` is set: the consumer then re-reads the durable
 * log, so a slow client costs memory up to the bound, never an event.
 *
 * Waiting costs no timer: one interval per queue (`tickMs`) and one abort listener wake the
 * consumer, not a timeout per wait (a stream waits once per delivery).
 */
export class EventQueue<T> {
  private items: T[] = [];
  private waiter?: () => void;
  private ticked = false;
  private readonly timer?: ReturnType<typeof setInterval>;
  private readonly signal?: AbortSignal | undefined;
  private readonly onAbort = () => this.wake();
  overflowed = false;

  constructor(
    private readonly max: number,
    options: EventQueueOptions = {},
  ) {
    this.signal = options.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.tickMs !== undefined) {
      this.timer = setInterval(() => {
        this.ticked = true;
        this.wake();
      }, options.tickMs);
      this.timer.unref?.();
    }
  }

  push(item: T): void {
    if (this.items.length >= this.max) {
      this.items = [];
      this.overflowed = true;
    } else {
      this.items.push(item);
    }
    this.wake();
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  get size(): number {
    return this.items.length;
  }

  /** A tick now, out of turn (the periodic work is due at once: a session ended, say). */
  tick(): void {
    this.ticked = true;
    this.wake();
  }

  /** True once after each tick. */
  takeTick(): boolean {
    const ticked = this.ticked;
    this.ticked = false;
    return ticked;
  }

  /** Resolves when an item (or overflow) is available, a tick is due, or the signal aborts. */
  wait(): Promise<void> {
    if (this.items.length > 0 || this.overflowed || this.ticked || this.signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = () => {
        this.waiter = undefined;
        resolve();
      };
    });
  }

  /** Stops the tick and lets go of the signal. */
  close(): void {
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }
}
