/**
 * `npm run bench`: latency, throughput and per-frame cost of the local stack,
 * with an AWS cost estimate per million frames. Real gateway, real handlers,
 * embedded DynamoDB, real WebSocket clients; bounded in count and time, on
 * loopback only.
 *
 *   npm run bench -- [--frames 2000] [--concurrency 20] [--logins 5]
 */
import { parseArgs } from 'node:util';
import { getDeps } from '../lambdas/deps';
import { createAccount } from '../lambdas/domain/provisioning';
import { observeFrames, type FrameRecord } from '../lambdas/metrics';
import { routeOf } from '../lambdas/routes/table';
import { startLocalStack } from '../local/stack';
import { TestClient } from '../test/support/client';
import { PRICES, costPerMillion } from './prices';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'warn';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '20' },
    logins: { type: 'string', default: '5' },
  },
});
const FRAMES = Number(values.frames);
const CONCURRENCY = Number(values.concurrency);
const LOGINS = Number(values.logins);

interface Result {
  name: string;
  route: string;
  count: number;
  seconds: number;
  latencies: number[];
  records: FrameRecord[];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function measure(name: string, route: string, count: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<Result> {
  const records: FrameRecord[] = [];
  const stop = observeFrames((r) => r.route === route && records.push(r));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  stop();
  return { name, route, count, seconds, latencies: latencies.sort((a, b) => a - b), records };
}

const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0 });
const deps = getDeps();
console.error(`creating users (scrypt N=2^${deps.config.scryptLogN})…`);
await createAccount(deps, deps.config.scryptLogN, { username: 'bench', password: 'bench-secret', firstName: 'Bench', lastName: 'User' });

const results: Result[] = [];
const loginClient = await TestClient.connect(stack.url);
results.push(
  await measure('auth by credentials (production scrypt)', 'auth by credentials', LOGINS, 1, () =>
    loginClient.call('auth by credentials', { username: 'bench', password: 'bench-secret' }),
  ),
);
const login = await loginClient.call<{ userId: number; token: string }>('auth by credentials', { username: 'bench', password: 'bench-secret' });
const { userId } = login;
let { token } = login;
results.push(
  await measure('auth by token (rotation)', 'auth by token', Math.min(FRAMES, 500), 1, async () => {
    ({ token } = await loginClient.call<{ userId: number; token: string }>('auth by token', { userId, token }));
  }),
);

const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => TestClient.connect(stack.url)));
// Token logins: one password hash per client would only measure scrypt again.
for (const client of clients) ({ token } = await client.call<{ userId: number; token: string }>('auth by token', { userId, token }));
results.push(await measure('who am i', 'who am i', FRAMES, CONCURRENCY, (i) => clients[i % CONCURRENCY]!.call('who am i')));
results.push(await measure('ping', 'ping', FRAMES, CONCURRENCY, (i) => clients[i % CONCURRENCY]!.call('ping')));

await Promise.all([loginClient, ...clients].map((c) => c.close()));
await stack.close();

const rows = results.map((r) => {
  const avg = (f: (x: FrameRecord) => number) => r.records.reduce((s, x) => s + f(x), 0) / Math.max(1, r.records.length);
  const handlerMs = avg((x) => x.ms);
  const perFrame = { dynamoRequests: avg((x) => x.dynamoRequests), readUnits: avg((x) => x.readUnits), writeUnits: avg((x) => x.writeUnits), pushes: avg((x) => x.pushes) };
  const memoryMb = routeOf(r.route).memoryMb ?? 256;
  return {
    frame: r.name,
    n: r.count,
    'frames/s': Math.round(r.count / r.seconds),
    'p50 ms': percentile(r.latencies, 50).toFixed(1),
    'p95 ms': percentile(r.latencies, 95).toFixed(1),
    'p99 ms': percentile(r.latencies, 99).toFixed(1),
    'handler ms': handlerMs.toFixed(1),
    'DynamoDB req': perFrame.dynamoRequests.toFixed(1),
    RRU: perFrame.readUnits.toFixed(1),
    WRU: perFrame.writeUnits.toFixed(1),
    pushes: perFrame.pushes.toFixed(1),
    'USD / 1M frames': costPerMillion({ handlerMs, memoryMb, ...perFrame }).toFixed(2),
  };
});

const header = Object.keys(rows[0]!);
console.log(`\nLocal stack, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${FRAMES} frames, ${CONCURRENCY} clients\n`);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${Object.values(row).join(' | ')} |`);
console.log(`\nPrices (${PRICES.region}, ${PRICES.asOf}): ${PRICES.note}`);
