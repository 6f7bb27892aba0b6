/**
 * `npm start` on a DATA_DIR leaves a note in it while it runs: which process
 * serves that store, and on which ports. The operator CLI reads it to act on
 * the stack that owns DATA_DIR, and to refuse a DATA_DIR that the stack on
 * PORT does not serve (it would otherwise write to the wrong store).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StackMarker {
  pid: number;
  /** The gateway's port (`PORT`). */
  port: number;
  dynamoEndpoint: string;
  managementEndpoint: string;
}

const markerFile = (dataDir: string) => join(dataDir, 'running-stack.json');

export function writeStackMarker(dataDir: string, marker: StackMarker): void {
  writeFileSync(markerFile(dataDir), `${JSON.stringify(marker)}\n`);
}

export function removeStackMarker(dataDir: string): void {
  rmSync(markerFile(dataDir), { force: true });
}

/** The stack serving `dataDir`, if its process is alive (a stack killed with -9 leaves a stale note). */
export function runningStackOf(dataDir: string): StackMarker | undefined {
  let marker: StackMarker;
  try {
    marker = JSON.parse(readFileSync(markerFile(dataDir), 'utf8')) as StackMarker;
  } catch {
    return undefined;
  }
  try {
    process.kill(marker.pid, 0);
    return marker;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? marker : undefined;
  }
}
