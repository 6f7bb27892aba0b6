/**
 * Child process of the message crash test (test/support/message-crash.ts):
 * runs the whole local stack on disk and sends messages to a dialog of
 * `recipients` members, `inFlight` at a time, until it is killed, printing
 * `acked <id>` for every acknowledged `new message`. The first run creates
 * the users and the dialog and leaves them in `<dataDir>/crash.json`.
 *
 *   node --import tsx test/support/message-crash-child.ts <dataDir> <recipients> <inFlight>
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDeps } from '../../lambdas/deps';
import { linkUsers } from '../../lambdas/domain/contacts';
import type { Dialog, Group, Message } from '../../lambdas/protocol/objects';
import { startLocalStack } from '../../local/stack';
import { newUser } from './contacts';
import { bodies, names } from './conversations';
import { CRASH_ENV } from './message-crash';
import { loggedIn } from './stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Setup {
  sender: { username: string; password: string };
  dialogId: number;
  recipients: number[];
}

const [dataDir, recipientCount, inFlight] = process.argv.slice(2) as [string, string, string];
const stack = await startLocalStack({ port: 0, dataDir, sweepIntervalMs: 500, env: CRASH_ENV });
const file = join(dataDir, 'crash.json');
let setup: Setup;
if (existsSync(file)) {
  setup = JSON.parse(readFileSync(file, 'utf8')) as Setup;
} else {
  const users = [];
  for (let i = 0; i < Number(recipientCount); i++) users.push(await newUser('crash'));
  for (const u of users.slice(1)) await linkUsers(getDeps(), users[0]!.id, u.id);
  const { client } = await loggedIn(stack, users[0]!.username, users[0]!.password);
  const recipients = users.map((u) => u.id);
  const group = await client.call<Group>('new group', { bodies: names('crash', recipients), recipients, admin_id: users[0]!.id });
  const dialog = await client.call<Dialog>('new dialog', { bodies: names('crash', recipients), recipients, dialog: { group_id: group.id } });
  setup = { sender: users[0]!, dialogId: dialog.id, recipients };
  writeFileSync(file, JSON.stringify(setup));
  await client.close();
}
const { client } = await loggedIn(stack, setup.sender.username, setup.sender.password);
process.stdout.write('ready\n');
let serial = 0;
const sender = async () => {
  for (;;) {
    const n = ++serial;
    const message = await client.call<Message>('new message', { message: { dialog_id: setup.dialogId, client_id: `crash-${process.pid}-${n}` }, bodies: bodies(`m${n}`, setup.recipients) });
    process.stdout.write(`acked ${message.id}\n`);
  }
};
await Promise.all(Array.from({ length: Number(inFlight) }, sender));
