/** The crash tests' child process: started with tsx, read line by line, killed with SIGKILL when its reader says. */
import { spawn } from 'node:child_process';

/**
 * Runs `script` with `args`, handing each line it prints (split in words) to
 * `onLine` with `kill(afterMs)`, which sends SIGKILL once, that long after
 * its first call. Resolves when the child died of that kill; rejects, with
 * the end of its stderr, when it ended by itself.
 */
export function runUntilKilled(script: string, args: readonly string[], onLine: (words: string[], kill: (afterMs: number) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = (afterMs: number) => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), afterMs);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let newline;
      while ((newline = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, newline);
        out = out.slice(newline + 1);
        onLine(line.split(' '), kill);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && timer) resolve();
      else reject(new Error(`crash child ${script} ended by itself (${signal ?? 'exit'}) before the kill:\n${err.slice(-2000)}`));
    });
  });
}
