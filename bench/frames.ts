/**
 * `npm run bench`: latency, throughput and per-frame cost of the local stack,
 * with an AWS cost estimate per million frames. Real gateway, real handlers,
 * embedded DynamoDB, real WebSocket clients; bounded in count and time, on
 * loopback only.
 *
 * Messaging rows: `new message` to a one-to-one dialog and to a dialog of a
 * 10-member group (every recipient online, so each message is also that many
 * pushes), `get messages before` (a page of 30) and `give me messages`. Each
 * sending client writes to its own dialog: this measures the frame, not
 * senders queueing in one dialog (see docs/access-patterns.md).
 *
 * Modeled AWS: after its local runs, each scenario runs `--modeled` more
 * frames one at a time with the AWS latency model on (local/latency-model.ts;
 * LATENCY_MODEL_JSON and LATENCY_MODEL_SEED apply): send to ack, and for
 * messages send to the last recipient's push. "DynamoDB seq" is the frame's
 * sequential DynamoDB round trips (its critical path, lambdas/frame-cost.ts).
 *
 *   npm run bench -- [--frames 2000] [--concurrency 20] [--logins 5] [--modeled 100]
 */
import { availableParallelism } from 'node:os';
import { getDeps } from '../lambdas/deps';
import { randomBytes } from 'node:crypto';
import { linkUsers } from '../lambdas/domain/contacts';
import { createAccount } from '../lambdas/domain/provisioning';
import type { Dialog, Group } from '../lambdas/protocol/objects';
import { observeFrames, type FrameRecord } from '../lambdas/frame-cost';
import { routeOf } from '../lambdas/routes/table';
import { latencyModelFromEnv } from '../local/latency-model';
import { startLocalStack } from '../local/stack';
import { TestClient } from '../test/support/client';
import { BULK_RATE_LIMITS } from '../test/support/stack';
import { PRICES, costPerMillion } from './prices';
import { benchArgs, percentile } from './support/args';

const values = benchArgs({ frames: 2000, concurrency: 20, logins: 5, modeled: 100 });
const { frames: FRAMES, concurrency: CONCURRENCY, logins: LOGINS, modeled: MODELED } = values;
const nproc = availableParallelism();

interface Run {
  count: number;
  seconds: number;
  latencies: number[];
  records: FrameRecord[];
}

interface Result {
  name: string;
  route: string;
  /** One client, one frame at a time: latency and per-frame cost without queueing. */
  alone: Run;
  /** `concurrency` clients at once: throughput (absent for scenarios run by one client only). */
  loaded?: Run & { concurrency: number };
  /** One client, one frame at a time, with the AWS latency model on. */
  modeled: Run;
  /** Messages: send to the last recipient's `messages` push, with the model on (ms, ascending). */
  lastPush?: number[];
}

/** Sends, and resolves with the ms from sending until each of `recipients` has had a `messages` push. */
async function untilLastPush(recipients: TestClient[], send: () => Promise<unknown>): Promise<number> {
  for (const c of recipients) c.pushes.length = 0;
  const started = performance.now();
  const arrivals = recipients.map((c) => c.waitFor(() => (c.pushes.some((p) => p.event === 'messages') ? performance.now() : undefined), 10_000, 'messages push'));
  await send();
  return Math.max(...(await Promise.all(arrivals))) - started;
}

async function run(route: string, from: number, count: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<Run> {
  const records: FrameRecord[] = [];
  const stop = observeFrames((r) => r.route === route && records.push(r));
  const latencies: number[] = [];
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < from + count) {
        const i = next++;
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  stop();
  return { count, seconds: (performance.now() - started) / 1000, latencies: latencies.sort((x, y) => x - y), records };
}

/**
 * A quarter of the frames (at most 200) one at a time, then the rest with
 * `concurrency` clients, then `modeledCount` one at a time under the AWS
 * latency model (to the last push at `recipients(i)` when given).
 */
async function measure(
  name: string,
  route: string,
  count: number,
  concurrency: number,
  send: (i: number) => Promise<unknown>,
  { modeledCount = MODELED, recipients }: { modeledCount?: number; recipients?: (i: number) => TestClient[] } = {},
): Promise<Result> {
  const aloneCount = concurrency === 1 ? count : Math.min(200, Math.ceil(count / 4));
  const alone = await run(route, 0, aloneCount, 1, send);
  const loaded = concurrency === 1 ? undefined : { ...(await run(route, aloneCount, count - aloneCount, concurrency, send)), concurrency };
  const pushTimes: number[] = [];
  latency.active = true;
  const modeled = await run(route, count, modeledCount, 1, async (i) => {
    if (recipients) pushTimes.push(await untilLastPush(recipients(i), () => send(i)));
    else await send(i);
  });
  latency.active = false;
  return { name, route, alone, loaded, modeled, ...(recipients ? { lastPush: pushTimes.sort((x, y) => x - y) } : {}) };
}

// The per-user limits stay on (every limited frame pays its bucket's UpdateItem) but far away: one sender's
// hundreds of frames a second are the measurement here, not abuse.
// The AWS model's delays, off until a scenario's modeled run.
const latency = latencyModelFromEnv({ ...process.env, LATENCY_MODEL: 'aws' })!;
latency.active = false;
const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, latency, env: BULK_RATE_LIMITS });
const deps = getDeps();
console.error(`creating users (scrypt N=2^${deps.config.scryptLogN})…`);
await createAccount(deps, deps.config.scryptLogN, { username: 'bench', password: 'bench-secret', firstName: 'Bench', lastName: 'User' });

