/**
 * Protocol walkthrough (docs/protocol.md §2, §4, §5): three client apps —
 * alice, bob and carol — use the real local stack over real WebSockets, in
 * the order an app does: first launch, start-up wizard, start-up reads,
 * contacts, presence, a one-to-one dialog, a group, edits, read marks,
 * history, reconnect by token, log out. Every object is checked against the
 * exact shapes of §3 and every frame gets one representative wrong call with
 * its exact error string (§4, §6).
 *
 * The `it` blocks share state and run in order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AckFrame } from '../lambdas/protocol/frames';
import { MESSAGE_TYPES } from '../lambdas/protocol/objects';
import type { ContactUser, Dialog, EditedGroup, Group, Key, Link, Message, SelfUser, UserContainer, UserlinkUpdate } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { keyName, pause } from './support/contacts';
import { DATE, fields, SHAPES, seal, unseal } from './support/conversations';
import { createTestUser, startTestStack } from './support/stack';

// ---------------------------------------------------------------- the exact shapes of §3

const KEY = ['created_at', 'id', 'is_default', 'name', 'updated_at', 'user_id'];
const SELF = ['Domain', 'PublicKeys', 'avatar', 'first_name', 'id', 'is_planned_client_update', 'is_planned_password_change', 'last_name', 'username'];
const DOMAIN = ['config', 'id', 'is_base', 'name', 'passphrase', 'url'];
const DOMAIN_CONFIG = ['contactlist_management_by_user', 'key_management_by_user'];
const CONTACT = ['LinkedWith', 'PublicKeys', 'avatar', 'domain_id', 'first_name', 'id', 'key', 'last_name', 'link_status', 'link_status_date', 'link_status_read', 'username'];
const LINK = ['created_at', 'created_by', 'from_user_id', 'id', 'read', 'status', 'to_user_id', 'updated_at', 'updated_by'];
const CONTAINER = ['dialogs', 'messages', 'user'];
const USERLINK_UPDATE = ['date', 'status', 'user_id'];
const FOUND = ['domain_id', 'id', 'username'];
const STORAGE_URLS = ['delete', 'get', 'put', 'putRaw'];
const EDITED_GROUP = ['dialogs', 'group', 'messages'];
const PUBLIC_KEY = /^[A-Za-z0-9+/]{43}=$/;

const isId = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

function expectId(value: unknown, what = 'id'): void {
  expect(isId(value), `${what} is a positive safe integer (got ${JSON.stringify(value)})`).toBe(true);
}

function expectDate(value: unknown, what = 'date'): void {
  expect(typeof value === 'string' && DATE.test(value), `${what} is YYYY-MM-DD HH:mm:ss (got ${JSON.stringify(value)})`).toBe(true);
}

function expectKey(key: Key, owner: number): void {
  expect(fields(key)).toEqual(KEY);
  expectId(key.id, 'key.id');
  expect(key.user_id).toBe(owner);
  expect(key.name).toMatch(PUBLIC_KEY);
  expect(typeof key.is_default).toBe('boolean');
  expectDate(key.created_at);
  expectDate(key.updated_at);
}

function expectSelf(user: SelfUser): void {
  expect(fields(user)).toEqual(SELF);
  expectId(user.id);
  for (const name of ['first_name', 'last_name', 'username'] as const) expect(typeof user[name]).toBe('string');
  expect(user.avatar === null || typeof user.avatar === 'string').toBe(true);
  expect(typeof user.is_planned_password_change).toBe('boolean');
  expect(typeof user.is_planned_client_update).toBe('boolean');
  for (const key of user.PublicKeys) expectKey(key, user.id);
  expect(user.PublicKeys.filter((k) => k.is_default).length).toBeLessThanOrEqual(1);
  expect(fields(user.Domain)).toEqual(DOMAIN);
  expectId(user.Domain.id, 'Domain.id');
  expect(fields(user.Domain.config)).toEqual(DOMAIN_CONFIG);
  for (const value of Object.values(user.Domain.config)) expect(typeof value).toBe('boolean');
  for (const name of ['name', 'url', 'passphrase'] as const) expect(typeof user.Domain[name]).toBe('string');
  expect(typeof user.Domain.is_base).toBe('boolean');
}

function expectLink(link: Link, owner: number, other: number): void {
  expect(fields(link)).toEqual(LINK);
  expectId(link.id, 'link.id');
  expect([link.from_user_id, link.to_user_id].sort()).toEqual([owner, other].sort());
  expect(['requested', 'accepted', 'rejected', 'withdrawn']).toContain(link.status);
  expect(typeof link.read).toBe('boolean');
  expectDate(link.created_at);
  expectDate(link.updated_at);
  expectId(link.created_by, 'link.created_by');
  expectId(link.updated_by, 'link.updated_by');
}

/** A contact as `viewer` sees `user`: names and avatar only once accepted. */
function expectContact(contact: ContactUser, viewer: number, user: Person): void {
  expect(fields(contact)).toEqual(CONTACT);
  expect(contact).toMatchObject({ id: user.id, username: user.username, domain_id: domainId });
  expect(['requested', 'received', 'accepted', 'rejected', 'withdrawn']).toContain(contact.link_status);
  if (contact.link_status === 'accepted') {
    expect(contact).toMatchObject({ first_name: user.firstName, last_name: user.lastName, avatar: user.avatar });
  } else {
    expect(contact).toMatchObject({ first_name: '', last_name: '', avatar: null });
  }
  expect(contact.LinkedWith).toHaveLength(1);
  expectLink(contact.LinkedWith[0]!, viewer, user.id);
  expect(contact.link_status_read).toBe(contact.LinkedWith[0]!.read);
  expect(contact.link_status_date).toBe(contact.LinkedWith[0]!.updated_at);
  for (const key of contact.PublicKeys) expectKey(key, user.id);
  expect(contact.key).toEqual(contact.PublicKeys.find((k) => k.is_default) ?? null);
}

/** A dialog as `viewer` gets it: their own body only, under their id. */
function expectDialog(dialog: Dialog, viewer: number, recipients: number[]): void {
  expect(fields(dialog)).toEqual(SHAPES.dialog);
  expectId(dialog.id, 'dialog.id');
  expect(dialog.group_id === null || isId(dialog.group_id)).toBe(true);
  expectDate(dialog.created_at);
  expectDate(dialog.updated_at);
  expectId(dialog.created_by);
  expectId(dialog.updated_by);
  expect(Object.keys(dialog.Body)).toEqual([String(viewer)]);
  const body = dialog.Body[String(viewer)]!;
  expect(fields(body)).toEqual(SHAPES.dialogName);
  expect(body).toMatchObject({ dialog_id: dialog.id, recipient_id: viewer });
  expectId(body.id, 'body.id');
  expectId(body.key_id, 'body.key_id');
  expectId(body.key_from_id, 'body.key_from_id');
  expectDate(body.created_at);
  expectDate(body.updated_at);
  expect(dialog.Recipients).toEqual(Object.fromEntries(recipients.map((id) => [String(id), { id }])));
}

