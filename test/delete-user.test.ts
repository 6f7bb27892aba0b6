/**
 * `delete-user` through the real local stack: a user with contacts, dialogs,
 * groups (one as admin, one they were kicked from), messages both ways, a
 * client id, a failed login and rate buckets. Afterwards no item keyed by
 * them is left in either table, their messages are deleted messages in
 * everybody else's copies, everything else is as it was, and a run that
 * crashed halfway is finished by running it again.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps, type Deps } from '../lambdas/deps';
import { deleteUser } from '../lambdas/domain/account-deletion';
import type { Dialog, Group, Message } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { adminOn } from './support/admin';
import { TestClient } from './support/client';
import { closeAll, ids, names, people, send, textOf, type Person } from './support/conversations';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

type Item = Record<string, unknown> & { pk?: string; sk?: string };

async function scan(table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await getDeps().db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const keyOf = (item: Item) => `${item.pk}|${item.sk}`;

/** Keys and index keys that name the user: their partitions, their entries in others' partitions, their username. */
function keyedBy(item: Item, user: Person): boolean {
  const own = new RegExp(`(^|#)${user.id}(#|$)`);
  const named = [item.pk, item.sk, item.gsi1pk].filter((k): k is string => typeof k === 'string');
  if (named.some((k) => /^(USER|INBOX|RATE|CLIENTMSG|LINK|USERFAMILIES|UNREAD|USERSEARCH)#/.test(k) && own.test(k.replace(/^USERSEARCH#\d+/, '')))) return true;
  if (named.some((k) => k === `USERNAME#${user.username}` || k === `LOGINFAIL#${user.username}`)) return true;
  return item.userId === user.id || item.lastUserId === user.id;
}

/** A dialog head, names item or group that counts the user among its people. */
function holds(item: Item, user: Person): boolean {
  const has = (record: unknown) => typeof record === 'object' && record !== null && Object.hasOwn(record, String(user.id));
  const lists = (list: unknown) => Array.isArray(list) && list.includes(user.id);
  return lists(item.recipients) || lists(item.former) || has(item.members) || has(item.bodies);
}

/** Items that mention the user anywhere: these may change; every other item must not. */
const mentions = (item: Item, user: Person) =>
  keyedBy(item, user) || item.created_by === user.id || (item.creator as { id?: number } | undefined)?.id === user.id || holds(item, user);

function group(admin: Person, members: Person[], label: string): Promise<Group> {
  const recipients = ids(admin, ...members);
  return admin.client.call<Group>('new group', { bodies: names(label, recipients), recipients, admin_id: admin.id });
}

function groupDialog(creator: Person, g: Group, members: Person[]): Promise<Dialog> {
  const recipients = ids(creator, ...members);
  return creator.client.call<Dialog>('new dialog', { bodies: names('main', recipients), recipients, dialog: { group_id: g.id } });
}

const history = (person: Person, dialog: Dialog) => person.client.call<Message[]>('get messages before', { dialog_id: dialog.id, last_date: '2099-01-01 00:00:00', limit: 100 });

/** A user with everything a user can have; returns what the checks need. */
async function busyUser() {
  const [ann, bob, cat, dan] = await people(stack, 4, { prefix: 'del' });
  const direct = await bob!.client.call<Dialog>('new dialog', { bodies: names('d', ids(bob!, ann!)), recipients: ids(bob!, ann!), dialog: {} });
  await send(bob!, direct, 'hi ann');
  const annToBob = await send(ann!, direct, 'hi bob', { client_id: 'c-1' });
  const bobsGroup = await group(bob!, [ann!, cat!], 'bob group');
  const bobsMain = await groupDialog(bob!, bobsGroup, [ann!, cat!]);
  await send(ann!, bobsMain, 'ann in bob group');
  await send(cat!, bobsMain, 'cat in bob group');
  const annsGroup = await group(ann!, [bob!, dan!], 'ann group');
  const annsMain = await groupDialog(ann!, annsGroup, [bob!, dan!]);
  await send(ann!, annsMain, 'ann in own group');
  // Cat's group, which ann is kicked from: her copies and her message there are out of every index's reach.
  const catsGroup = await group(cat!, [ann!, dan!], 'cat group');
  const catsMain = await groupDialog(cat!, catsGroup, [ann!, dan!]);
  await send(ann!, catsMain, 'ann before the kick');
  await cat!.client.call('edit group', { group: { id: catsGroup.id, recipients: ids(cat!, dan!), added: [], kicked: [ann!.id], bodies: names('cat group v2', ids(cat!, dan!)) }, dialogs: [], messages: [] });
  const { token: annToken } = await ann!.client.call<{ token: string }>('auth by credentials', { username: ann!.username, password: ann!.password });
  const probe = await TestClient.connect(stack.url);
  expect((await probe.request('auth by credentials', { username: ann!.username, password: 'wrong' })).error).toBe('wrong password');
  await probe.close();
  return { annToken, ann: ann!, bob: bob!, cat: cat!, dan: dan!, direct, annToBob, bobsGroup, bobsMain, annsGroup, annsMain, catsGroup, catsMain };
}

type World = Awaited<ReturnType<typeof busyUser>>;

async function expectGone(w: World, before: Item[]) {
  const { ann } = w;
  const after = await scan(getDeps().config.dataTable);
  expect(after.filter((i) => keyedBy(i, ann)).map(keyOf)).toEqual([]);
  expect(after.filter((i) => i.pk?.startsWith('TOKENFAMILY#') && i.userId === ann.id)).toEqual([]);
  const connections = await scan(getDeps().config.connectionsTable);
  expect(connections.filter((c) => c.userId === ann.id)).toEqual([]);
  // Nobody's group, dialog or names item holds her any more (the kicked-from group's `former` neither).
  for (const item of after) {
    if (item.pk?.startsWith('MSG#') || item.pk?.startsWith('INBOX#')) continue; // message headers keep ids; checked below
    // Outboxes (a message's bodies for its copies, kept OUTBOX_TTL_SECONDS): hers go, others' stay until they expire.
    if (item.pk?.startsWith('OUTBOX#')) {
      expect((item.creator as { id: number }).id, keyOf(item)).not.toBe(ann.id);
      continue;
    }
    expect(holds(item, ann), keyOf(item)).toBe(false);
  }
  // Everything that never mentioned her is exactly as it was.
  const now = new Map(after.map((i) => [keyOf(i), i]));
  const untouched = before.filter((i) => !mentions(i, ann));
  expect(untouched.length).toBeGreaterThan(20);
  for (const item of untouched) expect(now.get(keyOf(item)), keyOf(item)).toEqual(item);
}

describe('delete-user', { timeout: 120_000 }, () => {
  it('removes every item of the user, leaves their messages to others as deleted messages and nothing else changed', async () => {
    const w = await busyUser();
    const { ann, bob, cat, dan } = w;
    const before = await scan(getDeps().config.dataTable);
    // The kinds of items the deletion must reach exist beforehand.
    const kinds = ['USER#', `INBOX#${ann.id}#${w.catsMain.id}`, `CLIENTMSG#${ann.id}#`, `RATE#${ann.id}`, `LOGINFAIL#${ann.username}`, `USERNAME#${ann.username}`];
    for (const kind of kinds) expect(before.some((i) => keyedBy(i, ann) && i.pk!.startsWith(kind)), kind).toBe(true);
    expect(before.some((i) => i.pk === `GROUP#${w.catsGroup.id}` && (i.former as number[]).includes(ann.id))).toBe(true);
    bob.client.pushes.length = 0;

    const { stdout, stderr } = await adminOn(stack, 'delete-user', '--user', ann.username);
    expect(stderr).toContain('delete-user on the local stack');
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ user: ann.id, connectionsLoggedOut: 1, groupsLeft: 2, dialogsLeft: 1, contactsRemoved: 3 });
    // Her 4 messages: each message item, and the copies of the other recipients (1 + 2 + 2 + 2).
    expect(report.messagesErased).toBe(4 + 7);
    expect(await ann.client.push('log out please')).toBeNull();
    await ann.client.waitClosed();

    await expectGone(w, before);
    // She cannot log in (after the check: a failed login counts for any username, existing or not).
    const retry = await TestClient.connect(stack.url);
    expect((await retry.request('auth by credentials', { username: ann.username, password: ann.password })).error).toBe('wrong password');
    expect((await retry.request('auth by token', { userId: ann.id, token: w.annToken })).error).toBe('wrong token, use credentials');
    await retry.close();

    // Contacts: the link is gone on their side, an online one was told.
    expect(bob.client.pushes.filter((p) => p.event === 'userlink update').map((p) => p.data)).toEqual([expect.objectContaining({ user_id: ann.id, status: 'withdrawn' })]);
    expect((await bob.client.call<{ id: number }[]>('give me users')).map((u) => u.id)).not.toContain(ann.id);
    // Her messages are deleted messages in everybody's copies; theirs are untouched.
    const direct = await history(bob, w.direct);
    expect(direct.map((m) => [m.type, textOf(m), m.Attachments?.length])).toEqual([
      ['message.deleted', '', 0],
      ['message.default', `hi ann for ${bob.id}`, 0],
    ]);
    expect(direct[0]).toMatchObject({ id: w.annToBob.id, Creator: { id: ann.id }, Body: { nonce: '' } });
    const inBobs = await history(cat, w.bobsMain);
    expect(inBobs.filter((m) => m.type !== 'service.group.created').map((m) => [m.created_by, m.type, textOf(m)])).toEqual([
      [cat.id, 'message.default', `cat in bob group for ${cat.id}`],
      [ann.id, 'message.deleted', ''],
    ]);
    expect((await history(dan, w.catsMain)).map((m) => [m.created_by, m.type])).toEqual([[ann.id, 'message.deleted']]);
    // Groups and dialogs go on without her; her own group keeps her as admin id (no hand-over in the protocol).
    const bobsGroups = await bob.client.call<Group[]>('give me groups');
    expect(bobsGroups.map((g) => [g.id, Object.keys(g.Recipients).map(Number).sort((a, b) => a - b)]).sort()).toEqual(
      [[w.bobsGroup.id, ids(bob, cat)], [w.annsGroup.id, ids(bob, dan)]].sort(),
    );
    expect(bobsGroups.find((g) => g.id === w.annsGroup.id)).toMatchObject({ admin_id: ann.id });
    await send(cat, { ...w.bobsMain, Recipients: { [bob.id]: { id: bob.id }, [cat.id]: { id: cat.id } } } as Dialog, 'after ann');
    expect(await bob.client.push<Message[]>('messages')).toEqual([expect.objectContaining({ type: 'message.default' })]);
    await closeAll(bob, cat, dan);
  });

  it('a run that stops halfway is finished by running it again', async () => {
    const w = await busyUser();
    const before = await scan(getDeps().config.dataTable);
    for (const limit of [12, 40]) {
      // The operator's process dies after `limit` DynamoDB requests.
      await expect(deleteUser(crashingAfter(limit), w.ann.id)).rejects.toThrow('crashed');
    }
    const { stdout } = await adminOn(stack, 'delete-user', '--user', String(w.ann.id));
    expect(JSON.parse(stdout)).toMatchObject({ user: w.ann.id });
    await expectGone(w, before);
    expect((await history(w.bob, w.direct)).map((m) => m.type)).toEqual(['message.deleted', 'message.default']);
    await expect(adminOn(stack, 'delete-user', '--user', String(w.ann.id))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`no user ${w.ann.id}`) });
    await closeAll(w.bob, w.cat, w.dan);
  });
});

function crashingAfter(limit: number): Deps {
  const deps = getDeps();
  let sent = 0;
  const db = new Proxy(deps.db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: Parameters<typeof target.send>[0]) => {
        if (++sent > limit) return Promise.reject(new Error('crashed'));
        return target.send(command);
      };
    },
  });
  return { ...deps, db };
}
