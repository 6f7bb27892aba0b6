/** JSON log lines (CloudWatch-friendly). Never pass passwords, tokens or message bodies. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

const threshold = () => LEVELS[(process.env.LOG_LEVEL as keyof typeof LEVELS) ?? 'info'] ?? LEVELS.info;

function write(level: Level, msg: string, fields: Record<string, unknown>): void {
  if (LEVELS[level] < threshold()) return;
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/**
 * An info line written to stdout as it is: on Lambda, console.log prefixes
 * each line with a timestamp, the request id and the level, and CloudWatch
 * extracts EMF metrics only from a log event that is one JSON object.
 */
function writeBare(msg: string, fields: Record<string, unknown>): void {
  if (LEVELS.info < threshold()) return;
  process.stdout.write(`${JSON.stringify({ level: 'info', msg, ...fields })}\n`);
}

export const log = {
  /** An info line that is a whole JSON log event (EMF records). */
  bare: writeBare,
  debug: (msg: string, fields: Record<string, unknown> = {}) => write('debug', msg, fields),
  info: (msg: string, fields: Record<string, unknown> = {}) => write('info', msg, fields),
  warn: (msg: string, fields: Record<string, unknown> = {}) => write('warn', msg, fields),
  error: (msg: string, fields: Record<string, unknown> = {}) => write('error', msg, fields),
};