/** A group as `viewer` gets it: their own body; every member with their default key. */
function expectGroup(group: Group, viewer: number, members: Person[]): void {
  expect(fields(group)).toEqual(SHAPES.group);
  expectId(group.id, 'group.id');
  expectId(group.admin_id);
  expect(group.avatar === null || typeof group.avatar === 'string').toBe(true);
  expectDate(group.created_at);
  expectDate(group.updated_at);
  expectId(group.created_by);
  expectId(group.updated_by);
  expect(fields(group.Body)).toEqual(SHAPES.groupName);
  expect(group.Body).toMatchObject({ group_id: group.id, recipient_id: viewer });
  expectId(group.Body.id, 'Body.id');
  expectDate(group.Body.created_at);
  expectDate(group.Body.updated_at);
  expect(Object.keys(group.Recipients).sort()).toEqual(members.map((m) => String(m.id)).sort());
  for (const m of members) {
    const member = group.Recipients[String(m.id)]!;
    expect(fields(member)).toEqual(SHAPES.groupMember);
    expect(member).toMatchObject({ id: m.id, username: m.username, domain_id: domainId });
    expectKey(member.key!, m.id);
    expect(member.key).toMatchObject({ id: m.defaultKey!.id, is_default: true });
  }
}

/** A message as `viewer` gets it: their own body; the creator. */
function expectMessage(message: Message, viewer: number, creator: Person): void {
  expect(fields(message)).toEqual(SHAPES.message);
  expectId(message.id, 'message.id');
  expectId(message.dialog_id, 'message.dialog_id');
  expect(MESSAGE_TYPES).toContain(message.type);
  if (message.edited_at !== null) expectDate(message.edited_at, 'edited_at');
  expect(message.created_by).toBe(creator.id);
  expectDate(message.created_at);
  expectId(message.updated_by);
  expectDate(message.updated_at);
  expect(fields(message.Creator)).toEqual(SHAPES.creator);
  expect(message.Creator).toEqual({ id: creator.id, username: creator.username, domain_id: domainId });
  const body = message.Body!;
  expect(fields(body)).toEqual(SHAPES.messageBody);
  expect(body).toMatchObject({ message_id: message.id, recipient_id: viewer, props: null });
  expectId(body.id, 'Body.id');
  expect(typeof body.body).toBe('string');
  expect(typeof body.nonce).toBe('string');
  expectId(body.key_id, 'Body.key_id');
  expectId(body.key_from_id, 'Body.key_from_id');
  if (body.read_date !== null) expectDate(body.read_date, 'read_date');
  expect(body.is_received).toBe(body.read_date !== null);
  expectDate(body.created_at);
  expectDate(body.updated_at);
  for (const a of message.Attachments!) {
    expect(fields(a)).toEqual(SHAPES.attachment);
    expect(a.message_id).toBe(message.id);
    expect(fields(a.Body)).toEqual(SHAPES.attachmentBody);
    expect(a.Body).toMatchObject({ attachment_id: a.id, recipient_id: viewer });
  }
}

// ---------------------------------------------------------------- the three apps

interface Person {
  id: number;
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  avatar: string | null;
  client: TestClient;
  token: string;
  defaultKey?: Key;
}

let stack: LocalStack;
let domainId: number;
const alice = { username: 'alice', password: 'first-password', firstName: '', lastName: '', avatar: null } as Person;
const bob = { username: 'bob', password: 'bob-secret', firstName: 'Bob', lastName: 'Builder', avatar: null } as Person;
const carol = { username: 'carol', password: 'carol-secret', firstName: 'Carol', lastName: 'Danvers', avatar: null } as Person;
const everyone = [alice, bob, carol];

beforeAll(async () => {
  stack = await startTestStack();
  // The operator creates the accounts; alice's is brand new: no name, a planned password change.
  alice.id = (await createTestUser({ username: 'alice', password: alice.password, plannedPasswordChange: true })).id;
  bob.id = (await createTestUser({ username: 'bob', password: bob.password, firstName: 'Bob', lastName: 'Builder' })).id;
  carol.id = (await createTestUser({ username: 'carol', password: carol.password, firstName: 'Carol', lastName: 'Danvers' })).id;
});
afterAll(async () => {
  for (const p of everyone) await p.client?.close();
  await stack.close();
});

/** A request's ack, checked for the envelope of §1: `{ ackId, error, result }`, no result on error. */
async function ack(client: TestClient, event: string, data?: unknown): Promise<AckFrame> {
  const answer = await client.request(event, data);
  if (answer.error === null) expect(fields(answer)).toEqual(['ackId', 'error', 'result']);
  else expect(answer.result ?? null).toBeNull();
  return answer;
}

/** The result of a frame that must succeed. */
async function call<T>(client: TestClient, event: string, data?: unknown): Promise<T> {
  const answer = await ack(client, event, data);
  expect(answer.error, `${event}: ${answer.error}`).toBeNull();
  return answer.result as T;
}

/** The exact error string of a wrong call. */
async function errorOf(client: TestClient, event: string, data?: unknown): Promise<string | null> {
  return (await ack(client, event, data)).error;
}

/** Nothing else was pushed to these clients (after a moment for stragglers). */
async function expectNoPushes(...clients: TestClient[]): Promise<void> {
  await pause(60);
  for (const c of clients) expect(c.pushes.map((p) => p.event)).toEqual([]);
}

const keysFor = (recipient: number, sender: Person) => ({ recipient_id: recipient, key_id: sender.defaultKey!.id, key_from_id: sender.defaultKey!.id, nonce: seal(`nonce ${recipient}`) });
const nameBodies = (label: string, sender: Person, recipients: Person[]) => recipients.map((r) => ({ ...keysFor(r.id, sender), name: seal(`${label} for ${r.id}`) }));
const messageBodies = (text: string, sender: Person, recipients: Person[]) => recipients.map((r) => ({ ...keysFor(r.id, sender), body: seal(`${text} for ${r.id}`) }));
const ids = (...people: Person[]) => people.map((p) => p.id);
const text = (message: Message) => unseal(message.Body!.body);

