/** Helpers for the dialog, group and message tests: people, "encrypted" bodies that say whom they are for, frames. */
import { getDeps } from '../../lambdas/deps';
import { linkUsers } from '../../lambdas/domain/contacts';
import { mapBounded } from '../../lambdas/storage/store';
import type { Dialog, Group, Message } from '../../lambdas/protocol/objects';
import type { LocalStack } from '../../local/stack';
import { TestClient } from './client';
import { newUser, online } from './contacts';

export interface Person {
  id: number;
  username: string;
  password: string;
  client: TestClient;
}

/** `n` logged-in users; with `linked`, every pair are accepted contacts (seeded through the domain function). */
export async function people(stack: LocalStack, n: number, options: { linked?: boolean; prefix?: string } = {}): Promise<Person[]> {
  // One after the other: ids then ascend in array order, as some tests assume (Recipients maps sort by id).
  const users: Awaited<ReturnType<typeof newUser>>[] = [];
  for (let i = 0; i < n; i++) users.push(await newUser(options.prefix ?? 'p'));
  if (options.linked ?? true) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) await linkUsers(getDeps(), users[i]!.id, users[j]!.id);
  }
  // Logins a few at a time: a group of 256 logging in at once would time out on a loaded machine.
  const sessions = await mapBounded(users, 16, (u) => online(stack, u));
  // Linking pushed `user container` / `online`: not what these tests look at.
  for (const s of sessions) s.client.pushes.length = 0;
  return users.map((u, i) => ({ ...u, client: sessions[i]!.client }));
}

export const closeAll = (...all: Person[]) => Promise.all(all.map((p) => p.client.close()));

/** Base64 standing in for ciphertext: readable by the test, different per recipient. */
export const seal = (text: string) => Buffer.from(text).toString('base64');
export const unseal = (b64: string) => Buffer.from(b64, 'base64').toString();

const keys = (recipient: number) => ({ recipient_id: recipient, key_id: 1, key_from_id: 1, nonce: seal(`nonce ${recipient}`) });

/** One encrypted name per recipient: "<label> for <id>". */
export const names = (label: string, recipients: readonly number[]) => recipients.map((r) => ({ ...keys(r), name: seal(`${label} for ${r}`) }));

/** One message body per recipient: "<text> for <id>". */
export const bodies = (text: string, recipients: readonly number[]) => recipients.map((r) => ({ ...keys(r), body: seal(`${text} for ${r}`) }));

export const textOf = (message: Message) => (message.Body ? unseal(message.Body.body) : undefined);
export const nameOfDialog = (dialog: Dialog, viewer: number) => unseal(dialog.Body[String(viewer)]!.name);
export const nameOfGroup = (group: Group) => unseal(group.Body.name);

export const ids = (...all: Person[]) => all.map((p) => p.id);

/** A dialog outside groups between `creator` and `others`. */
export function newDialog(creator: Person, others: Person[], label = 'dialog'): Promise<Dialog> {
  const recipients = ids(creator, ...others);
  return creator.client.call<Dialog>('new dialog', { bodies: names(label, recipients), recipients, dialog: {} });
}

export interface SendOptions {
  type?: string;
  client_id?: string;
  as_read?: boolean;
  attachments?: unknown[];
}

/** The `new message` payload from `sender` to every recipient of `dialog`. */
export function messagePayload(dialog: Dialog, text: string, options: SendOptions = {}) {
  const { type, client_id, ...rest } = options;
  return { message: { dialog_id: dialog.id, ...(type ? { type } : {}), ...(client_id ? { client_id } : {}) }, bodies: bodies(text, recipientsOf(dialog)), ...rest };
}

export function send(sender: Person, dialog: Dialog, text: string, options: SendOptions = {}): Promise<Message> {
  return sender.client.call<Message>('new message', messagePayload(dialog, text, options));
}

/** The error string of a frame (null on success). */
export async function errorOf(client: TestClient, event: string, data?: unknown): Promise<string | null> {
  return (await client.request(event, data)).error;
}

export const recipientsOf = (dialog: Dialog) => Object.keys(dialog.Recipients).map(Number).sort((a, b) => a - b);

/** Another live connection of `person`; a lightweight one (`isLightweight`) gets only `messages` (without bodies) and logouts. */
export async function device(stack: LocalStack, person: Person, options: { lightweight?: boolean } = {}): Promise<TestClient> {
  const client = await TestClient.connect(stack.url);
  const { userId, token } = await client.call<{ userId: number; token: string }>('auth by credentials', { username: person.username, password: person.password });
  if (options.lightweight) await client.call('auth by token', { userId, token, isLightweight: true });
  await client.waitFor(() => client.pushes.find((p) => p.event === 'storage urls'), 5000, 'storage urls');
  client.pushes.length = 0;
  return client;
}

/** The field lists of protocol §3, to check objects exactly. */
export const SHAPES = {
  dialog: ['Body', 'Recipients', 'created_at', 'created_by', 'group_id', 'id', 'updated_at', 'updated_by'],
  dialogName: ['created_at', 'dialog_id', 'id', 'key_from_id', 'key_id', 'name', 'nonce', 'recipient_id', 'updated_at'],
  group: ['Body', 'Recipients', 'admin_id', 'avatar', 'created_at', 'created_by', 'id', 'updated_at', 'updated_by'],
  groupName: ['created_at', 'group_id', 'id', 'key_from_id', 'key_id', 'name', 'nonce', 'recipient_id', 'updated_at'],
  groupMember: ['domain_id', 'id', 'key', 'username'],
  message: ['Attachments', 'Body', 'Creator', 'created_at', 'created_by', 'dialog_id', 'edited_at', 'id', 'type', 'updated_at', 'updated_by'],
  lightMessage: ['Creator', 'created_at', 'created_by', 'dialog_id', 'edited_at', 'id', 'type', 'updated_at', 'updated_by'],
  messageBody: ['body', 'created_at', 'id', 'is_received', 'key_from_id', 'key_id', 'message_id', 'nonce', 'props', 'read_date', 'recipient_id', 'updated_at'],
  attachment: ['Body', 'created_at', 'id', 'message_id', 'size', 'unique', 'updated_at'],
  attachmentBody: ['attachment_id', 'created_at', 'crypto', 'id', 'key_from_id', 'key_id', 'name', 'nonce', 'recipient_id', 'updated_at'],
  creator: ['domain_id', 'id', 'username'],
} as const;

export const fields = (value: object) => Object.keys(value).sort();

export const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
