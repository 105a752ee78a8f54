/**
 * A bounded hand-off between a feed (push) and one subscription (pull). On overflow the
 * queued items are dropped and `overflowed` is set: the consumer then re-reads the durable
 * log, so a slow client costs memory up to the bound, never an event.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private waiter?: () => void;
  overflowed = false;

  constructor(private readonly max: number) {}

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

  /** Resolves when an item (or overflow) is available, the timeout passes, or the signal aborts. */
  wait(signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    if (this.items.length > 0 || this.overflowed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiter = done;
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}