function checkStorageUrls(urls: Record<string, string>): void {
  expect(fields(urls)).toEqual(STORAGE_URLS);
  // Opaque prefixes: downloads as they are, uploads and deletes with the login's capability (docs/files.md).
  expect(urls.get).toBe(`${stack.filesUrl}get/`);
  for (const action of ['put', 'putRaw', 'delete']) expect(urls[action]).toMatch(new RegExp(`^${stack.filesUrl}${action}/[\\w-]+\\.[\\w-]+\\.[\\w-]+/$`));
}

/** First launch (§2.1–3): open the socket, credentials → { userId, token }, then the `storage urls` push. */
async function firstLaunch(person: Person): Promise<void> {
  person.client = await TestClient.connect(stack.url);
  const result = await call<{ userId: number; token: string }>(person.client, 'auth by credentials', { username: person.username, password: person.password });
  // The push is posted while the frame is handled, so it is on the wire before the ack (docs/design.md).
  expect(person.client.pushes.map((p) => p.event)).toEqual(['storage urls']);
  expect(fields(result)).toEqual(['token', 'userId']);
  expect(result.userId).toBe(person.id);
  expect(typeof result.token).toBe('string');
  person.token = result.token;
  checkStorageUrls(await person.client.push('storage urls'));
}

// ---------------------------------------------------------------- the walkthrough

