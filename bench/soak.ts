/**
 * `npm run soak`: the local stack under sustained load, for leaks and
 * slowdowns. Real gateway, handlers and embedded DynamoDB in this process,
 * real WebSocket clients on loopback; bounded in count and time.
 *
 * Each round: every device of every user connects and logs in with its
 * password, sends `--messages` messages (with a `client_id`, one at a time)
 * in its one-to-one dialog with its partner (whose devices are online and
 * get the pushes), then every connection closes. Messages are paced to
 * `--rate` per second in all (with jitter), below what the stack can take,
 * so latency shows the stack's own slowdowns rather than a queue. After each round: the
 * process's RSS and heap after a full GC, the gateway's live connections, and
 * the items in the store. Over the whole run: ack latency per tenth of the
 * run, and the TTL sweeps (count, time).
 *
 *   npm run soak -- [--users 200] [--devices 2] [--messages 20] [--rounds 4] [--rate 50] [--sweep-ms 5000] [--data-dir DIR]
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { createAccount } from '../lambdas/domain/provisioning';
import type { Dialog } from '../lambdas/protocol/objects';
import { tables } from '../lambdas/storage/tables';
import { startLocalStack } from '../local/stack';
import { benchArgs, percentile } from './support/args';
import { LeanClient, memory, pool, slices } from './support/load';

const values = benchArgs({ users: 200, devices: 2, messages: 20, rounds: 4, 'sweep-ms': 5000, rate: 50 }, ['data-dir']);
const USERS = values.users & ~1; // in pairs
const DEVICES = values.devices;
const MESSAGES = values.messages;
const ROUNDS = values.rounds;
/** Each connection's mean pause between two messages. */
const PAUSE_MS = ((USERS * DEVICES) / values.rate) * 1000;

// The stack's own sweeper is off; this one runs on the same period and times each sweep.
const stack = await startLocalStack({ port: 0, sweepIntervalMs: 0, dataDir: values['data-dir'], env: { SCRYPT_LOG_N: '10' } });
const deps = getDeps();
const password = 'soak-secret';
const accounts = await pool(Array.from({ length: USERS }, (_, i) => i), 8, (i) =>
  createAccount(deps, 10, { username: `soak${i}-${randomBytes(3).toString('hex')}`, password, firstName: 'Soak', lastName: String(i) }),
);
for (let i = 0; i < USERS; i += 2) await linkUsers(deps, accounts[i]!.id, accounts[i + 1]!.id);

const sweeps: number[] = [];
let sweeping = false;
const sweepMs = values['sweep-ms'];
const sweeper =
  sweepMs > 0
    ? setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        const t = performance.now();
        void stack.dynamo
          .sweepExpired()
          .then(() => sweeps.push(performance.now() - t))
          .finally(() => (sweeping = false));
      }, sweepMs)
    : undefined;

const countItems = async () => {
  const counts: string[] = [];
  for (const t of tables) {
    let n = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.db.send(new ScanCommand({ TableName: t.name, Select: 'COUNT', ExclusiveStartKey: start }));
      n += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    counts.push(`${t.name} ${n}`);
  }
  return counts.join(', ');
};

const acks: { at: number; ms: number }[] = [];
const started = performance.now();
const rows: Record<string, string>[] = [];
const record = async (label: string) => rows.push({ ...memory(label), live: String(stack.gateway.liveConnections()), items: await countItems() });
await record('boot (users created)');

let dialogs: Dialog[] | undefined;
let sent = 0;
let pushes = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const devices = Array.from({ length: USERS * DEVICES }, (_, i) => ({ user: i % USERS, device: Math.floor(i / USERS) }));
  const clients = await pool(devices, 50, async ({ user }) => {
    const client = await LeanClient.connect(stack.url);
    await client.call('auth by credentials', { username: accounts[user]!.username, password });
    return client;
  });
  dialogs ??= await pool(
    Array.from({ length: USERS / 2 }, (_, k) => k),
    20,
    (k) => clients[2 * k]!.call<Dialog>('new dialog', { bodies: [0, 1].map((j) => ({ recipient_id: accounts[2 * k + j]!.id, key_id: 1, key_from_id: 1, nonce: randomBytes(24).toString('base64'), name: randomBytes(64).toString('base64') })), recipients: [accounts[2 * k]!.id, accounts[2 * k + 1]!.id], dialog: {} }),
  );
  await Promise.all(
    clients.map(async (client, i) => {
      const user = i % USERS;
      const dialog = dialogs![Math.floor(user / 2)]!;
      for (let m = 0; m < MESSAGES; m++) {
        await new Promise((r) => setTimeout(r, PAUSE_MS * (0.5 + Math.random())));
        const t = performance.now();
        await client.call('new message', {
          message: { dialog_id: dialog.id, client_id: `r${round}-d${i}-m${m}` },
          bodies: Object.keys(dialog.Recipients).map((r) => ({ recipient_id: Number(r), key_id: 1, key_from_id: 1, nonce: randomBytes(24).toString('base64'), body: randomBytes(256).toString('base64') })),
        });
        acks.push({ at: t - started, ms: performance.now() - t });
        sent++;
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 500)); // the last pushes, sent after their acks
  pushes += clients.reduce((sum, c) => sum + c.pushes, 0);
  await Promise.all(clients.map((c) => c.close()));
  // $disconnect runs after the close: let it finish before measuring.
  for (let i = 0; i < 200 && stack.gateway.liveConnections() > 0; i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 1000));
  await record(`after round ${round} (all closed)`);
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sweeper);
while (sweeping) await new Promise((r) => setTimeout(r, 10));
await stack.close();

console.log(`\nLocal stack soak, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}: ${USERS} users × ${DEVICES} devices × ${MESSAGES} messages × ${ROUNDS} rounds, ` +
  `${values.rate} messages/s offered, sweeper every ${values['sweep-ms']} ms, store ${values['data-dir'] ? 'on disk' : 'in memory'}; ${sent} messages acked, ${pushes} pushes, ${seconds.toFixed(0)} s\n`);
console.log('| tenth of the run | acks | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|');
for (const k of slices(acks, 10)) console.log(`| ${k.part} | ${k.count} | ${k.p50.toFixed(1)} | ${k.p99.toFixed(1)} | ${k.max.toFixed(1)} |`);
console.log('\n| when | RSS MB | heap MB | external MB | live connections | items |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.rss} | ${r.heap} | ${r.external} | ${r.live} | ${r.items} |`);
const sorted = [...sweeps].sort((x, y) => x - y);
console.log(`\nTTL sweeps: ${sweeps.length}, median ${percentile(sorted, 50).toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms`);
