import { vi } from 'vitest';

/** Under fake timers: lets promise chains and zero-delay timers run, `rounds` times over (tests only). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await vi.advanceTimersByTimeAsync(0);
}