describe('protocol walkthrough: alice, bob and carol', () => {
  it('§1/§2: before login only the auth frames work; bad frames get their exact errors', async () => {
    const client = await TestClient.connect(stack.url);
    const authenticated = [
      'who am i', 'log me out', 'ping', 'give me keys', 'new key', 'set default key', 'give me users', 'give me presence', 'find contacts',
      'handle userlink', 'give me dialogs', 'new dialog', 'rename dialog', 'give me groups', 'new group', 'edit group', 'change avatar',
      'delete avatar', 'new message', 'give me messages', 'get messages before', 'update message', 'read messages', 'change profile', 'change password',
    ];
    for (const event of authenticated) expect(await errorOf(client, event, {}), event).toBe('not authenticated');
    expect(await errorOf(client, 'who are you')).toBe('unknown event');
    // A JSON object without a string event, with an ackId: `wrong data provided`, the ackId verbatim.
    client.sendRaw(JSON.stringify({ event: 42, ackId: 'no-event' }));
    expect(await client.waitFor(() => client.acks.find((a) => a.ackId === 'no-event'))).toEqual({ ackId: 'no-event', error: 'wrong data provided' });
    // Without ackId nothing is answered, and the connection stays open.
    client.sendRaw(JSON.stringify({ event: 'who am i' }));
    client.sendRaw('not json');
    expect(await errorOf(client, 'auth by credentials', { username: 'alice' })).toBe('wrong data provided');
    expect(await errorOf(client, 'auth by credentials', { username: 'alice', password: 'not it' })).toBe('wrong password');
    expect(await errorOf(client, 'auth by credentials', { username: 'nobody', password: 'not it' })).toBe('wrong password');
    expect(await errorOf(client, 'subscribe', { password: 'x' })).toBe('wrong data provided');
    expect(await errorOf(client, 'auth by token', { userId: 'alice', token: 'x' })).toBe('wrong data provided');
    expect(await errorOf(client, 'auth by token', { userId: alice.id, token: 'not.a.token' })).toBe('wrong token, use credentials');
    await pause(50);
    expect(client.acks.filter((a) => a.ackId === undefined)).toEqual([]);
    expect(client.pushes).toEqual([]);
    expect(client.closed).toBeUndefined();
    await client.close();
  });

  it('§2.2–3: first launch with credentials: { userId, token }, then the storage urls push', async () => {
    for (const p of everyone) await firstLaunch(p);
    // Nobody has contacts yet: nobody was told anyone came online.
    await expectNoPushes(...everyone.map((p) => p.client));
  });

  it('§2.3: who am i — the self user with keys and domain', async () => {
    const me = await call<SelfUser>(alice.client, 'who am i');
    expectSelf(me);
    expect(me).toMatchObject({
      id: alice.id,
      username: 'alice',
      first_name: '',
      last_name: '',
      avatar: null,
      is_planned_password_change: true,
      is_planned_client_update: false,
      PublicKeys: [],
      Domain: { name: 'default', is_base: true, config: { key_management_by_user: true, contactlist_management_by_user: true } },
    });
    domainId = me.Domain.id;
    for (const p of [bob, carol]) {
      const self = await call<SelfUser>(p.client, 'who am i');
      expectSelf(self);
      expect(self).toMatchObject({ id: p.id, first_name: p.firstName, last_name: p.lastName, is_planned_password_change: false, PublicKeys: [], Domain: { id: domainId } });
    }
  });

  it('§2.4 wizard, planned password change: change password (each wrong call first)', async () => {
    const c = alice.client;
    expect(await errorOf(c, 'change password', { current: alice.password, new: 'x' })).toBe('wrong data provided');
    expect(await errorOf(c, 'change password', { current: alice.password, new: 'second-password', newAgain: 'typo' })).toBe('new password must match verify');
    expect(await errorOf(c, 'change password', { current: alice.password, new: alice.password, newAgain: alice.password })).toBe('new password must not match old');
    expect(await errorOf(c, 'change password', { current: 'not it', new: 'second-password', newAgain: 'second-password' })).toBe('wrong password');
    expect(await call(c, 'change password', { current: alice.password, new: 'second-password', newAgain: 'second-password' })).toBeNull();
    alice.password = 'second-password';
    expect(await call<SelfUser>(c, 'who am i')).toMatchObject({ is_planned_password_change: false });
    // The caller's own login keeps working; nothing was pushed to it.
    await expectNoPushes(c);
  });

  it('§2.4 wizard, no name: change profile', async () => {
    const c = alice.client;
    expect(await errorOf(c, 'change profile', { first_name: 'Alice' })).toBe('wrong data provided');
    expect(await errorOf(c, 'change profile', { first_name: 'Alice', last_name: '  ' })).toBe('enter name and last name');
    expect(await call(c, 'change profile', { first_name: 'Alice', last_name: 'Liddell' })).toBeNull();
    alice.firstName = 'Alice';
    alice.lastName = 'Liddell';
    expect(await call<SelfUser>(c, 'who am i')).toMatchObject({ first_name: 'Alice', last_name: 'Liddell' });
  });

  it('§2.4 wizard, no default key: new key (everyone)', async () => {
    expect(await errorOf(alice.client, 'new key', { name: 'too short', is_default: true })).toBe('wrong data provided');
    expect(await errorOf(alice.client, 'new key', { name: keyName() })).toBe('wrong data provided');
    for (const p of everyone) {
      const name = keyName();
      const key = await call<Key>(p.client, 'new key', { name, is_default: true });
      expectKey(key, p.id);
      expect(key).toMatchObject({ name, is_default: true });
      p.defaultKey = key;
      const me = await call<SelfUser>(p.client, 'who am i');
      expectSelf(me);
      expect(me.PublicKeys).toEqual([key]);
    }
    // No contacts, no co-members: nobody to tell.
    await expectNoPushes(...everyone.map((p) => p.client));
  });

  it('§2.4 wizard, no avatar: change avatar (and delete avatar)', async () => {
    const c = alice.client;
    expect(await errorOf(c, 'change avatar', { avatar: 'not-a-uuid', is_group: false })).toBe('please provide avatar uuid');
    expect(await errorOf(c, 'change avatar', { is_group: false })).toBe('please provide avatar uuid');
    expect(await errorOf(c, 'delete avatar', { is_group: 'no' })).toBe('wrong data provided');
    const first = randomUUID();
    expect(await call(c, 'change avatar', { avatar: first, is_group: false })).toBeNull();
    expect(await call<SelfUser>(c, 'who am i')).toMatchObject({ avatar: first });
    expect(await call(c, 'delete avatar', { is_group: false })).toBeNull();
    expect(await call<SelfUser>(c, 'who am i')).toMatchObject({ avatar: null });
    alice.avatar = randomUUID();
    expect(await call(c, 'change avatar', { avatar: alice.avatar, is_group: false })).toBeNull();

    // Every wizard check now passes.
    const me = await call<SelfUser>(c, 'who am i');
    expectSelf(me);
    expect(me).toMatchObject({ first_name: 'Alice', last_name: 'Liddell', avatar: alice.avatar, is_planned_password_change: false, PublicKeys: [alice.defaultKey] });
  });

  it('§2.5: give me keys / users / groups / dialogs / presence / messages on a fresh account', async () => {
    const c = alice.client;
    expect(await call(c, 'give me keys')).toEqual([alice.defaultKey]);
    expect(await call(c, 'give me users')).toEqual([]);
    expect(await call(c, 'give me groups')).toEqual([]);
    expect(await call(c, 'give me dialogs')).toEqual([]);
    expect(await call(c, 'give me presence')).toEqual({});
    expect(await call(c, 'give me messages')).toEqual([]);
    const { time } = await call<{ time: string }>(c, 'ping');
    expectDate(time, 'ping time');
  });

  it('§4 contacts: find contacts, request — user container (received) on the other side', async () => {
    expect(await errorOf(alice.client, 'find contacts', { search: '' })).toBe('wrong data provided');
    const found = await call<{ id: number; username: string; domain_id: number }[]>(alice.client, 'find contacts', { search: 'bo' });
    expect(found).toEqual([{ id: bob.id, username: 'bob', domain_id: domainId }]);
    expect(fields(found[0]!)).toEqual(FOUND);
    expect(await call(alice.client, 'find contacts', { search: 'alice' })).toEqual([]); // never oneself

    const userlink = (p: Person, to: Person, action: string) => ack(p.client, 'handle userlink', { from_user_id: p.id, to_user_id: to.id, action });
    expect((await userlink(alice, bob, 'befriend')).error).toBe('wrong data provided');
    expect((await userlink(alice, bob, 'accept')).error).toBe('something went wrong'); // nobody asked alice

    const asked = (await userlink(alice, bob, 'request')).result as UserContainer;
    expect(fields(asked)).toEqual(CONTAINER);
    expect(asked).toMatchObject({ dialogs: [], messages: [] });
    expectContact(asked.user, alice.id, bob);
    expect(asked.user).toMatchObject({ link_status: 'requested', link_status_read: true, key: bob.defaultKey, PublicKeys: [bob.defaultKey] });
    expect(asked.user.LinkedWith[0]).toMatchObject({ from_user_id: alice.id, to_user_id: bob.id, status: 'requested', created_by: alice.id, updated_by: alice.id });

    const received = await bob.client.push<UserContainer>('user container');
    expect(fields(received)).toEqual(CONTAINER);
    expect(received).toMatchObject({ dialogs: [], messages: [] });
    expectContact(received.user, bob.id, alice);
    expect(received.user).toMatchObject({ link_status: 'received', link_status_read: false, first_name: '', last_name: '', avatar: null, key: alice.defaultKey });

    // Before accepting, bob sees alice in his list (username only) and not her presence.
    const bobsList = await call<ContactUser[]>(bob.client, 'give me users');
    expect(bobsList).toEqual([received.user]);
    expect(await call(bob.client, 'give me presence')).toEqual({ [alice.id]: false });
    expect((await userlink(bob, alice, 'withdraw')).error).toBe('something went wrong'); // bob did not ask
    expect((await ack(bob.client, 'handle userlink', { from_user_id: alice.id, to_user_id: bob.id, action: 'accept' })).error).toBe('access denied');
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 contacts: accept — full user, user container (accepted) and online pushes on both sides', async () => {
    const accepted = await call<UserContainer>(bob.client, 'handle userlink', { from_user_id: bob.id, to_user_id: alice.id, action: 'accept' });
    expect(fields(accepted)).toEqual(CONTAINER);
    expect(accepted).toMatchObject({ dialogs: [], messages: [] });
    expectContact(accepted.user, bob.id, alice);
    expect(accepted.user).toMatchObject({ link_status: 'accepted', first_name: 'Alice', last_name: 'Liddell', avatar: alice.avatar });

    const told = await alice.client.push<UserContainer>('user container');
    expectContact(told.user, alice.id, bob);
    expect(told).toMatchObject({ dialogs: [], messages: [], user: { link_status: 'accepted', link_status_read: false, first_name: 'Bob', last_name: 'Builder' } });
    expect(await alice.client.push('online')).toEqual([bob.id]);
    expect(await bob.client.push('online')).toEqual([alice.id]);

    // `read` marks the status read for the caller only.
    expect(await call(alice.client, 'handle userlink', { from_user_id: alice.id, to_user_id: bob.id, action: 'read' })).toBe('success');
    const [bobForAlice] = await call<ContactUser[]>(alice.client, 'give me users');
    expectContact(bobForAlice!, alice.id, bob);
    expect(bobForAlice).toMatchObject({ link_status: 'accepted', link_status_read: true });
    expect(await call(alice.client, 'find contacts', { search: 'bo' })).toEqual([]); // already a contact
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 contacts: carol asks alice, alice accepts', async () => {
    expect(await call(carol.client, 'find contacts', { search: 'ali' })).toEqual([{ id: alice.id, username: 'alice', domain_id: domainId }]);
    const asked = await call<UserContainer>(carol.client, 'handle userlink', { from_user_id: carol.id, to_user_id: alice.id, action: 'request' });
    expectContact(asked.user, carol.id, alice);
    expect(asked.user.link_status).toBe('requested');
    const received = await alice.client.push<UserContainer>('user container');
    expectContact(received.user, alice.id, carol);
    expect(received.user.link_status).toBe('received');

    const accepted = await call<UserContainer>(alice.client, 'handle userlink', { from_user_id: alice.id, to_user_id: carol.id, action: 'accept' });
    expectContact(accepted.user, alice.id, carol);
    expect(accepted).toMatchObject({ dialogs: [], messages: [], user: { link_status: 'accepted', first_name: 'Carol' } });
    const told = await carol.client.push<UserContainer>('user container');
    expectContact(told.user, carol.id, alice);
    expect(told.user).toMatchObject({ link_status: 'accepted', first_name: 'Alice', avatar: alice.avatar });
    expect(await alice.client.push('online')).toEqual([carol.id]);
    expect(await carol.client.push('online')).toEqual([alice.id]);

    // alice's start-up reads now hold both contacts and their keys; bob and carol are not each other's contacts.
    const users = await call<ContactUser[]>(alice.client, 'give me users');
    expect(users.map((u) => u.id).sort()).toEqual(ids(bob, carol).sort());
    for (const u of users) expectContact(u, alice.id, u.id === bob.id ? bob : carol);
    expect(await call(alice.client, 'give me presence')).toEqual({ [bob.id]: true, [carol.id]: true });
    const keys = await call<Key[]>(alice.client, 'give me keys');
    expect(keys.map((k) => k.id).sort()).toEqual(everyone.map((p) => p.defaultKey!.id).sort());
    expect(await call(bob.client, 'give me presence')).toEqual({ [alice.id]: true });
    expect((await call<Key[]>(bob.client, 'give me keys')).map((k) => k.user_id).sort()).toEqual(ids(alice, bob).sort());
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 contacts: reject — userlink update (rejected) to the requester, then remove', async () => {
    const asked = await call<UserContainer>(bob.client, 'handle userlink', { from_user_id: bob.id, to_user_id: carol.id, action: 'request' });
    expectContact(asked.user, bob.id, carol);
    const received = await carol.client.push<UserContainer>('user container');
    expectContact(received.user, carol.id, bob);
    expect(received.user.link_status).toBe('received');
    expect(await call(carol.client, 'handle userlink', { from_user_id: carol.id, to_user_id: bob.id, action: 'reject' })).toBe('success');
    const update = await bob.client.push<UserlinkUpdate>('userlink update');
    expect(fields(update)).toEqual(USERLINK_UPDATE);
    expect(update).toMatchObject({ user_id: carol.id, status: 'rejected' });
    expectDate(update.date, 'userlink update date');
    const [seen] = await call<ContactUser[]>(bob.client, 'give me users').then((users) => users.filter((u) => u.id === carol.id));
    expectContact(seen!, bob.id, carol);
    expect(seen).toMatchObject({ link_status: 'rejected', link_status_date: update.date, first_name: '' });
    expect(await call(bob.client, 'handle userlink', { from_user_id: bob.id, to_user_id: carol.id, action: 'remove' })).toBe('success');
    expect((await call<ContactUser[]>(bob.client, 'give me users')).map((u) => u.id)).toEqual([alice.id]);
    expect((await call<ContactUser[]>(carol.client, 'give me users')).map((u) => u.id)).toEqual([alice.id]);
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§5 presence: offline when the last connection goes, online again after a reconnect by token', async () => {
    await bob.client.close();
    expect(await alice.client.push('offline')).toEqual([bob.id]);
    expect(await call(alice.client, 'give me presence')).toEqual({ [bob.id]: false, [carol.id]: true });

    // The app relaunches with its stored token and keeps the NEW one.
    bob.client = await TestClient.connect(stack.url);
    const result = await call<{ userId: number; token: string }>(bob.client, 'auth by token', { userId: bob.id, token: bob.token });
    expect(fields(result)).toEqual(['token', 'userId']);
    expect(result.userId).toBe(bob.id);
    expect(result.token).not.toBe(bob.token);
    bob.token = result.token;
    checkStorageUrls(await bob.client.push('storage urls'));
    expect(await alice.client.push('online')).toEqual([bob.id]);
    expect(await call(alice.client, 'give me presence')).toEqual({ [bob.id]: true, [carol.id]: true });
    // carol is not bob's contact: she heard nothing.
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  let chat: Dialog;
  const chatMessages: Message[] = [];

  it('§4 dialogs: a one-to-one dialog, the dialog push with the other side\'s own name', async () => {
    const payload = { bodies: nameBodies('chat', alice, [alice, bob]), recipients: ids(alice, bob), dialog: {} };
    expect(await errorOf(alice.client, 'new dialog', { ...payload, bodies: payload.bodies.slice(1) })).toBe('wrong data provided');
    expect(await errorOf(bob.client, 'new dialog', { bodies: nameBodies('x', bob, [bob, carol]), recipients: ids(bob, carol), dialog: {} })).toBe('access denied'); // not contacts

    chat = await call<Dialog>(alice.client, 'new dialog', payload);
    expectDialog(chat, alice.id, ids(alice, bob));
    expect(chat).toMatchObject({ group_id: null, created_by: alice.id, updated_by: alice.id });
    expect(unseal(chat.Body[alice.id]!.name)).toBe(`chat for ${alice.id}`);
    const told = await bob.client.push<Dialog>('dialog');
    expectDialog(told, bob.id, ids(alice, bob));
    expect(unseal(told.Body[bob.id]!.name)).toBe(`chat for ${bob.id}`);
    expect({ ...told, Body: undefined }).toEqual({ ...chat, Body: undefined });

    expect(await call(alice.client, 'give me dialogs')).toEqual([chat]);
    expect(await call(bob.client, 'give me dialogs')).toEqual([told]);
    expect(await call(carol.client, 'give me dialogs')).toEqual([]);
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 messages: the service.dialog.created message and a conversation, with messages pushes', async () => {
    const send = async (from: Person, to: Person, words: string, type?: string) => {
      const message = await call<Message>(from.client, 'new message', { message: { dialog_id: chat.id, ...(type ? { type } : {}) }, bodies: messageBodies(words, from, [alice, bob]) });
      expectMessage(message, from.id, from);
      expect(message).toMatchObject({ dialog_id: chat.id, type: type ?? 'message.default', edited_at: null, Attachments: [] });
      expect(message.Body).toMatchObject({ read_date: message.created_at, is_received: true });
      expect(text(message)).toBe(`${words} for ${from.id}`);
      const [pushed, ...more] = await to.client.push<Message[]>('messages');
      expect(more).toEqual([]);
      expectMessage(pushed!, to.id, from);
      expect(pushed).toMatchObject({ id: message.id, type: message.type, Body: { read_date: null, is_received: false } });
      expect(text(pushed!)).toBe(`${words} for ${to.id}`);
      chatMessages.push(message);
      return message;
    };
    await send(alice, bob, 'chat created', 'service.dialog.created');
    await send(alice, bob, 'hello bob');
    await send(bob, alice, 'hello alice');

    // Representative wrong calls.
    const ok = { message: { dialog_id: chat.id }, bodies: messageBodies('x', alice, [alice, bob]) };
    expect(await errorOf(alice.client, 'new message', { ...ok, bodies: messageBodies('x', alice, [alice]) })).toBe('wrong data provided');
    expect(await errorOf(alice.client, 'new message', { ...ok, message: { dialog_id: chat.id, type: 'message.deleted' } })).toBe('wrong data provided');
    expect(await errorOf(carol.client, 'new message', { ...ok, bodies: messageBodies('x', carol, [alice, bob]) })).toBe('access denied');

    // rename dialog: a recipient renames, the other gets the dialog push; a stranger is refused.
    expect(await errorOf(carol.client, 'rename dialog', { id: chat.id, bodies: nameBodies('x', carol, [alice, bob]) })).toBe('access denied');
    const renamed = await call<Dialog>(bob.client, 'rename dialog', { id: chat.id, bodies: nameBodies('our chat', bob, [alice, bob]) });
    expectDialog(renamed, bob.id, ids(alice, bob));
    expect(renamed).toMatchObject({ id: chat.id, created_by: alice.id, updated_by: bob.id, created_at: chat.created_at });
    const told = await alice.client.push<Dialog>('dialog');
    expectDialog(told, alice.id, ids(alice, bob));
    expect(unseal(told.Body[alice.id]!.name)).toBe(`our chat for ${alice.id}`);
    chat = told;
    await send(bob, alice, 'renamed', 'service.dialog.renamed');
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  let group: Group;
  let groupDialog: Dialog;
  const everyoneIn = () => [alice, bob, carol];

  it('§4 groups: new group — the group push with each member\'s own name and everyone\'s key', async () => {
    const payload = { bodies: nameBodies('club', alice, everyoneIn()), recipients: ids(...everyoneIn()), admin_id: alice.id };
    expect(await errorOf(alice.client, 'new group', { ...payload, admin_id: bob.id })).toBe('access denied');
    expect(await errorOf(alice.client, 'new group', { ...payload, recipients: ids(bob, carol) })).toBe('wrong data provided');

    group = await call<Group>(alice.client, 'new group', payload);
    expectGroup(group, alice.id, everyoneIn());
    expect(group).toMatchObject({ admin_id: alice.id, avatar: null, created_by: alice.id, updated_by: alice.id });
    expect(unseal(group.Body.name)).toBe(`club for ${alice.id}`);
    for (const p of [bob, carol]) {
      const told = await p.client.push<Group>('group');
      expectGroup(told, p.id, everyoneIn());
      expect(unseal(told.Body.name)).toBe(`club for ${p.id}`);
      expect(await call(p.client, 'give me groups')).toEqual([told]);
    }
    expect(await call(alice.client, 'give me groups')).toEqual([group]);

    // The group's first dialog (group_id), then service.group.created as an ordinary message.
    groupDialog = await call<Dialog>(alice.client, 'new dialog', { bodies: nameBodies('club chat', alice, everyoneIn()), recipients: ids(...everyoneIn()), dialog: { group_id: group.id } });
    expectDialog(groupDialog, alice.id, ids(...everyoneIn()));
    expect(groupDialog.group_id).toBe(group.id);
    for (const p of [bob, carol]) expectDialog(await p.client.push<Dialog>('dialog'), p.id, ids(...everyoneIn()));
    const created = await call<Message>(alice.client, 'new message', { message: { dialog_id: groupDialog.id, type: 'service.group.created' }, bodies: messageBodies('club created', alice, everyoneIn()) });
    expectMessage(created, alice.id, alice);
    for (const p of [bob, carol]) {
      const [pushed] = await p.client.push<Message[]>('messages');
      expectMessage(pushed!, p.id, alice);
      expect(pushed).toMatchObject({ id: created.id, type: 'service.group.created' });
      expect(text(pushed!)).toBe(`club created for ${p.id}`);
    }
    // bob and carol are not contacts, yet co-members: they may write to each other in the group's dialogs.
    const fromCarol = await call<Message>(carol.client, 'new message', { message: { dialog_id: groupDialog.id }, bodies: messageBodies('hi all', carol, everyoneIn()) });
    for (const p of [alice, bob]) expect((await p.client.push<Message[]>('messages'))[0]).toMatchObject({ id: fromCarol.id, Creator: { id: carol.id } });
    // ... and each needs the other's keys.
    expect((await call<Key[]>(carol.client, 'give me keys')).map((k) => k.user_id).sort()).toEqual(ids(...everyoneIn()).sort());
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 keys: set default key — user changed key to contacts and co-members; the group shows the new key', async () => {
    const second = await call<Key>(bob.client, 'new key', { name: keyName(), is_default: false });
    expectKey(second, bob.id);
    expect(second.is_default).toBe(false);
    await expectNoPushes(alice.client, carol.client); // not a default: nothing to announce
    expect(await errorOf(bob.client, 'set default key', { id: alice.defaultKey!.id })).toBe('access denied'); // not bob's
    expect(await errorOf(bob.client, 'set default key', { id: 'first' })).toBe('wrong data provided');
    const made = await call<Key>(bob.client, 'set default key', { id: second.id });
    expectKey(made, bob.id);
    expect(made).toMatchObject({ id: second.id, is_default: true });
    for (const p of [alice, carol]) expect(await p.client.push<Key>('user changed key')).toEqual(made);
    bob.defaultKey = made;
    const [seen] = await call<Group[]>(carol.client, 'give me groups');
    expectGroup(seen!, carol.id, everyoneIn());
    const mine = await call<SelfUser>(bob.client, 'who am i');
    expect(mine.PublicKeys.map((k) => [k.id, k.is_default])).toEqual([[mine.PublicKeys[0]!.id, false], [second.id, true]]);
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 groups: change avatar of the group (admin only) — group push', async () => {
    expect(await errorOf(bob.client, 'change avatar', { avatar: randomUUID(), is_group: true, id: group.id })).toBe('access denied');
    expect(await errorOf(alice.client, 'change avatar', { avatar: 'nope', is_group: true, id: group.id })).toBe('please provide avatar uuid');
    const avatar = randomUUID();
    expect(await call(alice.client, 'change avatar', { avatar, is_group: true, id: group.id })).toBeNull();
    for (const p of [bob, carol]) {
      const told = await p.client.push<Group>('group');
      expectGroup(told, p.id, everyoneIn());
      expect(told.avatar).toBe(avatar);
    }
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 groups: edit group — rename and kick carol in one unit, with service messages', async () => {
    const after = [alice, bob];
    const edit = {
      group: { id: group.id, recipients: ids(...after), added: [], kicked: [carol.id], bodies: nameBodies('club 2', alice, after) },
      dialogs: [{ id: groupDialog.id, bodies: nameBodies('club chat 2', alice, after), recipients: ids(...after) }],
      messages: [
        { message: { dialog_id: groupDialog.id, type: 'service.group.renamed' }, bodies: messageBodies('renamed', alice, after) },
        { message: { dialog_id: groupDialog.id, type: 'service.group.user.kicked' }, bodies: messageBodies('carol kicked', alice, after) },
      ],
    };
    expect(await errorOf(bob.client, 'edit group', edit)).toBe('access denied'); // not the admin
    expect(await errorOf(alice.client, 'edit group', { ...edit, group: { ...edit.group, recipients: ids(...everyoneIn()) } })).toBe('wrong data provided');

    const edited = await call<EditedGroup>(alice.client, 'edit group', edit);
    expect(fields(edited)).toEqual(EDITED_GROUP);
    expectGroup(edited.group, alice.id, after);
    expect(unseal(edited.group.Body.name)).toBe(`club 2 for ${alice.id}`);
    expect(Object.keys(edited.dialogs)).toEqual([String(groupDialog.id)]);
    expectDialog(edited.dialogs[groupDialog.id]!, alice.id, ids(...after));
    const serviceIds = Object.keys(edited.messages).map(Number);
    expect(serviceIds).toHaveLength(2);
    for (const m of Object.values(edited.messages)) {
      expectMessage(m, alice.id, alice);
      expect(m.dialog_id).toBe(groupDialog.id);
    }
    expect(Object.values(edited.messages).map((m) => m.type).sort()).toEqual(['service.group.renamed', 'service.group.user.kicked']);

    // bob: group, dialog and messages pushes, each with his own bodies.
    const g = await bob.client.push<Group>('group');
    expectGroup(g, bob.id, after);
    expect(unseal(g.Body.name)).toBe(`club 2 for ${bob.id}`);
    const d = await bob.client.push<Dialog>('dialog');
    expectDialog(d, bob.id, ids(...after));
    const pushed = await bob.client.push<Message[]>('messages');
    expect(pushed.map((m) => m.id).sort()).toEqual(serviceIds.sort());
    for (const m of pushed) expectMessage(m, bob.id, alice);

    // carol lost the group and its dialogs, is told nothing, and cannot write there any more.
    expect(await call(carol.client, 'give me groups')).toEqual([]);
    expect(await call(carol.client, 'give me dialogs')).toEqual([]);
    expect(await errorOf(carol.client, 'new message', { message: { dialog_id: groupDialog.id }, bodies: messageBodies('x', carol, after) })).toBe('access denied');
    // bob is no contact of carol's, yet keeps her messages: give me keys still serves her keys (§4 keys).
    expect((await call<Key[]>(bob.client, 'give me keys')).map((k) => k.user_id)).toContain(carol.id);
    groupDialog = edited.dialogs[groupDialog.id]!;
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 messages: update message — edit, then delete; messages pushes', async () => {
    const hello = chatMessages[1]!; // alice's "hello bob"
    expect(await errorOf(bob.client, 'update message', { id: hello.id, bodies: messageBodies('x', bob, [alice, bob]), toDelete: false })).toBe('access denied');
    expect(await errorOf(alice.client, 'update message', { id: hello.id, bodies: messageBodies('x', alice, [alice]), toDelete: false })).toBe('wrong data provided');

    const edited = await call<Message>(alice.client, 'update message', { id: hello.id, bodies: messageBodies('hello, bob!', alice, [alice, bob]), toDelete: false });
    expectMessage(edited, alice.id, alice);
    expect(edited).toMatchObject({ id: hello.id, type: 'message.updated', created_at: hello.created_at, updated_by: alice.id });
    expectDate(edited.edited_at);
    expect(text(edited)).toBe(`hello, bob! for ${alice.id}`);
    const [seen] = await bob.client.push<Message[]>('messages');
    expectMessage(seen!, bob.id, alice);
    expect(seen).toMatchObject({ id: hello.id, type: 'message.updated', edited_at: edited.edited_at });
    expect(text(seen!)).toBe(`hello, bob! for ${bob.id}`);

    const deleted = await call<Message>(alice.client, 'update message', { id: hello.id, bodies: [], toDelete: true });
    expectMessage(deleted, alice.id, alice);
    expect(deleted).toMatchObject({ id: hello.id, type: 'message.deleted', Body: { body: '', nonce: '' }, Attachments: [] });
    const [gone] = await bob.client.push<Message[]>('messages');
    expectMessage(gone!, bob.id, alice);
    expect(gone).toMatchObject({ id: hello.id, type: 'message.deleted', Body: { body: '', nonce: '' } });
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 messages: give me messages, then read messages', async () => {
    expect(await errorOf(bob.client, 'read messages', { ids: 'all' })).toBe('wrong data provided');
    const before = await call<Message[]>(bob.client, 'give me messages');
    for (const m of before) expectMessage(m, bob.id, everyone.find((p) => p.id === m.created_by)!);
    const unread = before.filter((m) => m.Body!.read_date === null).map((m) => m.id);
    // The newest of each dialog, plus every unread one addressed to bob; no duplicates.
    expect(new Set(before.map((m) => m.id)).size).toBe(before.length);
    expect(before.map((m) => m.dialog_id)).toContain(chat.id);
    expect(before.map((m) => m.dialog_id)).toContain(groupDialog.id);
    expect(unread.length).toBeGreaterThan(0);

    // Ids that are not bob's (or do not exist) are ignored.
    expect(await call(bob.client, 'read messages', { ids: [...unread, 12345] })).toBeNull();
    const after = await call<Message[]>(bob.client, 'give me messages');
    for (const m of after) {
      expectMessage(m, bob.id, everyone.find((p) => p.id === m.created_by)!);
      expect(m.Body).toMatchObject({ is_received: true });
      expectDate(m.Body!.read_date);
    }
    // Without ackId the frame is fire-and-forget: no ack comes.
    const acksBefore = bob.client.acks.length;
    bob.client.sendRaw(JSON.stringify({ event: 'read messages', data: { ids: unread } }));
    await pause(100);
    expect(bob.client.acks.length).toBe(acksBefore);
    // alice's own copies were not touched by bob.
    const alices = await call<Message[]>(alice.client, 'get messages before', { dialog_id: chat.id, last_date: '2094-01-01 00:00:00' });
    for (const m of alices.filter((m) => m.created_by === bob.id)) expect(m.Body!.read_date).toBeNull();
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 messages: get messages before — newest first, dates inclusive, limit', async () => {
    expect(await errorOf(carol.client, 'get messages before', { dialog_id: chat.id, last_date: '2094-01-01 00:00:00' })).toBe('access denied');
    expect(await errorOf(bob.client, 'get messages before', { dialog_id: chat.id, last_date: 'yesterday' })).toBe('wrong data provided');
    const all = await call<Message[]>(bob.client, 'get messages before', { dialog_id: chat.id, last_date: '2094-01-01 00:00:00' });
    expect(all.map((m) => m.id)).toEqual(chatMessages.map((m) => m.id).reverse());
    for (const m of all) expectMessage(m, bob.id, everyone.find((p) => p.id === m.created_by)!);
    expect(all.map((m) => m.type)).toEqual(['service.dialog.renamed', 'message.default', 'message.deleted', 'service.dialog.created']);
    const [newest] = await call<Message[]>(bob.client, 'get messages before', { dialog_id: chat.id, last_date: '2094-01-01 00:00:00', limit: 1 });
    expect(newest!.id).toBe(all[0]!.id);
    const oldest = all.at(-1)!;
    const page = await call<Message[]>(bob.client, 'get messages before', { dialog_id: chat.id, last_date: oldest.created_at, first_date: oldest.created_at });
    expect(page.map((m) => m.id)).toContain(oldest.id);
    expect(page.every((m) => m.created_at === oldest.created_at)).toBe(true);
    expect(await call(bob.client, 'get messages before', { dialog_id: chat.id, last_date: '2020-01-01 00:00:00' })).toEqual([]);
  });

  it('§2.2 reconnect with auth by token: the token rotates; the presented one stops working', async () => {
    const old = alice.token;
    await alice.client.close();
    for (const p of [bob, carol]) expect(await p.client.push('offline')).toEqual([alice.id]);
    alice.client = await TestClient.connect(stack.url);
    const result = await call<{ userId: number; token: string }>(alice.client, 'auth by token', { userId: alice.id, token: old });
    expect(result.userId).toBe(alice.id);
    expect(result.token).not.toBe(old);
    alice.token = result.token;
    checkStorageUrls(await alice.client.push('storage urls'));
    for (const p of [bob, carol]) expect(await p.client.push('online')).toEqual([alice.id]);
    expect(await call<SelfUser>(alice.client, 'who am i')).toMatchObject({ id: alice.id, first_name: 'Alice' });

    // Another user's id with alice's token: refused, and alice's login is untouched.
    const stranger = await TestClient.connect(stack.url);
    expect(await errorOf(stranger, 'auth by token', { userId: bob.id, token: alice.token })).toBe('wrong token, use credentials');
    expect(await call<SelfUser>(alice.client, 'who am i')).toMatchObject({ id: alice.id });

    // The superseded token is refused. Presenting it is a replay (docs/design.md, Logins): that login
    // ends, its connection is asked to authenticate again, and the app falls back to credentials (§2.2).
    expect(await errorOf(stranger, 'auth by token', { userId: alice.id, token: old })).toBe('wrong token, use credentials');
    expect(await alice.client.push('subscribe please')).toBe('token expired');
    expect(await errorOf(alice.client, 'who am i')).toBe('not authenticated');
    for (const p of [bob, carol]) expect(await p.client.push('offline')).toEqual([alice.id]);
    expect(await errorOf(alice.client, 'auth by token', { userId: alice.id, token: alice.token })).toBe('wrong token, use credentials');
    const again = await call<{ userId: number; token: string }>(alice.client, 'auth by credentials', { username: 'alice', password: alice.password });
    alice.token = again.token;
    checkStorageUrls(await alice.client.push('storage urls'));
    for (const p of [bob, carol]) expect(await p.client.push('online')).toEqual([alice.id]);
    await stranger.close();
    await expectNoPushes(alice.client, bob.client, carol.client);
  });

  it('§4 log me out: log out please (null), the connection is unbound and the token revoked', async () => {
    expect(await call(alice.client, 'log me out')).toBeNull();
    expect(await alice.client.push('log out please')).toBeNull();
    for (const p of [bob, carol]) expect(await p.client.push('offline')).toEqual([alice.id]);
    expect(await errorOf(alice.client, 'who am i')).toBe('not authenticated');
    expect(await errorOf(alice.client, 'log me out')).toBe('not authenticated');
    expect(await errorOf(alice.client, 'auth by token', { userId: alice.id, token: alice.token })).toBe('wrong token, use credentials');
    // The connection stays open and may log in again.
    expect(alice.client.closed).toBeUndefined();
    expect(await call<{ userId: number }>(alice.client, 'subscribe', { username: 'alice', password: alice.password })).toMatchObject({ userId: alice.id });
    checkStorageUrls(await alice.client.push('storage urls'));
    for (const p of [bob, carol]) expect(await p.client.push('online')).toEqual([alice.id]);
    await expectNoPushes(alice.client, bob.client, carol.client);
  });
});
