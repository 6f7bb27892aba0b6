/** Groups through the real local stack: creation flow, edit group (invite, kick, re-encrypt, service messages), avatar, keys. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { addKey } from '../lambdas/domain/keys';
import type { Dialog, EditedGroup, Group, Key, Message } from '../lambdas/protocol/objects';
import { LIMITS } from '../lambdas/protocol/schemas';
import type { LocalStack } from '../local/stack';
import { keyName, pause, takePushes } from './support/contacts';
import {
  bodies,
  closeAll,
  DATE,
  errorOf,
  fields,
  ids,
  nameOfDialog,
  nameOfGroup,
  names,
  people,
  recipientsOf,
  send,
  SHAPES,
  textOf,
  type Person,
} from './support/conversations';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const sorted = (list: number[]) => [...list].sort((a, b) => a - b);

function createGroup(admin: Person, members: Person[], label = 'group', extra: Record<string, unknown> = {}): Promise<Group> {
  const recipients = ids(admin, ...members);
  return admin.client.call<Group>('new group', { bodies: names(label, recipients), recipients, admin_id: admin.id, ...extra });
}

function groupDialog(creator: Person, group: Group, members: Person[], label = 'main'): Promise<Dialog> {
  const recipients = ids(creator, ...members);
  return creator.client.call<Dialog>('new dialog', { bodies: names(label, recipients), recipients, dialog: { group_id: group.id } });
}

/** Service message bodies: the admin reads one text, everybody else another. */
const serviceBodies = (admin: number, recipients: number[], forAdmin: string, forOthers: string) =>
  recipients.map((r) => ({ ...bodies(r === admin ? forAdmin : forOthers, [r])[0]! }));

describe('creating a group', () => {
  it('new group → first dialog → service.group.created, each member with their own bodies', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const bobKey = await addKey(getDeps(), bob!.id, keyName(), true);
    const avatar = randomUUID();
    const group = await createGroup(ann!, [bob!, cat!], 'friends', { avatar });
    expect(fields(group)).toEqual(SHAPES.group);
    expect(fields(group.Body)).toEqual(SHAPES.groupName);
    expect(group).toMatchObject({ avatar, admin_id: ann!.id, created_by: ann!.id, updated_by: ann!.id, Body: { id: group.id, group_id: group.id, recipient_id: ann!.id } });
    expect(group.created_at).toMatch(DATE);
    expect(nameOfGroup(group)).toBe(`friends for ${ann!.id}`);
    expect(sorted(Object.keys(group.Recipients).map(Number))).toEqual(sorted(ids(ann!, bob!, cat!)));
    for (const member of Object.values(group.Recipients)) expect(fields(member)).toEqual(SHAPES.groupMember);
    expect(group.Recipients[bob!.id]).toEqual({ id: bob!.id, username: bob!.username, domain_id: 1, key: bobKey });
    expect(group.Recipients[cat!.id]).toMatchObject({ key: null });

    for (const p of [bob!, cat!]) {
      const told = await p.client.push<Group>('group');
      expect(nameOfGroup(told)).toBe(`friends for ${p.id}`);
      expect(told.Recipients).toEqual(group.Recipients);
      expect(await p.client.call('give me groups')).toEqual([told]);
    }

    const dialog = await groupDialog(ann!, group, [bob!, cat!]);
    expect(dialog).toMatchObject({ group_id: group.id });
    for (const p of [bob!, cat!]) expect(nameOfDialog(await p.client.push<Dialog>('dialog'), p.id)).toBe(`main for ${p.id}`);

    const created = await ann!.client.call<Message>('new message', {
      message: { dialog_id: dialog.id, type: 'service.group.created' },
      bodies: serviceBodies(ann!.id, recipientsOf(dialog), 'you created the group', `${ann!.username} created the group`),
    });
    expect(created).toMatchObject({ type: 'service.group.created', Creator: { id: ann!.id } });
    expect(textOf(created)).toBe(`you created the group for ${ann!.id}`);
    for (const p of [bob!, cat!]) {
      const [pushed] = await p.client.push<Message[]>('messages');
      expect(textOf(pushed!)).toBe(`${ann!.username} created the group for ${p.id}`);
      expect((await p.client.call<Message[]>('give me messages')).map((m) => m.id)).toEqual([created.id]);
    }
    await closeAll(ann!, bob!, cat!);
  });

  it('refused: admin_id not the caller, a member who is not the admin\'s accepted contact, bodies that do not match; nothing created', async () => {
    const [ann, bob, cat] = await people(stack, 3, { linked: false });
    await linkUsers(getDeps(), ann!.id, bob!.id);
    const recipients = ids(ann!, bob!);
    const ok = { bodies: names('g', recipients), recipients, admin_id: ann!.id };
    expect(await errorOf(ann!.client, 'new group', { ...ok, admin_id: bob!.id })).toBe('access denied');
    expect(await errorOf(ann!.client, 'new group', { ...ok, recipients: ids(ann!, bob!, cat!), bodies: names('g', ids(ann!, bob!, cat!)) })).toBe('access denied');
    expect(await errorOf(ann!.client, 'new group', { ...ok, bodies: names('g', [ann!.id]) })).toBe('wrong data provided');
    expect(await errorOf(ann!.client, 'new group', { ...ok, recipients: [bob!.id], bodies: names('g', [bob!.id]) })).toBe('wrong data provided');
    expect(await errorOf(ann!.client, 'new group', { ...ok, avatar: 'not-a-uuid' })).toBe('wrong data provided');
    const many = Array.from({ length: LIMITS.recipients + 1 }, (_, i) => i + 1);
    expect(await errorOf(ann!.client, 'new group', { bodies: names('g', many), recipients: many, admin_id: ann!.id })).toBe('wrong data provided');
    for (const p of [ann!, bob!, cat!]) expect(await p.client.call('give me groups')).toEqual([]);
    await closeAll(ann!, bob!, cat!);
  });
});

