/**
 * The date filters of a search as the user picks them (whole days, `YYYY-MM-DD`, in their own
 * time zone) and as the server takes them (instants): `from` is the start of its day, `to` the
 * start of the day after (so the last day counts whole).
 */
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function localMidnight(day: string, addDays = 0): Date | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `after` for the first day (its local midnight), or undefined for no or a malformed day. */
export function dayStartIso(day: string | undefined): string | undefined {
  return day ? localMidnight(day)?.toISOString() : undefined;
}

/** `before` for the last day (the next day's local midnight), or undefined. */
export function dayEndIso(day: string | undefined): string | undefined {
  return day ? localMidnight(day, 1)?.toISOString() : undefined;
}
