/** Attempts after a loss before the connection gives up and waits for `retry()` (seed 004). */
export const MAX_RECONNECT_ATTEMPTS = 10;
export const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * The wait before reconnect attempt `attempt` (0-based): `min(1000·2^attempt + random(0..1000),
 * 30000)` ms. The jitter spreads the reconnects of many clients after a node dies, so they do
 * not all land on the survivors in the same second.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const jitter = Math.floor(random() * 1001);
  return Math.min(1000 * 2 ** attempt + jitter, MAX_RECONNECT_DELAY_MS);
}
