/**
 * `npm run crash:transactions`: the long run of test/transaction-crash.test.ts.
 * Kills the embedded DynamoDB with SIGKILL mid-transaction `--kills` times and
 * reports how many restarts found a transaction half applied or an acked one
 * lost (both must be 0).
 *
 *   npm run crash:transactions -- [--kills 200] [--items 97] [--max-delay-ms 200] [--seed 1]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { crashTransactions } from '../test/support/tx-crash';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    items: { type: 'string', default: '97' },
    'max-delay-ms': { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
  },
});
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = await mkdtemp(path.join(tmpdir(), 'tx-crash-'));
const started = performance.now();
let bad = 0;
try {
  const rounds = await crashTransactions({
    dataDir,
    kills: Number(values.kills),
    items: Number(values.items),
    maxDelayMs: Number(values['max-delay-ms']),
    seed: Number(values.seed),
    onRound: (r) => {
      if (r.violations.length > 0) bad++;
      for (const v of r.violations) console.error(`kill after generation ${r.acked}: ${v}`);
    },
  });
  const last = rounds.at(-1);
  console.log(
    `${rounds.length} kills in ${((performance.now() - started) / 1000).toFixed(0)} s, ${last?.found ?? 0} generations committed ` +
      `(${Number(values.items) + 3} actions each): ${bad} restarts found a transaction half applied or an acked one lost`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(bad > 0 ? 1 : 0);