describe('edit group', () => {
  it('invites one member and kicks another: re-encrypted names, service messages, and the kicked one is out at once', async () => {
    const [ann, bob, cat, dan] = await people(stack, 4, { linked: false });
    for (const other of [bob!, cat!, dan!]) await linkUsers(getDeps(), ann!.id, other.id);
    await linkUsers(getDeps(), bob!.id, cat!.id);
    for (const p of [ann!, bob!, cat!, dan!]) p.client.pushes.length = 0;
    const danKey = await addKey(getDeps(), dan!.id, keyName(), true);
    const group = await createGroup(ann!, [bob!, cat!], 'v1');
    const main = await groupDialog(ann!, group, [bob!, cat!], 'main v1');
    const side = await groupDialog(bob!, group, [cat!], 'side'); // Bob and Cat only
    const before = await send(bob!, main, 'before the change');
    const catsOwn = await send(cat!, main, 'cat was here');
    for (const p of [ann!, bob!, cat!, dan!]) p.client.pushes.length = 0;

    const after = ids(ann!, bob!, dan!);
    const edit = {
      group: { id: group.id, recipients: after, added: [dan!.id], kicked: [cat!.id], bodies: names('v2', after) },
      dialogs: [{ id: main.id, recipients: after, bodies: names('main v2', after) }],
      messages: [
        { message: { dialog_id: main.id, type: 'service.group.user.invited' }, bodies: serviceBodies(ann!.id, after, 'you invited dan', 'ann invited dan') },
        { message: { dialog_id: main.id, type: 'service.group.user.kicked' }, bodies: serviceBodies(ann!.id, after, 'you removed cat', 'ann removed cat') },
      ],
    };
    const edited = await ann!.client.call<EditedGroup>('edit group', edit);
    expect(fields(edited)).toEqual(['dialogs', 'group', 'messages']);
    expect(sorted(Object.keys(edited.group.Recipients).map(Number))).toEqual(sorted(after));
    expect(edited.group.Recipients[dan!.id]).toEqual({ id: dan!.id, username: dan!.username, domain_id: 1, key: danKey });
    expect(nameOfGroup(edited.group)).toBe(`v2 for ${ann!.id}`);
    expect(Object.keys(edited.dialogs)).toEqual([String(main.id)]);
    expect(nameOfDialog(edited.dialogs[main.id]!, ann!.id)).toBe(`main v2 for ${ann!.id}`);
    const serviceIds = Object.keys(edited.messages).map(Number).sort((a, b) => a - b);
    expect(serviceIds).toHaveLength(2);
    expect(serviceIds.map((id) => textOf(edited.messages[id]!))).toEqual([`you invited dan for ${ann!.id}`, `you removed cat for ${ann!.id}`]);
    expect(serviceIds[0]).toBeGreaterThan(catsOwn.id);

    // Bob and Dan hear about the group, the dialog and both service messages, in their own words.
    for (const p of [bob!, dan!]) {
      expect(nameOfGroup(await p.client.push<Group>('group'))).toBe(`v2 for ${p.id}`);
      const dialog = await p.client.push<Dialog>('dialog');
      expect(nameOfDialog(dialog, p.id)).toBe(`main v2 for ${p.id}`);
      expect(sorted(recipientsOf(dialog))).toEqual(sorted(after));
      // Both service messages in one push, oldest first.
      const pushed = await p.client.push<Message[]>('messages');
      expect(pushed.map((m) => m.id)).toEqual(serviceIds);
      expect(pushed.map(textOf).sort()).toEqual([`ann invited dan for ${p.id}`, `ann removed cat for ${p.id}`]);
    }
    // Dan sees the group, the dialog, and the messages from his arrival on; he holds Bob's keys though they are not contacts.
    expect((await dan!.client.call<Group[]>('give me groups')).map((g) => g.id)).toEqual([group.id]);
    expect((await dan!.client.call<Dialog[]>('give me dialogs')).map((d) => d.id)).toEqual([main.id]);
    expect((await dan!.client.call<Message[]>('get messages before', { dialog_id: main.id, last_date: '2094-01-01 00:00:00' })).map((m) => m.id)).toEqual([...serviceIds].reverse());
    expect((await dan!.client.call<Message[]>('give me messages')).map((m) => m.id).sort()).toEqual(serviceIds.map(Number).sort());
    const bobKey = await addKey(getDeps(), bob!.id, keyName(), true);
    expect((await dan!.client.call<Key[]>('give me keys')).map((k) => k.id)).toContain(bobKey.id);
    expect(await dan!.client.push<Key>('user changed key')).toEqual(bobKey);

    // Cat is out: nothing pushed, nothing visible, everything refused.
    await pause(50);
    expect(cat!.client.pushes.filter((p) => ['group', 'dialog', 'messages'].includes(p.event))).toEqual([]);
    expect(await cat!.client.call('give me groups')).toEqual([]);
    expect(await cat!.client.call('give me dialogs')).toEqual([]);
    expect(await cat!.client.call('give me messages')).toEqual([]);
    const refusals = {
      history: await errorOf(cat!.client, 'get messages before', { dialog_id: main.id, last_date: '2094-01-01 00:00:00' }),
      sideHistory: await errorOf(cat!.client, 'get messages before', { dialog_id: side.id, last_date: '2094-01-01 00:00:00' }),
      send: await errorOf(cat!.client, 'new message', { message: { dialog_id: main.id }, bodies: bodies('let me in', [...after, cat!.id]) }),
      sendSide: await errorOf(cat!.client, 'new message', { message: { dialog_id: side.id }, bodies: bodies('psst', ids(bob!, cat!)) }),
      rename: await errorOf(cat!.client, 'rename dialog', { id: main.id, bodies: names('mine', after) }),
      edit: await errorOf(cat!.client, 'update message', { id: catsOwn.id, bodies: bodies('x', ids(ann!, bob!, cat!)) }),
      dialog: await errorOf(cat!.client, 'new dialog', { bodies: names('x', ids(cat!, bob!)), recipients: ids(cat!, bob!), dialog: { group_id: group.id } }),
      editGroup: await errorOf(cat!.client, 'edit group', { ...edit, group: { ...edit.group, added: [], kicked: [] } }),
    };
    expect(refusals).toEqual(Object.fromEntries(Object.keys(refusals).map((k) => [k, 'access denied'])));
    expect(await cat!.client.call('read messages', { ids: [before.id] })).toBeNull();
    // The side dialog lost Cat too, though the admin did not list it.
    const bobsSide = (await bob!.client.call<Dialog[]>('give me dialogs')).find((d) => d.id === side.id)!;
    expect(recipientsOf(bobsSide)).toEqual([bob!.id]);
    expect(nameOfDialog(bobsSide, bob!.id)).toBe(`side for ${bob!.id}`);
    // What Bob sees of main is unchanged by Cat's attempts.
    const bobHistory = await bob!.client.call<Message[]>('get messages before', { dialog_id: main.id, last_date: '2094-01-01 00:00:00' });
    expect(bobHistory.map((m) => m.id)).toEqual([...serviceIds].reverse().concat([catsOwn.id, before.id]));
    expect(bobHistory.find((m) => m.id === catsOwn.id)).toMatchObject({ type: 'message.default', edited_at: null });
    await closeAll(ann!, bob!, cat!, dan!);
  });

  it('only the admin; the membership change must add up; refused edits change nothing', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const group = await createGroup(ann!, [bob!, cat!], 'g');
    const main = await groupDialog(ann!, group, [bob!, cat!]);
    const change = (group_: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ group: { id: group.id, ...group_ }, ...rest });
    const kickCat = change({ recipients: ids(ann!, bob!), kicked: [cat!.id], bodies: names('g2', ids(ann!, bob!)) });
    expect(await errorOf(bob!.client, 'edit group', kickCat)).toBe('access denied');
    expect(await errorOf(bob!.client, 'edit group', { ...kickCat, group: { ...kickCat.group, id: 123456 } })).toBe('access denied');
    // A listed dialog may only have members after the change: a kicked one is refused like any non-member.
    expect(await errorOf(ann!.client, 'edit group', { ...kickCat, dialogs: [{ id: main.id, recipients: ids(ann!, bob!, cat!), bodies: names('m', ids(ann!, bob!, cat!)) }] })).toBe('access denied');
    const wrong: [string, unknown][] = [
      ['recipients do not add up', change({ recipients: ids(ann!, bob!, cat!), kicked: [cat!.id] })],
      ['kicking a non-member', change({ recipients: ids(ann!, bob!, cat!), kicked: [999] })],
      ['kicking the admin', change({ recipients: ids(bob!, cat!), kicked: [ann!.id], bodies: names('g', ids(bob!, cat!)) })],
      ['adding a member', change({ recipients: ids(ann!, bob!, cat!, bob!), added: [bob!.id] })],
      ['group bodies that do not match', change({ recipients: ids(ann!, bob!), kicked: [cat!.id], bodies: names('g', ids(ann!)) })],
      ['service message bodies for the old recipients', { ...kickCat, messages: [{ message: { dialog_id: main.id, type: 'service.group.user.kicked' }, bodies: bodies('x', ids(ann!, bob!, cat!)) }] }],
    ];
    for (const [what, data] of wrong) expect(await errorOf(ann!.client, 'edit group', data), what).toBe('wrong data provided');
    expect(await errorOf(ann!.client, 'edit group', { ...kickCat, dialogs: [{ id: 31337, recipients: ids(ann!, bob!), bodies: names('m', ids(ann!, bob!)) }] })).toBe('access denied');
    // Nothing changed anywhere.
    for (const p of [ann!, bob!, cat!]) {
      const [g] = await p.client.call<Group[]>('give me groups');
      expect(sorted(Object.keys(g!.Recipients).map(Number))).toEqual(sorted(ids(ann!, bob!, cat!)));
      expect(nameOfGroup(g!)).toBe(`g for ${p.id}`);
      expect((await p.client.call<Dialog[]>('give me dialogs')).map(recipientsOf)).toEqual([sorted(ids(ann!, bob!, cat!))]);
      expect(await p.client.call('get messages before', { dialog_id: main.id, last_date: '2094-01-01 00:00:00' })).toEqual([]);
    }
    await closeAll(ann!, bob!, cat!);
  });

  it('two concurrent edits kicking the same member: exactly one applies', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const group = await createGroup(ann!, [bob!, cat!], 'g');
    const kick = (label: string) => ({ group: { id: group.id, recipients: ids(ann!, bob!), kicked: [cat!.id], bodies: names(label, ids(ann!, bob!)) } });
    const results = await Promise.all([ann!.client.request('edit group', kick('first')), ann!.client.request('edit group', kick('second'))]);
    const errors = results.map((r) => r.error);
    expect(errors.filter((e) => e === null)).toHaveLength(1);
    expect(errors.filter((e) => e !== null)).toEqual(['wrong data provided']);
    const winner = results.find((r) => r.error === null)!.result as EditedGroup;
    const [g] = await bob!.client.call<Group[]>('give me groups');
    expect(nameOfGroup(g!)).toBe(`${nameOfGroup(winner.group).split(' ')[0]} for ${bob!.id}`);
    await closeAll(ann!, bob!, cat!);
  });

  it('an edit of a 30-member group with four service messages commits whole: no transaction grows with the group', { timeout: 60_000 }, async () => {
    const everyone = await people(stack, 30, { linked: false });
    const [ann, ...rest] = everyone;
    for (const p of rest) await linkUsers(getDeps(), ann!.id, p.id);
    const group = await createGroup(ann!, rest, 'big');
    const main = await groupDialog(ann!, group, rest);
    const all = ids(...everyone);
    const service = (text: string) => ({ message: { dialog_id: main.id, type: 'service.group.renamed' }, bodies: bodies(text, all) });
    // Once one transaction of 126 actions (group + dialog + 4 × (1 + 30 copies)), refused; now 6 actions and 120 copies after.
    const edit = { group: { id: group.id, recipients: all, bodies: names('big 2', all) }, messages: [service('a'), service('b'), service('c'), service('d')] };
    const edited = await ann!.client.call<EditedGroup>('edit group', edit);
    expect(Object.keys(edited.messages)).toHaveLength(4);
    for (const p of rest) {
      expect(nameOfGroup((await p.client.call<Group[]>('give me groups'))[0]!)).toBe(`big 2 for ${p.id}`);
      const history = await p.client.call<Message[]>('get messages before', { dialog_id: main.id, last_date: '2094-01-01 00:00:00' });
      expect(history.map(textOf).sort()).toEqual(['a', 'b', 'c', 'd'].map((t) => `${t} for ${p.id}`));
    }
    await closeAll(...everyone);
  });
});