const results: Result[] = [];
const loginClient = await TestClient.connect(stack.url);
results.push(
  await measure('auth by credentials (production scrypt)', 'auth by credentials', LOGINS, 1, () =>
    loginClient.call('auth by credentials', { username: 'bench', password: 'bench-secret' }),
    { modeledCount: LOGINS },
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

// Messaging: CONCURRENCY senders, each with one connection (cheap password hashes: their logins are not measured).
// Sender i writes to its own one-to-one dialog (with receiver i) and to its own dialog of a 10-member group
// (senders 10k … 10k+9 form group k), so every message has one live connection per other recipient.
const GROUP_SIZE = 10;
const account = (name: string) => createAccount(deps, 10, { username: name, password: 'peer-secret', firstName: 'Peer', lastName: name });
const online = async (username: string) => {
  const client = await TestClient.connect(stack.url);
  const { userId: id } = await client.call<{ userId: number; token: string }>('auth by credentials', { username, password: 'peer-secret' });
  return { id, client };
};
const senderCount = Math.ceil(CONCURRENCY / GROUP_SIZE) * GROUP_SIZE;
const senderAccounts = await Promise.all(Array.from({ length: senderCount }, (_, i) => account(`sender${i}`)));
const receiverAccounts = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => account(`receiver${i}`)));
for (let i = 0; i < CONCURRENCY; i++) await linkUsers(deps, senderAccounts[i]!.id, receiverAccounts[i]!.id);
for (let i = 0; i < senderCount; i++) if (i % GROUP_SIZE !== 0) await linkUsers(deps, senderAccounts[i - (i % GROUP_SIZE)]!.id, senderAccounts[i]!.id);
const senders = await Promise.all(senderAccounts.map((a) => online(a.username)));
const receivers = await Promise.all(receiverAccounts.map((a) => online(a.username)));

const sealed = () => randomBytes(256).toString('base64'); // a short text, encrypted
const keyIds = (recipient: number) => ({ recipient_id: recipient, key_id: 1, key_from_id: 1, nonce: randomBytes(24).toString('base64') });
const nameBodies = (recipients: number[]) => recipients.map((r) => ({ ...keyIds(r), name: sealed() }));
const messageTo = (dialog: Dialog) => {
  const recipients = Object.keys(dialog.Recipients).map(Number);
  return { message: { dialog_id: dialog.id }, bodies: recipients.map((r) => ({ ...keyIds(r), body: sealed() })) };
};
const direct = await Promise.all(
  Array.from({ length: CONCURRENCY }, (_, i) => {
    const pair = [senders[i]!.id, receivers[i]!.id];
    return senders[i]!.client.call<Dialog>('new dialog', { bodies: nameBodies(pair), recipients: pair, dialog: {} });
  }),
);
const groupDialogs: Dialog[] = [];
for (let k = 0; k < senderCount; k += GROUP_SIZE) {
  const admin = senders[k]!;
  const members = senders.slice(k, k + GROUP_SIZE).map((s) => s.id);
  const group = await admin.client.call<Group>('new group', { bodies: nameBodies(members), recipients: members, admin_id: admin.id });
  for (let j = 0; j < GROUP_SIZE; j++) {
    groupDialogs.push(await admin.client.call<Dialog>('new dialog', { bodies: nameBodies(members), recipients: members, dialog: { group_id: group.id } }));
  }
}
const messagingClients = [...senders, ...receivers].map((p) => p.client);
const drain = () => messagingClients.forEach((c) => (c.pushes.length = 0));
results.push(
  await measure('new message (one to one)', 'new message', FRAMES, CONCURRENCY, (i) => senders[i % CONCURRENCY]!.client.call('new message', messageTo(direct[i % CONCURRENCY]!)), {
    recipients: (i) => [receivers[i % CONCURRENCY]!.client],
  }),
);
drain();
const groupOf = (sender: number) => senders.slice(sender - (sender % GROUP_SIZE), sender - (sender % GROUP_SIZE) + GROUP_SIZE);
results.push(
  await measure(
    `new message (group of ${GROUP_SIZE})`,
    'new message',
    FRAMES,
    CONCURRENCY,
    (i) => senders[i % CONCURRENCY]!.client.call('new message', messageTo(groupDialogs[i % CONCURRENCY]!)),
    { recipients: (i) => groupOf(i % CONCURRENCY).filter((s) => s !== senders[i % CONCURRENCY]).map((s) => s.client) },
  ),
);
drain();
results.push(
  await measure('get messages before (30 of a long dialog)', 'get messages before', FRAMES, CONCURRENCY, (i) =>
    senders[i % CONCURRENCY]!.client.call('get messages before', { dialog_id: groupDialogs[i % CONCURRENCY]!.id, last_date: '2094-01-01 00:00:00' }),
  ),
);
// A group member: 11 dialogs, with hundreds of unread messages (at most 100 are read).
results.push(await measure('give me messages', 'give me messages', Math.min(FRAMES, 500), CONCURRENCY, (i) => senders[i % CONCURRENCY]!.client.call('give me messages')));
// 10 of the messages of one page, marked read again and again: the same round trips each time (after the first, each copy's update is refused by its condition).
const readable = await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, i) => {
    const page = await senders[i]!.client.call<{ id: number }[]>('get messages before', { dialog_id: groupDialogs[i]!.id, last_date: '2094-01-01 00:00:00' });
    return page.slice(0, 10).map((m) => m.id);
  }),
);
results.push(await measure('read messages (10)', 'read messages', Math.min(FRAMES, 500), CONCURRENCY, (i) => senders[i % CONCURRENCY]!.client.call('read messages', { ids: readable[i % CONCURRENCY] })));
// The start-up reads of a client (a small network here: 1–10 contacts, 1–11 dialogs, 0–1 group; bench:scale has 1,500 contacts).
for (const frame of ['give me users', 'give me keys', 'give me dialogs', 'give me groups', 'give me presence']) {
  results.push(await measure(frame, frame, Math.min(FRAMES, 500), CONCURRENCY, (i) => senders[i % CONCURRENCY]!.client.call(frame)));
}

