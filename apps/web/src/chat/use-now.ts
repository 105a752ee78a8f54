import { useEffect, useState } from 'react';

/** `Date.now()`, re-read every `intervalMs` while `active` (a countdown that is on screen). */
export function useNow(intervalMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, active]);
  return active ? now : Date.now();
}
