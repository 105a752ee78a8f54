import { secondsWheel, type TimerWheel, type WheelMember } from '../../timer-wheel.ts';

export interface EventQueueOptions {
  /** Aborting it wakes the consumer for good. */
  signal?: AbortSignal | undefined;
  /** A tick this often: the consumer's cue for periodic work, see {@link EventQueue.takeTick}. */
  tickMs?: number | undefined;
  /** Where the ticks come from (default: the node's {@link secondsWheel}, one-second precision). */
  wheel?: TimerWheel | undefined;
}

/**
 * A bounded hand-off between a feed (push) and one subscription (pull). On overflow the
 * queued items are dropped and `overflowed` is set: the consumer then re-reads the durable
 * log, so a slow client costs memory up to the bound, never an event.
 *
 * Waiting costs no timer of its own: the queue is a member of a shared {@link TimerWheel}
 * (one timer for every queue of the node, each ticking at its own phase) and its own abort
 * listener (the queue itself, `handleEvent`), not a timer per queue or per wait (a stream
 * waits once per delivery). What an idle subscription holds is most of a node's memory per
 * connection, so nothing here is allocated before it is needed.
 */
/** Who {@link EventQueue.whenReady} calls back (an object, so that a consumer waits without a promise or a closure). */
export interface QueueWaiter {
  queueReady(): void;
}

export class EventQueue<T> implements WheelMember {
  private items: T[] | undefined;
  private waiter: (() => void) | QueueWaiter | undefined;
  private ticked = false;
  private readonly signal: AbortSignal | undefined;
  private readonly tickMs: number | undefined;
  private readonly wheel: TimerWheel | undefined;
  overflowed = false;

  constructor(
    private readonly max: number,
    options: EventQueueOptions = {},
  ) {
    this.signal = options.signal;
    this.signal?.addEventListener('abort', this, { once: true });
    if (options.tickMs !== undefined) {
      const wheel = options.wheel ?? secondsWheel;
      if (options.tickMs > wheel.horizonMs) throw new RangeError(`tickMs ${options.tickMs} is past the wheel's reach (${wheel.horizonMs} ms)`);
      this.tickMs = options.tickMs;
      this.wheel = wheel;
      this.wheel.add(this, this.wheel.clock() + options.tickMs);
    }
  }

  push(item: T): void {
    const items = (this.items ??= []);
    if (items.length >= this.max) {
      this.items = undefined;
      this.overflowed = true;
    } else {
      items.push(item);
    }
    this.wake();
  }

  shift(): T | undefined {
    const item = this.items?.shift();
    // An emptied queue lets go of its array (an idle stream holds none).
    if (this.items?.length === 0) this.items = undefined;
    return item;
  }

  get size(): number {
    return this.items?.length ?? 0;
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

  /** An item (or overflow) is available, a tick is due, or the signal has aborted: a consumer has something to do. */
  get ready(): boolean {
    return this.size > 0 || this.overflowed || this.ticked || this.signal?.aborted === true;
  }

  /** Resolves when the queue is {@link EventQueue.ready}. */
  wait(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /**
   * Calls `waiter.queueReady()` once the queue is {@link EventQueue.ready} (or closed), never
   * synchronously; as {@link EventQueue.wait}, but holding only the waiter meanwhile.
   */
  whenReady(waiter: QueueWaiter): void {
    if (this.ready) queueMicrotask(() => waiter.queueReady());
    else this.waiter = waiter;
  }

  /** Stops the ticks and lets go of the signal. */
  close(): void {
    this.wheel?.delete(this);
    this.signal?.removeEventListener('abort', this);
    this.wake();
  }

  /** The periodic tick (the wheel calls it); due again a period later. */
  onWheel(now: number): number | undefined {
    this.tick();
    return now + this.tickMs!;
  }

  /** The signal's `abort` (the queue is its own listener: no closure per queue). */
  handleEvent(): void {
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (typeof waiter === 'function') waiter();
    else waiter?.queueReady();
  }
}