await Promise.all([loginClient, ...clients, ...messagingClients].map((c) => c.close()));
await stack.close();

const rows = results.map(({ name, route, alone, loaded, modeled, lastPush }) => {
  const avg = (f: (x: FrameRecord) => number) => alone.records.reduce((sum, x) => sum + f(x), 0) / Math.max(1, alone.records.length);
  const handlerMs = avg((x) => x.ms);
  const roundTrips = avg((x) => x.dynamoRoundTrips);
  const perFrame = { dynamoRequests: avg((x) => x.dynamoRequests), readUnits: avg((x) => x.readUnits), writeUnits: avg((x) => x.writeUnits), pushes: avg((x) => x.pushes) };
  const memoryMb = routeOf(route).memoryMb ?? 256;
  return {
    frame: name,
    'p50 ms': percentile(alone.latencies, 50).toFixed(1),
    'p95 ms': percentile(alone.latencies, 95).toFixed(1),
    'handler ms': handlerMs.toFixed(1),
    'frames/s loaded': loaded ? String(Math.round(loaded.count / loaded.seconds)) : '—',
    'p95 ms loaded': loaded ? percentile(loaded.latencies, 95).toFixed(1) : '—',
    'DynamoDB req': perFrame.dynamoRequests.toFixed(1),
    'DynamoDB seq': roundTrips.toFixed(1),
    'AWS p50 ms': percentile(modeled.latencies, 50).toFixed(0),
    'AWS p95 ms': percentile(modeled.latencies, 95).toFixed(0),
    'AWS last push p50 / p95 ms': lastPush ? `${percentile(lastPush, 50).toFixed(0)} / ${percentile(lastPush, 95).toFixed(0)}` : '—',
    RRU: perFrame.readUnits.toFixed(1),
    WRU: perFrame.writeUnits.toFixed(1),
    pushes: perFrame.pushes.toFixed(1),
    'USD / 1M frames': costPerMillion({ handlerMs, memoryMb, ...perFrame }).toFixed(2),
  };
});

const header = Object.keys(rows[0]!);
console.log(`\nLocal stack, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${nproc} cores: one client at a time, then ${CONCURRENCY} clients at once ("loaded"); cost from the one-client run\n`);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${Object.values(row).join(' | ')} |`);
console.log(`\nAWS columns: ${MODELED} frames per row (${LOGINS} logins) one at a time under the AWS latency model (local/latency-model.ts, seed ${process.env.LATENCY_MODEL_SEED ?? 1}${process.env.LATENCY_MODEL_JSON ? ', LATENCY_MODEL_JSON set' : ''}): local compute plus modeled API Gateway, Lambda, DynamoDB and Management API delays; no client-to-AWS network.`);
console.log(`\nPrices (${PRICES.region}, ${PRICES.asOf}): ${PRICES.note}`);
console.log('A `new message` row is the cost of one message: its DynamoDB writes (one copy per recipient), its pushes (one per other live connection) and its Lambda time.');
