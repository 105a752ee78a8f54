/** Something a {@link TimerWheel} calls back when its time has come. */
export interface WheelMember {
  /**
   * Its time has come (`now` on the wheel's clock, `performance.now()`): returns when it is
   * due next, or undefined to leave the wheel.
   */
  onWheel(now: number): number | undefined;
}

/**
 * One interval timer for many members, each due at its own time to within `slotMs`: a ring
 * of slots, one `Set` each. Ten thousand connections or streams waiting on a minute cost ten
 * thousand set entries, not ten thousand timers (a `Timeout` object and a closure each), and
 * stay spread over the minute as they were added. A member is never called before it is due,
 * and at most a slot (plus the event loop's delay) late; a due time further than the ring
 * reaches is brought in to the ring's last slot (the member is called early and says when it
 * is due next).
 *
 * The timer runs only while the wheel has members, and never keeps the process alive.
 */
export class TimerWheel<T extends WheelMember = WheelMember> {
  private readonly slots: Set<T>[];
  /** The slot that fires next, and when (the wheel's clock). */
  private cursor = 0;
  private cursorAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private count = 0;

  /**
   * @param slotMs the precision: a member is called within a slot of its due time
   * @param horizonMs how far ahead a member may be due (its periods must fit in it)
   */
  constructor(
    readonly slotMs: number,
    readonly horizonMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.slots = Array.from({ length: Math.max(2, Math.ceil(horizonMs / slotMs) + 1) }, () => new Set<T>());
  }

  /** Members waiting. */
  get size(): number {
    return this.count;
  }

  /** Calls `member.onWheel` once `dueAt` (the wheel's clock, see {@link TimerWheel.clock}) has passed; a member already on the wheel is moved. */
  add(member: T, dueAt: number): void {
    // A member is in one slot at a time: moving it is taking it out first.
    if (this.take(member)) this.count--;
    this.place(member, dueAt);
  }

  /** Takes the member off the wheel (nothing if it is not on it). */
  delete(member: T): void {
    if (this.take(member) && --this.count === 0) this.stop();
  }

  /** The wheel's clock (`performance.now()` unless the constructor was given another). */
  clock(): number {
    return this.now();
  }

  private place(member: T, dueAt: number): void {
    if (this.timer === undefined) this.start();
    const n = this.slots.length;
    const ahead = Math.min(n - 1, Math.max(0, Math.ceil((dueAt - this.cursorAt) / this.slotMs)));
    this.slots[(this.cursor + ahead) % n]!.add(member);
    this.count++;
  }

  private take(member: T): boolean {
    for (const slot of this.slots) if (slot.delete(member)) return true;
    return false;
  }

  private start(): void {
    this.cursorAt = this.now() + this.slotMs;
    this.timer = setInterval(() => this.fire(), this.slotMs);
    this.timer.unref?.();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    const slot = this.slots[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.slots.length;
    this.cursorAt += this.slotMs;
    if (slot.size === 0) return;
    const due = [...slot];
    slot.clear();
    this.count -= due.length;
    const now = this.now();
    for (const member of due) {
      const next = member.onWheel(now);
      // Off the wheel now; back on it when it says when (it must not add itself from onWheel).
      if (next !== undefined) this.place(member, next);
    }
    if (this.count === 0) this.stop();
  }
}

/**
 * The node's wheel for periodic work measured in seconds: the streams' access re-checks
 * (every minute) and the WebSocket keep-alive (ping after 25 s of silence). One-second slots,
 * two minutes of reach.
 */
export const secondsWheel = new TimerWheel(1000, 120_000);
