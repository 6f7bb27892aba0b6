/**
 * `npm run load`: N users × M devices × K messages through the local stack
 * (gateway, handlers and embedded DynamoDB in this process, real WebSocket
 * clients on loopback), bounded in count and time, counting what was lost or
 * duplicated:
 *
 * - acks: every `new message` gets exactly one, without error;
 * - pushes: every acked message reaches, once, each other device of the
 *   sender and every device of the recipient (a `messages` push);
 * - stored copies: each user's history of the dialog (paged through
 *   `get messages before`) holds each acked message once (by its `client_id`,
 *   which the test body carries).
 *
 * Users are in linked pairs with one dialog each; every device sends its K
 * messages one at a time, paced to `--rate` messages per second in all (0:
 * each as soon as the previous one is acked). Reports ack latency per quarter
 * of the run and memory: at boot, after logins, the peak while sending (no
 * forced GC), and after a full GC once every connection has closed.
 *
 *   npm run load -- [--users 100] [--devices 2] [--messages 20] [--rate 100] [--deadline-s 300]
 */
import { randomBytes } from 'node:crypto';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { createAccount } from '../lambdas/domain/provisioning';
import type { Dialog, Message } from '../lambdas/protocol/objects';
import { LIMITS } from '../lambdas/protocol/schemas';
import { startLocalStack } from '../local/stack';
import { benchArgs } from './support/args';
import { LeanClient, mb, memory, pool, sleep, slices } from './support/load';

const values = benchArgs({ users: 100, devices: 2, messages: 20, rate: 100, 'deadline-s': 300 });
const USERS = values.users & ~1; // in pairs
const DEVICES = values.devices;
const MESSAGES = values.messages;
const RATE = values.rate;
const DEADLINE = performance.now() + values['deadline-s'] * 1000;
/** Each connection's mean pause between two messages. */
const PAUSE_MS = RATE > 0 ? ((USERS * DEVICES) / RATE) * 1000 : 0;

const seal = (text: string) => Buffer.from(text).toString('base64');
const unseal = (b64: string) => Buffer.from(b64, 'base64').toString();

const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, env: { SCRYPT_LOG_N: '10' } });
const deps = getDeps();
const password = 'load-secret';
const run = randomBytes(3).toString('hex');
const accounts = await pool(Array.from({ length: USERS }, (_, i) => i), 8, (i) =>
  createAccount(deps, 10, { username: `load${i}-${run}`, password, firstName: 'Load', lastName: String(i) }),
);
for (let i = 0; i < USERS; i += 2) await linkUsers(deps, accounts[i]!.id, accounts[i + 1]!.id);
const partnerOf = (user: number) => user ^ 1;

const rows = [memory('boot (users created)')];

// Device i is device ⌊i / USERS⌋ of user i % USERS.
const devices = Array.from({ length: USERS * DEVICES }, (_, i) => ({ user: i % USERS, device: Math.floor(i / USERS) }));
const devicesOf = (user: number) => devices.flatMap((d, i) => (d.user === user ? [i] : []));
const clients = await pool(devices, 50, async ({ user }) => {
  const client = await LeanClient.connect(stack.url);
  await client.call('auth by credentials', { username: accounts[user]!.username, password });
  return client;
});
const dialogs = await pool(Array.from({ length: USERS / 2 }, (_, k) => k), 20, (k) =>
  clients[2 * k]!.call<Dialog>('new dialog', {
    bodies: [0, 1].map((j) => ({ recipient_id: accounts[2 * k + j]!.id, key_id: 1, key_from_id: 1, nonce: seal('n'), name: seal('dialog') })),
    recipients: [accounts[2 * k]!.id, accounts[2 * k + 1]!.id],
    dialog: {},
  }),
);
const dialogOf = (user: number) => dialogs[Math.floor(user / 2)]!;
await sleep(500); // the `dialog` pushes
rows.push(memory(`${clients.length} connections logged in`));

/** Pushed `messages` per device and message id. */
const pushed = clients.map(() => new Map<number, number>());
clients.forEach((client, i) => {
  client.onPush = (push) => {
    if (push.event !== 'messages') return;
    for (const m of push.data as Message[]) pushed[i]!.set(m.id, (pushed[i]!.get(m.id) ?? 0) + 1);
  };
});

let peak = { rss: 0, heap: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak = { rss: Math.max(peak.rss, m.rss), heap: Math.max(peak.heap, m.heapUsed) };
}, 250);

