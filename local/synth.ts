/**
 * The synthesized stack (`cdk.out`) that the bundle runtime runs: synthesized
 * again when it is missing or older than anything it is built from, one
 * synth at a time (test files start stacks in parallel).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (lib/route-function.ts has the same, but importing it loads aws-cdk-lib). */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const CLOUD_ASSEMBLY_DIR = join(PROJECT_ROOT, 'cdk.out');

/** Everything a synth reads: a change to any of it makes cdk.out stale. */
const SOURCES = ['lambdas', 'lib', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** The cloud assembly's context: ROUTING=dispatcher synthesizes `-c routing=dispatcher` into its own directory. */
export interface SynthOptions {
  context?: Record<string, string>;
}

export const assemblyDirOf = (options: SynthOptions = {}): string => {
  const entries = Object.entries(options.context ?? {}).sort();
  return entries.length === 0 ? CLOUD_ASSEMBLY_DIR : join(PROJECT_ROOT, `cdk.out.${entries.map(([k, v]) => `${k}-${v}`).join('.')}`);
};

export function isStale(dir: string): boolean {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest) || !existsSync(join(dir, 'Messenger.template.json'))) return true;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.some((source) => existsSync(join(PROJECT_ROOT, source)) && newestMtime(join(PROJECT_ROOT, source)) > built);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the process that took a lock still runs (a killed test run leaves its lock behind). */
function holderAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' || !existsSync(join(lock, 'pid'));
  }
}

/** A lock directory (mkdir is atomic) holding its owner's pid. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      // Just created by another process (no pid yet) counts as held; a dead holder's lock is broken.
      if (existsSync(lock) && !holderAlive(lock) && Date.now() - statSync(lock).mtimeMs > 1000) rmSync(lock, { recursive: true, force: true });
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The directory of an up-to-date cloud assembly, synthesizing it first if needed. */
export async function ensureSynth(options: SynthOptions = {}): Promise<string> {
  const dir = assemblyDirOf(options);
  if (!isStale(dir)) return dir;
  return withLock(dir, async () => {
    if (!isStale(dir)) return dir; // another process synthesized while we waited
    const context = Object.entries(options.context ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    await run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--output', dir, ...context]);
    return dir;
  });
}
