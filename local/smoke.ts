/**
 * Smoke check of a running deployment: `npm run smoke -- --url <wss or ws URL>
 * [--region R --data-table T --connections-table C]`. Creates two throwaway
 * users through the operator CLI (`npm run admin`, same target flags), then
 * over real WebSockets: login → who am i → link → new dialog → new message
 * (the other user receives the push) → presence → log me out, printing each
 * step's latency. Deletes what it created and exits non-zero on the first
 * failure. Locally the target is the stack on PORT (DynamoDB on PORT+1) or
 * DYNAMODB_ENDPOINT, as for the operator CLI.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { WebSocket } from 'ws';
import type { Config } from '../lambdas/config';
import { createDeps } from '../lambdas/deps';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    region: { type: 'string' },
    'data-table': { type: 'string' },
    'connections-table': { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
});
if (!values.url) {
  console.error('usage: npm run smoke -- --url <wss or ws URL> [--region R --data-table T --connections-table C]');
  process.exit(2);
}
const url = values.url;
const timeoutMs = Number(values['timeout-ms'] ?? 15_000);
const targetFlags = values.region ? ['--region', values.region, '--data-table', values['data-table'] ?? '', '--connections-table', values['connections-table'] ?? ''] : [];

interface Frame {
  event?: string;
  ackId?: number;
  error?: string | null;
  result?: unknown;
  data?: unknown;
}

/** One user's connection: requests with ackIds, pushes kept until taken. */
class Connection {
  private nextAck = 1;
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const text = raw.toString();
      if (text === '') return; // a route answered without a body
      this.frames.push(JSON.parse(text) as Frame);
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  static open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new Connection(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`connect refused: HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  private take(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const attempt = () => {
        const index = this.frames.findIndex(match);
        if (index < 0) return void this.waiters.push(attempt);
        clearTimeout(timer);
        resolve(this.frames.splice(index, 1)[0]!);
      };
      attempt();
    });
  }

  async call<T>(event: string, data?: unknown): Promise<T> {
    const ackId = this.nextAck++;
    this.socket.send(JSON.stringify({ event, data, ackId }));
    const ack = await this.take((f) => f.ackId === ackId, `the ack of ${event}`);
    if (ack.error !== null) throw new Error(`${event} answered ${JSON.stringify(ack.error)}`);
    return ack.result as T;
  }

  push<T>(event: string): Promise<T> {
    return this.take((f) => f.ackId === undefined && f.event === event, `the ${event} push`).then((f) => f.data as T);
  }

  close(): void {
    this.socket.close();
  }
}

const admin = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The operator CLI, as an operator would run it against this target. */
async function operator(...args: string[]): Promise<any> {
  const { stdout } = await admin(process.execPath, ['--import', 'tsx', 'local/admin.ts', ...args, ...targetFlags], { cwd: root, env: { ...process.env, ...localTarget() } });
  return JSON.parse(stdout);
}

/** Locally: the stack's DynamoDB beside the URL's port, as `npm run admin` finds it (unless DYNAMODB_ENDPOINT says). */
function localTarget(): Record<string, string> {
  if (values.region) return {};
  const port = Number(new URL(url).port || 80);
  return { PORT: String(port), DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${port + 1}` };
}

const steps: { step: string; ms: number }[] = [];
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const value = await run();
  const ms = Math.round(performance.now() - started);
  steps.push({ step: name, ms });
  console.log(`  ok  ${name.padEnd(44)} ${String(ms).padStart(5)} ms`);
  return value;
}

const seal = (text: string) => Buffer.from(text).toString('base64');
const keyFields = (recipient: number) => ({ recipient_id: recipient, key_id: 1, key_from_id: 1, nonce: seal(`nonce ${recipient}`) });

const suffix = randomBytes(4).toString('hex');
const users = ['a', 'b'].map((who) => ({ username: `smoke-${suffix}-${who}`, password: `smoke-${randomBytes(12).toString('hex')}`, id: 0 }));
const created = { dialogs: [] as number[], messages: [] as number[] };
const connections: Connection[] = [];

