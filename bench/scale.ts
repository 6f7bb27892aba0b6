/**
 * `npm run bench:scale`: a user with a real-sized network — by default 1,500
 * accepted contacts with two keys each, 1,000 dialogs and 200 groups — asks
 * every start-up read through the client SDK on the real local stack; then
 * `give me users` latency at 2, 200 and 1,500 contacts. Checks that every
 * answer is complete and that no frame on the wire is over 128 KB, and prints
 * latency, answer size, chunk frames and the handler's DynamoDB requests.
 *
 *   npm run bench:scale -- [--contacts 1500] [--dialogs 1000] [--groups 200] [--runs 20]
 */
import { connect, type MessengerClient } from '../client/index';
import { getDeps } from '../lambdas/deps';
import { createAccount } from '../lambdas/domain/provisioning';
import { observeFrames, type FrameRecord } from '../lambdas/frame-cost';
import { provisionNetwork } from '../local/provision-network';
import { startLocalStack } from '../local/stack';
import { recordingWebSocket } from '../test/support/sdk';
import { benchArgs, median, p95 } from './support/args';

const values = benchArgs({ contacts: 1500, dialogs: 1000, groups: 200, runs: 20 });
const RUNS = values.runs;
const PASSWORD = 'bench-scale-secret';

const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, env: { SCRYPT_LOG_N: '10' } });
const records: FrameRecord[] = [];
const unobserve = observeFrames((r) => records.push(r));
let owners = 0;

async function owner(size: Parameters<typeof provisionNetwork>[2]) {
  const username = `bench-owner-${++owners}`;
  const user = await createAccount(getDeps(), 10, { username, password: PASSWORD });
  const started = performance.now();
  const network = await provisionNetwork(getDeps(), user.id, size);
  return { username, id: user.id, network, provisionMs: performance.now() - started };
}

async function login(username: string) {
  const ws = recordingWebSocket();
  const client = connect(stack.url, { WebSocket: ws.WebSocket, heartbeatMs: 0, ackTimeoutMs: 60_000, reconnection: false });
  await client.login({ username, password: PASSWORD });
  return { client, ws };
}

interface Row {
  frame: string;
  size: string;
  items: number;
  p50: number;
  p95: number;
  bytes: number;
  chunks: number;
  requests: number;
}

async function measure(client: MessengerClient, ws: ReturnType<typeof recordingWebSocket>, frame: string, size: string, runs: number, count: (result: unknown) => number, expected: number): Promise<Row> {
  const latencies: number[] = [];
  let bytes = 0;
  let chunks = 0;
  let requests = 0;
  for (let i = 0; i < runs; i++) {
    const before = ws.last.received.length;
    records.length = 0;
    const started = performance.now();
    const result = await client.untyped.emitWithAck(frame);
    latencies.push(performance.now() - started);
    if (count(result) !== expected) throw new Error(`${frame}: ${count(result)} items, expected ${expected}`);
    const frames = ws.last.received.slice(before);
    for (const f of frames) if (Buffer.byteLength(JSON.stringify(f)) >= 128 * 1024) throw new Error(`${frame}: a wire frame over 128 KB`);
    bytes = Buffer.byteLength(JSON.stringify(result));
    chunks = frames.filter((f) => 'chunk' in f).length;
    requests = records.find((r) => r.route === frame)?.dynamoRequests ?? 0;
  }
  return { frame, size, items: expected, p50: median(latencies), p95: p95(latencies), bytes, chunks, requests };
}

const rows: Row[] = [];
const length = (result: unknown) => (result as unknown[]).length;
try {
  const full = await owner({ contacts: values.contacts, keysPerContact: 2, dialogs: values.dialogs, groups: values.groups });
  console.error(`provisioned ${values.contacts} contacts, ${values.dialogs} dialogs, ${values.groups} groups in ${(full.provisionMs / 1000).toFixed(1)} s`);
  const { client, ws } = await login(full.username);
  const contacts = full.network.contactIds.length;
  const size = `${contacts} contacts, ${full.network.dialogIds.length} dialogs, ${full.network.groupIds.length} groups`;
  const keysOfOthers = (result: unknown) => (result as { user_id: number }[]).filter((k) => k.user_id !== full.id).length;
  rows.push(await measure(client, ws, 'give me users', size, RUNS, length, contacts));
  rows.push(await measure(client, ws, 'give me keys', size, RUNS, keysOfOthers, contacts * 2));
  rows.push(await measure(client, ws, 'give me dialogs', size, RUNS, length, full.network.dialogIds.length));
  rows.push(await measure(client, ws, 'give me groups', size, RUNS, length, full.network.groupIds.length));
  rows.push(await measure(client, ws, 'give me presence', size, RUNS, (result) => Object.keys(result as object).length, contacts));
  client.close();
  for (const n of [2, 200]) {
    const small = await owner({ contacts: n, keysPerContact: 2 });
    const session = await login(small.username);
    rows.push(await measure(session.client, session.ws, 'give me users', `${n} contacts`, RUNS, length, n));
    session.client.close();
  }
} finally {
  unobserve();
  await stack.close();
}

console.log('| frame | network | items | p50 ms | p95 ms | answer bytes | chunk frames | DynamoDB requests |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.frame} | ${r.size} | ${r.items} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.bytes.toLocaleString('en')} | ${r.chunks} | ${r.requests} |`);