/** Every acked message: who sent it from which device, under which client_id. */
const acked: { id: number; device: number; clientId: string }[] = [];
const latencies: { at: number; ms: number }[] = [];
const errors = new Map<string, number>();
let noAck = 0;
let notSent = 0;
const started = performance.now();
await Promise.all(
  clients.map(async (client, i) => {
    const { user } = devices[i]!;
    const dialog = dialogOf(user);
    const recipients = Object.keys(dialog.Recipients).map(Number);
    for (let m = 0; m < MESSAGES; m++) {
      if (PAUSE_MS) await sleep(PAUSE_MS * (0.5 + Math.random()));
      if (performance.now() > DEADLINE) {
        notSent += MESSAGES - m;
        return;
      }
      const clientId = `${run}-d${i}-m${m}`;
      const t = performance.now();
      const ack = await client.request('new message', {
        message: { dialog_id: dialog.id, client_id: clientId },
        bodies: recipients.map((r) => ({ recipient_id: r, key_id: 1, key_from_id: 1, nonce: seal('n'), body: seal(clientId) })),
      });
      if (!ack) noAck++;
      else if (ack.error !== null) errors.set(ack.error, (errors.get(ack.error) ?? 0) + 1);
      else {
        latencies.push({ at: t - started, ms: performance.now() - t });
        acked.push({ id: (ack.result as Message).id, device: i, clientId });
      }
    }
  }),
);
const sendSeconds = (performance.now() - started) / 1000;

/** Devices that must hear of a message: the sender's others and all of the recipient's. */
const audience = (device: number) => [...devicesOf(devices[device]!.user).filter((d) => d !== device), ...devicesOf(partnerOf(devices[device]!.user))];
const missingPushes = () => acked.reduce((n, a) => n + audience(a.device).filter((d) => !pushed[d]!.has(a.id)).length, 0);
// Pushes are sent after their ack: give the last ones time to land.
for (let i = 0; i < 100 && missingPushes() > 0; i++) await sleep(50);
clearInterval(sampler);
rows.push({ label: 'peak while sending (no forced GC)', rss: mb(peak.rss), heap: mb(peak.heap), external: '–' });

const expectedPushes = acked.reduce((n, a) => n + audience(a.device).length, 0);
const lostPushes = missingPushes();
const duplicatePushes = pushed.reduce((n, byId) => n + [...byId.values()].reduce((s, c) => s + c - 1, 0), 0);

/** Each user's stored copies, by client_id, read through the protocol from the user's first device. */
async function storedCopies(user: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const client = clients[devicesOf(user)[0]!]!;
  let beforeId: number | undefined;
  for (;;) {
    const page = await client.call<Message[]>('get messages before', { dialog_id: dialogOf(user).id, last_date: '2094-01-01 00:00:00', limit: LIMITS.pageMax, ...(beforeId ? { before_id: beforeId } : {}) });
    for (const m of page) if (m.Body) counts.set(unseal(m.Body.body), (counts.get(unseal(m.Body.body)) ?? 0) + 1);
    if (page.length < LIMITS.pageMax) return counts;
    beforeId = page.at(-1)!.id;
  }
}
const stored = await pool(Array.from({ length: USERS }, (_, u) => u), 20, storedCopies);
let lostCopies = 0;
for (const a of acked) for (const user of [devices[a.device]!.user, partnerOf(devices[a.device]!.user)]) if (!stored[user]!.has(a.clientId)) lostCopies++;
const duplicateCopies = stored.reduce((n, byId) => n + [...byId.values()].reduce((s, c) => s + c - 1, 0), 0);
const strayAcks = clients.reduce((n, c) => n + c.strayAcks, 0);

await Promise.all(clients.map((c) => c.close()));
// $disconnect runs after the close: let it finish before measuring.
for (let i = 0; i < 400 && stack.gateway.liveConnections() > 0; i++) await sleep(25);
await sleep(1000);
rows.push(memory(`after every connection closed (${stack.gateway.liveConnections()} live)`));
await stack.close();

const total = USERS * DEVICES * MESSAGES;
console.log(
  `\nnpm run load -- --users ${USERS} --devices ${DEVICES} --messages ${MESSAGES} --rate ${RATE} (${new Date().toISOString().slice(0, 10)}, Node ${process.version}): ` +
    `${clients.length} connections, ${total} messages, sent in ${sendSeconds.toFixed(1)} s (${(acked.length / sendSeconds).toFixed(0)} acked/s)\n`,
);
console.log('| | expected | lost | duplicated |\n|---|---|---|---|');
console.log(`| acks | ${total} | ${noAck} no ack, ${[...errors].map(([e, n]) => `${n} \`${e}\``).join(', ') || '0 errors'}, ${notSent} not sent by the deadline | ${strayAcks} |`);
console.log(`| pushes | ${expectedPushes} | ${lostPushes} | ${duplicatePushes} |`);
console.log(`| stored copies | ${acked.length * 2} | ${lostCopies} | ${duplicateCopies} |`);
console.log('\n| quarter of the run | acks | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|');
for (const q of slices(latencies, 4)) console.log(`| ${q.part} | ${q.count} | ${q.p50.toFixed(1)} | ${q.p99.toFixed(1)} | ${q.max.toFixed(1)} |`);
console.log('\n| when | RSS MB | heap MB | external MB |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.rss} | ${r.heap} | ${r.external} |`);
const failed = noAck + errors.size + notSent + strayAcks + lostPushes + duplicatePushes + lostCopies + duplicateCopies;
process.exitCode = failed ? 1 : 0;
