/** Reconnection delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */

export interface BackoffOptions {
  /** First ceiling; the ceiling doubles each attempt. @default 1000 */
  baseMs?: number;
  /** Largest ceiling. @default 30000 */
  maxMs?: number;
}

export const BACKOFF_DEFAULTS = { baseMs: 1000, maxMs: 30_000 } as const;

/** Delay before reconnection attempt `attempt` (0-based): uniform in [0, min(max, base · 2^attempt)). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? BACKOFF_DEFAULTS.baseMs;
  const max = options.maxMs ?? BACKOFF_DEFAULTS.maxMs;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
