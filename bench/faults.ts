/**
 * `npm run faults`: the long fault runs. Seed after seed until `--seconds`
 * are spent, it runs test/faults.test.ts (FAULT_ROUNDS rounds: every fault
 * kind, killed instances included) and the protocol walkthrough and message
 * tests under FAULTS (the CI mix unless `--faults` says otherwise), each file
 * checking the store's invariants as its stack closes (local/invariants.ts).
 * Reports each seed's outcome and the failing seeds, to replay with
 * `FAULTS_SEED=<seed>`; exits non-zero if any failed.
 *
 *   npm run faults -- [--seconds 600] [--rounds 10] [--first-seed 100] [--faults post410:0.05,…]
 */
import { spawnSync } from 'node:child_process';
import { benchArgs } from './support/args';

/** What the walkthrough and the message tests meet in CI (.ci/run): every kind a client without resends survives. */
export const CI_FAULTS = 'post410:0.05,post429:0.02,pushDelay:0.05,dynamoThrottle:0.02,dynamo500:0.02,txConflict:0.05,unprocessed:0.05';

const values = benchArgs({ seconds: 600, rounds: 10, 'first-seed': 100 }, ['faults']);
const faults = values.faults ?? CI_FAULTS;
const end = Date.now() + values.seconds * 1000;

function vitest(files: string[], env: Record<string, string>): boolean {
  const run = spawnSync('npx', ['vitest', 'run', ...files], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const failed = run.status !== 0;
  if (failed) process.stdout.write(`${run.stdout.split('\n').filter((l) => /FAIL|Error|invariants|×/.test(l)).slice(0, 20).join('\n')}\n`);
  return !failed;
}

const failures: number[] = [];
let seeds = 0;
for (let seed = values['first-seed']; Date.now() < end; seed++) {
  const started = Date.now();
  const ok =
    vitest(['test/faults.test.ts'], { FAULTS_SEED: String(seed), FAULT_ROUNDS: String(values.rounds) }) &&
    vitest(['test/protocol-walkthrough.test.ts', 'test/messages.test.ts'], { FAULTS: faults, FAULTS_SEED: String(seed) });
  seeds++;
  if (!ok) failures.push(seed);
  console.log(`seed ${seed}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(`${seeds} seeds, ${failures.length} failed${failures.length ? `: ${failures.join(', ')}` : ''} (faults.test.ts at ${values.rounds} rounds; walkthrough and messages under ${faults})`);
process.exit(failures.length ? 1 : 0);
