/**
 * What every bench script starts with: quiet SDK and handler logs, and its
 * numeric options (`--name value`), each with a default, refused unless a
 * finite number. No side effects beyond the two env defaults, so timing
 * scripts can import it (bench/support/load.ts turns on --expose-gc).
 */
import { parseArgs } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'warn';

/** The numeric options, from `defaults`; `strings` names the text options (no default: undefined unless given). */
export function benchArgs<N extends string, S extends string = never>(
  defaults: Record<N, number>,
  strings: readonly S[] = [],
): Record<N, number> & Partial<Record<S, string>> {
  const options = Object.fromEntries([
    ...Object.entries(defaults).map(([name, value]) => [name, { type: 'string' as const, default: String(value) }]),
    ...strings.map((name) => [name, { type: 'string' as const }]),
  ]);
  const values = parseArgs({ options }).values as Record<string, string | undefined>;
  const parsed: Record<string, number | string | undefined> = {};
  for (const name of Object.keys(defaults)) {
    const value = Number(values[name]);
    if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${String(values[name])}`);
    parsed[name] = value;
  }
  for (const name of strings) parsed[name] = values[name];
  return parsed as Record<N, number> & Partial<Record<S, string>>;
}

/** The value at percentile `p` of ascending `sorted` (nearest rank, floor); 0 for none. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const ascending = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
export const median = (xs: readonly number[]): number => percentile(ascending(xs), 50);
export const p95 = (xs: readonly number[]): number => percentile(ascending(xs), 95);
