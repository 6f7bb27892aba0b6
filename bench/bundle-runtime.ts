/**
 * The bundle runtime's cold and warm invocations: a stack with
 * LOCAL_RUNTIME=bundles (cdk.out synthesized first when stale), one logged-in
 * client, then per route the first frame (its function's cold start: a new
 * worker importing the bundle) and the median of N further frames (warm),
 * each timed from send to ack, and the in-process runtime's median for
 * comparison. Loopback only, bounded.
 *
 *   npx tsx bench/bundle-runtime.ts [--runs 21]
 */
import { getDeps } from '../lambdas/deps';
import { createAccount } from '../lambdas/domain/provisioning';
import { startLocalStack, type Runtime } from '../local/stack';
import { TestClient } from '../test/support/client';
import { benchArgs, median } from './support/args';

const { runs: RUNS } = benchArgs({ runs: 21 });
const ROUTES = ['ping', 'who am i', 'give me users', 'give me dialogs'];

async function timed(client: TestClient, event: string): Promise<number> {
  const started = performance.now();
  const ack = await client.request(event);
  if (ack.error !== null) throw new Error(`${event}: ${ack.error}`);
  return performance.now() - started;
}

async function measure(runtime: Runtime) {
  const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, runtime, env: { SCRYPT_LOG_N: '10', LOG_LEVEL: 'warn' } });
  try {
    await createAccount(getDeps(), 10, { username: 'bench', password: 'bench-secret' });
    const client = await TestClient.connect(stack.url);
    await client.call('auth by credentials', { username: 'bench', password: 'bench-secret' });
    const rows = [];
    for (const event of ROUTES) {
      const first = await timed(client, event);
      const warm: number[] = [];
      for (let i = 0; i < RUNS; i++) warm.push(await timed(client, event));
      rows.push({ event, first, warm: median(warm), coldStarts: stack.bundles?.functions.get(event)?.coldStarts });
    }
    await client.close();
    return rows;
  } finally {
    await stack.close();
  }
}

const inProcess = await measure('in-process');
const bundles = await measure('bundles');
console.log(`route               in-process warm   bundles first (cold)   bundles warm   cold starts   (median of ${RUNS}, ms)`);
for (const [i, row] of bundles.entries()) {
  console.log(
    `${row.event.padEnd(20)}${inProcess[i]!.warm.toFixed(1).padStart(16)}${row.first.toFixed(1).padStart(23)}${row.warm.toFixed(1).padStart(15)}${String(row.coldStarts).padStart(14)}`,
  );
}
