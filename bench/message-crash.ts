/**
 * `npm run crash:messages`: the long run of test/message-crash.test.ts. Kills
 * the whole local stack with SIGKILL while it stores messages to a group
 * dialog, `--kills` times, and reports the restarts that found an acked
 * message lost, a message still pending, or a copy missing (all must be 0).
 *
 *   npm run crash:messages -- [--kills 30] [--recipients 256] [--in-flight 8] [--max-delay-ms 1000] [--seed 1]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { crashMessages } from '../test/support/message-crash';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '30' },
    recipients: { type: 'string', default: '256' },
    'in-flight': { type: 'string', default: '8' },
    'max-delay-ms': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'error';
const dataDir = await mkdtemp(path.join(tmpdir(), 'msg-crash-'));
let bad = 0;
let pending = 0;
let slowest = 0;
try {
  const rounds = await crashMessages({
    dataDir,
    kills: Number(values.kills),
    recipients: Number(values.recipients),
    inFlight: Number(values['in-flight']),
    maxDelayMs: Number(values['max-delay-ms']),
    seed: Number(values.seed),
    repairWithinMs: 30_000,
    onRound: (r) => {
      if (r.violations.length > 0) bad++;
      pending += r.pendingAtRestart;
      if (r.pendingAtRestart > 0) slowest = Math.max(slowest, r.repairMs);
      for (const v of r.violations) console.error(v);
      console.log(`kill: ${r.acked} acked, ${r.stored} stored in all, ${r.pendingAtRestart} pending at restart, repaired in ${r.repairMs} ms`);
    },
  });
  console.log(
    `${rounds.length} kills of the stack, ${values.recipients} recipients: ${pending} messages found pending at a restart, all repaired within ${slowest} ms; ${bad} restarts with a violation`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(bad === 0 ? 0 : 1);