describe('group avatar', () => {
  it('the admin changes and deletes it (group push); a member may not', async () => {
    const [ann, bob] = await people(stack, 2);
    const group = await createGroup(ann!, [bob!]);
    await bob!.client.push('group');
    const avatar = randomUUID();
    expect(await ann!.client.call('change avatar', { avatar, is_group: true, id: group.id })).toBeNull();
    expect(await bob!.client.push<Group>('group')).toMatchObject({ id: group.id, avatar, updated_by: ann!.id });
    expect(await errorOf(bob!.client, 'change avatar', { avatar: randomUUID(), is_group: true, id: group.id })).toBe('access denied');
    expect(await errorOf(bob!.client, 'delete avatar', { is_group: true, id: group.id })).toBe('access denied');
    expect(await errorOf(ann!.client, 'change avatar', { avatar: 'nope', is_group: true, id: group.id })).toBe('please provide avatar uuid');
    expect((await bob!.client.call<Group[]>('give me groups'))[0]).toMatchObject({ avatar });
    expect(await ann!.client.call('delete avatar', { is_group: true, id: group.id })).toBeNull();
    expect(await bob!.client.push<Group>('group')).toMatchObject({ avatar: null });
    await pause(50);
    expect(takePushes(bob!.client, 'group')).toEqual([]);
    await closeAll(ann!, bob!);
  });
});
