/**
 * Every function of the synthesized stack loads: its asset bundle (the exact
 * index.mjs CDK uploads) is imported in a fresh Node process with the
 * environment the template gives it, as Lambda's init phase does, and must
 * export its handler. A bundle that throws at import fails every request on
 * AWS while every source-level test passes.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSynth } from '../local/synth';
import { readSynthesizedStack, tableNameFromPath, type SynthesizedFunction } from '../local/template';
import { ROUTE_RUNTIME } from '../lib/route-function';
import { mapBounded } from '../lambdas/storage/store';

/** Imports one bundle in a new process; resolves with its exit code and output. */
function load(fn: SynthesizedFunction): Promise<{ code: number | null; output: string }> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(fn.entry).href)});
if (typeof m[${JSON.stringify(fn.handlerName)}] !== 'function') throw new Error('no handler export ${fn.handlerName}');`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'local', ...fn.environment, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output: output.slice(-1500) }));
  });
}

let functions: SynthesizedFunction[];

beforeAll(async () => {
  const dir = await ensureSynth();
  functions = readSynthesizedStack(dir, { tableNameOf: (_, r) => tableNameFromPath(r) }).functions;
}, 240_000);

describe('synthesized asset bundles', () => {
  it('every function bundle imports cleanly in a fresh process', async () => {
    expect(functions.length).toBeGreaterThan(30);
    const results = await mapBounded(functions, 2, async (fn) => ({ path: fn.path, ...(await load(fn)) }));
    const failed = results.filter((r) => r.code !== 0);
    expect(failed, failed.map((f) => `${f.path}: ${f.output}`).join('\n')).toEqual([]);
  }, 120_000);

  it('every function runs on the routes\' runtime', () => {
    const runtimes = new Set(functions.map((fn) => fn.runtime));
    expect([...runtimes]).toEqual([ROUTE_RUNTIME.name]);
  });
});