async function run() {
  console.log(`smoke check of ${url}`);
  for (const user of users) {
    user.id = (await step(`create user ${user.username} (operator CLI)`, () => operator('create-user', '--username', user.username, '--password', user.password, '--first-name', 'Smoke', '--last-name', 'Test'))).id;
  }
  const [a, b] = users as [(typeof users)[0], (typeof users)[0]];
  const [ca, cb] = await step('connect both', () => Promise.all([Connection.open(), Connection.open()]));
  connections.push(ca, cb);
  await step('auth by credentials (both)', () =>
    Promise.all([ca.call('auth by credentials', { username: a.username, password: a.password }), cb.call('auth by credentials', { username: b.username, password: b.password })]),
  );
  const me = await step('who am i', () => ca.call<{ id: number }>('who am i'));
  if (me.id !== a.id) throw new Error(`who am i answered user ${me.id}, not ${a.id}`);
  await step('link: handle userlink request + accept', async () => {
    await ca.call('handle userlink', { from_user_id: a.id, to_user_id: b.id, action: 'request' });
    await cb.call('handle userlink', { from_user_id: b.id, to_user_id: a.id, action: 'accept' });
  });
  const recipients = [a.id, b.id];
  const dialog = await step('new dialog', () =>
    ca.call<{ id: number }>('new dialog', { recipients, dialog: {}, bodies: recipients.map((r) => ({ ...keyFields(r), name: seal(`smoke for ${r}`) })) }),
  );
  created.dialogs.push(dialog.id);
  const pushed = cb.push<{ id: number }[]>('messages');
  const message = await step('new message', () =>
    ca.call<{ id: number }>('new message', { message: { dialog_id: dialog.id }, bodies: recipients.map((r) => ({ ...keyFields(r), body: seal(`hello ${r}`) })) }),
  );
  created.messages.push(message.id);
  const received = await step('messages push received by the other user', () => pushed);
  if (!received.some((m) => m.id === message.id)) throw new Error(`the messages push did not carry message ${message.id}`);
  const presence = await step('give me presence', () => ca.call<Record<string, boolean>>('give me presence'));
  if (presence[String(b.id)] !== true) throw new Error(`presence of ${b.id}: ${JSON.stringify(presence)}`);
  await step('log me out (both)', () => Promise.all([ca.call('log me out'), cb.call('log me out')]));
}

/** Deletes every item of the partitions the run created (users, their links, names and rate buckets, dialog, message and its outbox, inboxes, token families). */
async function cleanUp() {
  const config = {
    connectionsTable: values['connections-table'] ?? 'Connections',
    dataTable: values['data-table'] ?? 'Data',
    region: values.region ?? 'local',
    dynamoEndpoint: localTarget().DYNAMODB_ENDPOINT,
    managementEndpoint: '',
  } as Config;
  const { db } = createDeps({ ...config, pushConcurrency: 1 } as Config);
  // The dialogs and messages first: the stream consumers derive memberships and copies from them, and must
  // find nothing to repair once the derived items go.
  const partitions = [
    ...created.dialogs.map((d) => `DIALOG#${d}`),
    ...created.messages.flatMap((m) => [`MSG#${m}`, `OUTBOX#${m}`]),
    ...users.flatMap((u) => [`USER#${u.id}`, `USERNAME#${u.username}`, `LOGINFAIL#${u.username}`, `RATE#${u.id}`, ...created.dialogs.map((d) => `INBOX#${u.id}#${d}`)]),
  ];
  for (const user of users.filter((u) => u.id)) {
    const families = await db.send(new QueryCommand({ TableName: config.dataTable, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': `USERFAMILIES#${user.id}` } }));
    partitions.push(...(families.Items ?? []).map((item) => String(item.pk)));
  }
  let deleted = 0;
  for (const pk of partitions) {
    const items = await db.send(new QueryCommand({ TableName: config.dataTable, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ProjectionExpression: 'pk, sk' }));
    const keys = (items.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    for (let at = 0; at < keys.length; at += 25) {
      await db.send(new BatchWriteCommand({ RequestItems: { [config.dataTable]: keys.slice(at, at + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
    }
    deleted += keys.length;
  }
  console.log(`  cleaned up ${deleted} items`);
}

let failed = false;
try {
  await run();
  const total = steps.reduce((sum, s) => sum + s.ms, 0);
  console.log(`smoke check passed: ${steps.length} steps, ${total} ms`);
} catch (error) {
  failed = true;
  console.error(`  FAILED after ${steps.length} steps: ${(error as Error).message}`);
} finally {
  connections.forEach((c) => c.close());
  // Let $disconnect run first: it writes the users' presence items.
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await cleanUp();
  } catch (error) {
    failed = true;
    console.error(`  clean-up failed: ${(error as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
