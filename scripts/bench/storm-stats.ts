// The storm step's arithmetic (storm.ts), pure: what one client received against the event log,
// and the summary over the killed node's clients.

/** What one storm client did after the kill; times in ms from the kill. */
export interface StormClientLog {
  /** The last event id it had when the node was killed. */
  lastSeen: number;
  /** When its first subscription after the kill started; null if none did. */
  startedAt: number | null;
  /** Event ids received after the kill, in arrival order, repeats included, and when each arrived. */
  ids: readonly number[];
  at: readonly number[];
}

export interface StormOutcome {
  /** When it had every event it may see from `lastSeen` up to its target (null: never); never before its subscription started. */
  resumedAt: number | null;
  /**
   * Events of the log it may see, after `lastSeen` and below the highest id it received, that it
   * never received: a stream delivers in id order, so each is one it skipped for good.
   */
  missed: number;
  /** Events it may see above the highest id it received: not delivered yet when the step ended. */
  behind: number;
  /** Deliveries of an id it already had (received twice, or at or below `lastSeen`). */
  duplicates: number;
}

/** A message the step sent after the kill: its room, its event id, and when its answer came (ms from the kill). */
export interface StormSend {
  room: number;
  eventId: number;
  ackedAt: number;
}

/**
 * The id a client must have to count as caught up: its room's marker (the first message sent
 * into it after the kill), or a later message of the room if that one was already acknowledged
 * when the client's new subscription started (committed while it was away: missed too).
 */
export function targetOf(sends: readonly StormSend[], room: number, markerId: number, startedAt: number): number {
  let target = markerId;
  for (const s of sends) if (s.room === room && s.ackedAt <= startedAt && s.eventId > target) target = s.eventId;
  return target;
}

/**
 * One client against the log: `expected` is every id it may see (its room's events and the
 * workspace-wide ones) after `lastSeen`, ascending, up to the end of the step. It resumed when
 * it had all of them up to `target`, once its subscription had started again.
 */
export function outcomeOf(log: StormClientLog, expected: readonly number[], target: number): StormOutcome {
  const firstAt = new Map<number, number>();
  let duplicates = 0;
  for (let i = 0; i < log.ids.length; i++) {
    const id = log.ids[i]!;
    if (id <= log.lastSeen || firstAt.has(id)) duplicates += 1;
    else firstAt.set(id, log.at[i]!);
  }
  let highest = log.lastSeen;
  for (const id of firstAt.keys()) highest = Math.max(highest, id);
  let missed = 0;
  let behind = 0;
  let complete = log.startedAt !== null;
  let resumedAt = log.startedAt ?? 0;
  for (const id of expected) {
    if (id <= log.lastSeen) continue;
    const at = firstAt.get(id);
    if (at === undefined) {
      if (id < highest) missed += 1;
      else behind += 1;
      if (id <= target) complete = false;
    } else if (id <= target) {
      resumedAt = Math.max(resumedAt, at);
    }
  }
  return { resumedAt: complete ? resumedAt : null, missed, behind, duplicates };
}

export interface StormSummary {
  clients: number;
  resumed: number;
  /** Over the resumed clients, nearest rank. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** Share of all the clients (0–1) resumed within `goalMs`. */
  withinGoal: number;
  /** When 99% of all the clients had resumed (the ones that never did count as never); null if that never happened. */
  time99: number | null;
  missed: number;
  duplicates: number;
  /** Clients with events not delivered yet when the step ended. */
  behind: number;
}

/** Nearest-rank quantile of ascending `sorted`; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarizeStorm(outcomes: readonly StormOutcome[], goalMs: number): StormSummary {
  const times = outcomes.flatMap((o) => (o.resumedAt === null ? [] : [o.resumedAt])).sort((a, b) => a - b);
  const needed = Math.ceil(0.99 * outcomes.length);
  return {
    clients: outcomes.length,
    resumed: times.length,
    p50: quantile(times, 0.5),
    p90: quantile(times, 0.9),
    p99: quantile(times, 0.99),
    max: times.at(-1) ?? null,
    withinGoal: outcomes.length ? times.filter((t) => t < goalMs).length / outcomes.length : 0,
    time99: needed === 0 ? null : needed <= times.length ? times[needed - 1]! : null,
    missed: outcomes.reduce((s, o) => s + o.missed, 0),
    duplicates: outcomes.reduce((s, o) => s + o.duplicates, 0),
    behind: outcomes.filter((o) => o.behind > 0).length,
  };
}
