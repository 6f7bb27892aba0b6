/** Dialogs through the real local stack: new dialog, rename dialog, give me dialogs, the dialog push, and who may. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Group, UserContainer } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { pause, takePushes, userlink } from './support/contacts';
import { closeAll, DATE, device, errorOf, fields, ids, nameOfDialog, names, newDialog, people, recipientsOf, send, SHAPES, textOf } from './support/conversations';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

describe('new dialog', () => {
  it('with an accepted contact: the exact dialog object, each side with its own name only', async () => {
    const [ann, bob] = await people(stack, 2);
    const annTablet = await device(stack, ann!);
    const dialog = await newDialog(ann!, [bob!], 'chat');
    expect(fields(dialog)).toEqual(SHAPES.dialog);
    expect(dialog).toMatchObject({ group_id: null, created_by: ann!.id, updated_by: ann!.id, Recipients: { [ann!.id]: { id: ann!.id }, [bob!.id]: { id: bob!.id } } });
    expect(dialog.created_at).toMatch(DATE);
    expect(Object.keys(dialog.Body)).toEqual([String(ann!.id)]);
    expect(fields(dialog.Body[ann!.id]!)).toEqual(SHAPES.dialogName);
    expect(dialog.Body[ann!.id]).toMatchObject({ id: dialog.id, dialog_id: dialog.id, recipient_id: ann!.id, key_id: 1, key_from_id: 1 });
    expect(nameOfDialog(dialog, ann!.id)).toBe(`chat for ${ann!.id}`);

    // Bob, and Ann's other device, are told; each sees only their own name.
    const told = await bob!.client.push<Dialog>('dialog');
    expect(Object.keys(told.Body)).toEqual([String(bob!.id)]);
    expect(nameOfDialog(told, bob!.id)).toBe(`chat for ${bob!.id}`);
    expect(await annTablet.push<Dialog>('dialog')).toEqual(dialog);
    await pause(50);
    expect(takePushes(ann!.client, 'dialog')).toEqual([]);

    expect(await ann!.client.call('give me dialogs')).toEqual([dialog]);
    expect(await bob!.client.call('give me dialogs')).toEqual([told]);
    await closeAll(ann!, bob!);
    await annTablet.close();
  });

  it('refused unless every other recipient is an accepted contact; nothing is created', async () => {
    const [ann, bob, cat] = await people(stack, 3, { linked: false });
    await userlink(ann!.client, ann!.id, bob!.id, 'request');
    const attempt = (others: number[]) => errorOf(ann!.client, 'new dialog', { bodies: names('d', [ann!.id, ...others]), recipients: [ann!.id, ...others], dialog: {} });
    expect(await attempt([bob!.id])).toBe('access denied'); // only requested
    expect(await attempt([cat!.id])).toBe('access denied'); // a stranger
    expect(await attempt([987654])).toBe('access denied'); // nobody
    await userlink(bob!.client, bob!.id, ann!.id, 'accept');
    expect(await attempt([bob!.id, cat!.id])).toBe('access denied'); // one of two
    for (const p of [ann!, bob!, cat!]) expect(await p.client.call('give me dialogs')).toEqual([]);
    expect(await attempt([bob!.id])).toBeNull();
    await closeAll(ann!, bob!, cat!);
  });

  it('recipients and bodies must agree: one body each, the creator included, no duplicates', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const recipients = ids(ann!, bob!);
    const ok = { bodies: names('d', recipients), recipients, dialog: { group_id: null } };
    const refused: [string, unknown][] = [
      ['a body missing', { ...ok, bodies: ok.bodies.slice(1) }],
      ['a body for someone else', { ...ok, bodies: [...ok.bodies, ...names('d', [cat!.id])] }],
      ['a body twice', { ...ok, bodies: [ok.bodies[0], ok.bodies[0], ok.bodies[1]] }],
      ['without the creator', { ...ok, recipients: [bob!.id], bodies: names('d', [bob!.id]) }],
      ['a recipient twice', { ...ok, recipients: [ann!.id, bob!.id, bob!.id] }],
      ['name not base64', { ...ok, bodies: [{ ...ok.bodies[0], name: '#!' }, ok.bodies[1]] }],
      ['no recipients', { ...ok, recipients: [] }],
    ];
    for (const [what, data] of refused) expect(await errorOf(ann!.client, 'new dialog', data), what).toBe('wrong data provided');
    expect(await ann!.client.call('give me dialogs')).toEqual([]);
    await closeAll(ann!, bob!, cat!);
  });

  it('in a group: every recipient a member, the creator too', async () => {
    const [ann, bob, cat, dan] = await people(stack, 4);
    const group = await ann!.client.call<Group>('new group', { bodies: names('g', ids(ann!, bob!, cat!)), recipients: ids(ann!, bob!, cat!), admin_id: ann!.id });
    const inGroup = (p: typeof ann, recipients: number[]) =>
      p!.client.request('new dialog', { bodies: names('gd', recipients), recipients, dialog: { group_id: group.id } });
    // Bob (a member, not the admin) may start a dialog with Cat inside the group.
    const sub = await inGroup(bob, ids(bob!, cat!));
    expect(sub.error).toBeNull();
    expect(sub.result).toMatchObject({ group_id: group.id });
    expect((await inGroup(bob, ids(bob!, dan!))).error).toBe('access denied'); // Dan is not a member
    expect((await inGroup(dan, ids(dan!, ann!))).error).toBe('access denied'); // Dan is not a member
    expect((await dan!.client.request('new dialog', { bodies: names('gd', ids(dan!, ann!)), recipients: ids(dan!, ann!), dialog: { group_id: 424242 } })).error).toBe('access denied');
    expect((await cat!.client.call<Dialog[]>('give me dialogs')).map((d) => d.id)).toEqual([(sub.result as Dialog).id]);
    expect(await ann!.client.call('give me dialogs')).toEqual([]);
    await closeAll(ann!, bob!, cat!, dan!);
  });
});

describe('user container', () => {
  it('carries the dialogs (outside groups) and messages with the other user', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const dialog = await newDialog(ann!, [bob!], 'ours');
    await newDialog(ann!, [cat!], 'not bob\'s');
    const hello = await send(ann!, dialog, 'hello');
    expect((await userlink(bob!.client, bob!.id, ann!.id, 'withdraw')).error).toBeNull();
    expect((await userlink(bob!.client, bob!.id, ann!.id, 'remove')).error).toBeNull();
    bob!.client.pushes.length = 0;
    // Ann asks again: her answer and Bob's container both hold their dialog and its newest message, each in their own words.
    const asked = (await userlink(ann!.client, ann!.id, bob!.id, 'request')).result as UserContainer;
    expect(asked.dialogs.map((d) => nameOfDialog(d, ann!.id))).toEqual([`ours for ${ann!.id}`]);
    expect(asked.messages.map(textOf)).toEqual([`hello for ${ann!.id}`]);
    const container = await bob!.client.push<UserContainer>('user container');
    expect(container.dialogs.map((d) => nameOfDialog(d, bob!.id))).toEqual([`ours for ${bob!.id}`]);
    expect(container.messages).toMatchObject([{ id: hello.id, Body: { recipient_id: bob!.id, read_date: null } }]);
    await closeAll(ann!, bob!, cat!);
  });
});

describe('rename dialog', () => {
  it('a recipient renames: new names for everyone, dialog push; others are refused alike whether the dialog exists or not', async () => {
    const [ann, bob, eve] = await people(stack, 3);
    const dialog = await newDialog(ann!, [bob!], 'old');
    await bob!.client.push('dialog');
    const renamed = await bob!.client.call<Dialog>('rename dialog', { id: dialog.id, bodies: names('new', ids(ann!, bob!)) });
    expect(renamed).toMatchObject({ id: dialog.id, created_at: dialog.created_at, created_by: ann!.id, updated_by: bob!.id });
    expect(nameOfDialog(renamed, bob!.id)).toBe(`new for ${bob!.id}`);
    const told = await ann!.client.push<Dialog>('dialog');
    expect(nameOfDialog(told, ann!.id)).toBe(`new for ${ann!.id}`);
    expect(recipientsOf(told)).toEqual(ids(ann!, bob!).sort((a, b) => a - b));

    expect(await errorOf(eve!.client, 'rename dialog', { id: dialog.id, bodies: names('x', ids(ann!, bob!)) })).toBe('access denied');
    expect(await errorOf(eve!.client, 'rename dialog', { id: dialog.id + 16, bodies: names('x', ids(ann!, bob!)) })).toBe('access denied');
    expect(await errorOf(ann!.client, 'rename dialog', { id: dialog.id, bodies: names('x', ids(ann!)) })).toBe('wrong data provided');
    expect(nameOfDialog((await ann!.client.call<Dialog[]>('give me dialogs'))[0]!, ann!.id)).toBe(`new for ${ann!.id}`);
    await closeAll(ann!, bob!, eve!);
  });

  it('outside groups, renaming is writing: refused once the link is no longer accepted', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!], 'ours');
    expect((await userlink(bob!.client, bob!.id, ann!.id, 'withdraw')).error).toBeNull();
    await pause(50);
    bob!.client.pushes.length = 0;
    expect(await errorOf(ann!.client, 'rename dialog', { id: dialog.id, bodies: names('spam', ids(ann!, bob!)) })).toBe('access denied');
    expect(await errorOf(bob!.client, 'rename dialog', { id: dialog.id, bodies: names('spam', ids(ann!, bob!)) })).toBe('access denied');
    await pause(50);
    expect(takePushes(bob!.client, 'dialog')).toEqual([]);
    expect(nameOfDialog((await bob!.client.call<Dialog[]>('give me dialogs'))[0]!, bob!.id)).toBe(`ours for ${bob!.id}`);
    await closeAll(ann!, bob!);
  });
});
