/**
 * `npm run bench:fanout` (and the second half of `npm run bench`): `new
 * message` to a group dialog of 2, 30 and 256 recipients, every recipient
 * online on a real WebSocket connection. The sender is the client SDK, so a
 * frame over 32 KB goes as chunked frames, as a browser's would. Per message:
 * time to the ack and to the last recipient's push, the Lambda invocations
 * (chunks included), DynamoDB requests and units, pushes, and the AWS cost
 * per million messages (bench/prices.ts). One message at a time: this
 * measures the fan-out, not queueing.
 *
 *   npm run bench:fanout -- [--messages 20] [--sizes 2,30,256]
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { connect } from '../client/index';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { createAccount } from '../lambdas/domain/provisioning';
import { observeFrames, type FrameRecord } from '../lambdas/frame-cost';
import type { Dialog, Group, Message } from '../lambdas/protocol/objects';
import { routeOf } from '../lambdas/routes/table';
import { mapBounded } from '../lambdas/storage/store';
import { startLocalStack } from '../local/stack';
import { TestClient } from '../test/support/client';
import { BULK_RATE_LIMITS } from '../test/support/stack';
import { PRICES, costPerMillion } from './prices';
import { benchArgs, median, p95 } from './support/args';

const values = benchArgs({ messages: 20 }, ['sizes']);
const SIZES = (values.sizes ?? '2,30,256').split(',').map(Number);
const MESSAGES = values.messages;

const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, env: { ...BULK_RATE_LIMITS, SCRYPT_LOG_N: '10' } });
const deps = getDeps();

const sealed = (bytes: number) => randomBytes(bytes).toString('base64');
const keyIds = (recipient: number) => ({ recipient_id: recipient, key_id: 1, key_from_id: 1, nonce: sealed(24) });
const names = (recipients: number[]) => recipients.map((r) => ({ ...keyIds(r), name: sealed(48) }));
// A short text, encrypted: ~300 bytes of base64 per recipient (at 256 recipients, a ~110 KB frame).
const messageTo = (dialog: number, recipients: number[]) => ({ message: { dialog_id: dialog }, bodies: recipients.map((r) => ({ ...keyIds(r), body: sealed(225) })) });

let serial = 0;
interface Row {
  recipients: number;
  ack: number[];
  lastPush: number[];
  records: FrameRecord[][];
  frameBytes: number;
}

const rows: Row[] = [];
for (const size of SIZES) {
  const run = ++serial;
  console.error(`group of ${size}: creating and logging in its members…`);
  const accounts = [];
  for (let i = 0; i < size; i++) accounts.push(await createAccount(deps, 10, { username: `fan${run}-${i}`, password: 'fan-secret' }));
  for (const a of accounts.slice(1)) await linkUsers(deps, accounts[0]!.id, a.id);
  const members = await mapBounded(accounts.slice(1), 16, async (a) => {
    const client = await TestClient.connect(stack.url);
    await client.call('auth by credentials', { username: a.username, password: 'fan-secret' });
    return { id: a.id, client };
  });
  const sender = connect(stack.url, { WebSocket, heartbeatMs: 0, ackTimeoutMs: 60_000, reconnection: false });
  await sender.login({ username: accounts[0]!.username, password: 'fan-secret' });
  const ids = accounts.map((a) => a.id);
  const group = (await sender.emitWithAck('new group', { bodies: names(ids), recipients: ids, admin_id: ids[0]! })) as Group;
  const dialog = (await sender.emitWithAck('new dialog', { bodies: names(ids), recipients: ids, dialog: { group_id: group.id } })) as Dialog;
  const row: Row = { recipients: size, ack: [], lastPush: [], records: [], frameBytes: Buffer.byteLength(JSON.stringify(messageTo(dialog.id, ids))) };
  for (let m = 0; m < MESSAGES; m++) {
    for (const member of members) member.client.pushes.length = 0;
    const records: FrameRecord[] = [];
    const stop = observeFrames((r) => r.route === 'new message' && records.push(r));
    const started = performance.now();
    const sent = (await sender.emitWithAck('new message', messageTo(dialog.id, ids))) as Message;
    row.ack.push(performance.now() - started);
    await Promise.all(members.map((member) => member.client.waitFor(() => member.client.pushes.find((p) => p.event === 'messages' && (p.data as Message[]).some((x) => x.id === sent.id)), 30_000, 'push')));
    row.lastPush.push(performance.now() - started);
    stop();
    row.records.push(records);
  }
  rows.push(row);
  sender.close();
  await Promise.all(members.map((member) => member.client.close()));
}
await stack.close();

const memoryMb = routeOf('new message').memoryMb ?? 256;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const table = rows.map((row) => {
  const per = (f: (r: FrameRecord) => number) => mean(row.records.map((rs) => rs.reduce((sum, r) => sum + f(r), 0)));
  const invocations = per(() => 1);
  const usage = { handlerMs: per((r) => r.ms), memoryMb, dynamoRequests: per((r) => r.dynamoRequests), readUnits: per((r) => r.readUnits), writeUnits: per((r) => r.writeUnits), pushes: per((r) => r.pushes) };
  // costPerMillion counts one invocation and one inbound message; each further chunk is one more of each.
  const usd = costPerMillion(usage) + (invocations - 1) * (PRICES.lambdaRequest + PRICES.websocketMessage);
  return {
    recipients: String(row.recipients),
    'frame KB': (row.frameBytes / 1024).toFixed(1),
    'ack p50 ms': median(row.ack).toFixed(1),
    'last push p50 ms': median(row.lastPush).toFixed(1),
    'last push p95 ms': p95(row.lastPush).toFixed(1),
    invocations: invocations.toFixed(1),
    'handler ms': usage.handlerMs.toFixed(1),
    'DynamoDB req': usage.dynamoRequests.toFixed(1),
    RRU: usage.readUnits.toFixed(1),
    WRU: usage.writeUnits.toFixed(1),
    pushes: usage.pushes.toFixed(1),
    'USD / 1M messages': usd.toFixed(2),
  };
});
const header = Object.keys(table[0]!);
console.log(`\n\`new message\` fan-out, local stack, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, PUSH_CONCURRENCY ${deps.config.pushConcurrency}, ${MESSAGES} messages per size, one at a time\n`);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of table) console.log(`| ${Object.values(row).join(' | ')} |`);
console.log(`\nPrices (${PRICES.region}, ${PRICES.asOf}). Invocations: the chunks of a frame over 32 KB each invoke the route; the last one runs the frame.`);
process.exit(0);
