/**
 * Who may do what with dialogs, groups and messages: every attempt by a
 * stranger, a kicked member and a member who is not the creator (or admin) is
 * refused with `access denied` — the same answer for an id that does not
 * exist — and leaves the whole data table exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import type { Dialog, Group, Message } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { bodies, closeAll, errorOf, ids, names, people, send, type Person } from './support/conversations';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/**
 * Every item of the data table, in key order (a test-only Scan), but the
 * users' rate-limit buckets: a costly frame takes a token whether or not it
 * is then refused (refused attempts cost the caller too).
 */
async function snapshot(): Promise<unknown[]> {
  const deps = getDeps();
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.db.send(new ScanCommand({ TableName: deps.config.dataTable, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.filter((item) => !String(item.pk).startsWith('RATE#')).sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

describe('access matrix', () => {
  it('stranger, kicked member, non-creator: refused alike, nothing written', { timeout: 60_000 }, async () => {
    const [admin, member, kicked, stranger] = await people(stack, 4);
    const recipients = ids(admin!, member!, kicked!);
    const group = await admin!.client.call<Group>('new group', { bodies: names('g', recipients), recipients, admin_id: admin!.id });
    const dialog = await admin!.client.call<Dialog>('new dialog', { bodies: names('d', recipients), recipients, dialog: { group_id: group.id } });
    const byAdmin = await send(admin!, dialog, 'from the admin');
    const byKicked = await send(kicked!, dialog, 'from the soon kicked');
    const oneToOne = await admin!.client.call<Dialog>('new dialog', { bodies: names('pair', ids(admin!, member!)), recipients: ids(admin!, member!), dialog: {} });
    const private_ = await send(admin!, oneToOne, 'between us');
    const after = ids(admin!, member!);
    await admin!.client.call('edit group', {
      group: { id: group.id, recipients: after, kicked: [kicked!.id], bodies: names('g2', after) },
      dialogs: [{ id: dialog.id, recipients: after, bodies: names('d2', after) }],
    });

    const before = await snapshot();
    const missing = byAdmin.id + 7 * 16; // an id nobody has
    const attempts: Record<string, [Person, string, unknown]> = {
      'stranger reads the group dialog': [stranger!, 'get messages before', { dialog_id: dialog.id, last_date: '2094-01-01 00:00:00' }],
      'stranger reads a missing dialog': [stranger!, 'get messages before', { dialog_id: missing, last_date: '2094-01-01 00:00:00' }],
      'kicked reads the group dialog': [kicked!, 'get messages before', { dialog_id: dialog.id, last_date: '2094-01-01 00:00:00' }],
      'member reads a one-to-one dialog of others': [kicked!, 'get messages before', { dialog_id: oneToOne.id, last_date: '2094-01-01 00:00:00' }],
      'stranger writes': [stranger!, 'new message', { message: { dialog_id: dialog.id }, bodies: bodies('x', after) }],
      'stranger writes to a missing dialog': [stranger!, 'new message', { message: { dialog_id: missing }, bodies: bodies('x', after) }],
      'kicked writes': [kicked!, 'new message', { message: { dialog_id: dialog.id }, bodies: bodies('x', after) }],
      'stranger renames': [stranger!, 'rename dialog', { id: dialog.id, bodies: names('x', after) }],
      'kicked renames': [kicked!, 'rename dialog', { id: dialog.id, bodies: names('x', after) }],
      'renaming a missing dialog': [member!, 'rename dialog', { id: missing, bodies: names('x', after) }],
      'non-creator edits': [member!, 'update message', { id: byAdmin.id, bodies: bodies('x', after), toDelete: false }],
      'non-creator deletes': [member!, 'update message', { id: byAdmin.id, toDelete: true }],
      'stranger deletes': [stranger!, 'update message', { id: byAdmin.id, toDelete: true }],
      'kicked creator edits their own': [kicked!, 'update message', { id: byKicked.id, bodies: bodies('x', recipients), toDelete: false }],
      'kicked creator deletes their own': [kicked!, 'update message', { id: byKicked.id, toDelete: true }],
      'deleting a missing message': [member!, 'update message', { id: missing, toDelete: true }],
      'non-admin edits the group': [member!, 'edit group', { group: { id: group.id, recipients: ids(admin!), kicked: [member!.id] } }],
      'kicked edits the group': [kicked!, 'edit group', { group: { id: group.id, recipients: after } }],
      'stranger edits a missing group': [stranger!, 'edit group', { group: { id: missing, recipients: ids(stranger!) } }],
      'non-admin changes the group avatar': [member!, 'change avatar', { avatar: randomUUID(), is_group: true, id: group.id }],
      'kicked deletes the group avatar': [kicked!, 'delete avatar', { is_group: true, id: group.id }],
      'kicked opens a dialog in the group': [kicked!, 'new dialog', { bodies: names('x', ids(kicked!, member!)), recipients: ids(kicked!, member!), dialog: { group_id: group.id } }],
      'stranger opens a dialog in the group': [stranger!, 'new dialog', { bodies: names('x', ids(stranger!, member!)), recipients: ids(stranger!, member!), dialog: { group_id: group.id } }],
      'stranger opens a dialog in a missing group': [stranger!, 'new dialog', { bodies: names('x', ids(stranger!)), recipients: ids(stranger!), dialog: { group_id: missing } }],
    };
    const answers: Record<string, string | null> = {};
    for (const [what, [who, event, data]] of Object.entries(attempts)) answers[what] = await errorOf(who.client, event, data);
    expect(answers).toEqual(Object.fromEntries(Object.keys(attempts).map((k) => [k, 'access denied'])));
    // Marking others' messages read is no error, and no change.
    expect(await stranger!.client.call('read messages', { ids: [byAdmin.id, private_.id, missing] })).toBeNull();
    expect(await kicked!.client.call('read messages', { ids: [byAdmin.id, byKicked.id] })).toBeNull();
    expect(await snapshot()).toEqual(before);

    // The members' view is what it was.
    const history = await member!.client.call<Message[]>('get messages before', { dialog_id: dialog.id, last_date: '2094-01-01 00:00:00' });
    expect(history.map((m) => [m.id, m.type])).toEqual([
      [byKicked.id, 'message.default'],
      [byAdmin.id, 'message.default'],
    ]);
    await closeAll(admin!, member!, kicked!, stranger!);
  });
});
