/**
 * Membership items are derived from the group item and the dialog heads
 * (lambdas/domain/memberships.ts): the writes a change implies (pure,
 * property-tested), and the `members-changed` consumer repairing what a
 * request that died after its commit left undone — checked against the
 * truth as it is now, so a replayed old record undoes nothing.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { dialogMembershipWrites, groupMembershipWrites } from '../lambdas/domain/memberships';
import { createGroup, groupKey, groupMemberKey, replaceGroup, type GroupRecord } from '../lambdas/storage/groups';
import { readRecords } from '../lambdas/storage/store';
import { transaction } from '../lambdas/storage/transact';
import type { StreamRecord } from '../lambdas/streams/records';
import { membersChanged } from '../lambdas/streams/members-changed';
import type { LocalStack } from '../local/stack';
import { startTestStack } from './support/stack';

const membersOf = (ids: readonly number[]) => Object.fromEntries(ids.map((id) => [String(id), { id, username: `u${id}`, domain_id: 1 }]));
const userIds = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 12 });

describe('the membership writes a change implies', () => {
  it('puts exactly those who joined and deletes exactly those who left, for groups and dialogs alike', () => {
    fc.assert(
      fc.property(userIds, userIds, (before, after) => {
        const joined = after.filter((u) => !before.includes(u)).sort();
        const left = before.filter((u) => !after.includes(u)).sort();
        const group = groupMembershipWrites({ members: membersOf(before) }, { id: 7, members: membersOf(after) });
        expect(group.puts.map((i) => i.pk).sort()).toEqual(joined.map((u) => `USER#${u}`).sort());
        expect(group.deletes).toEqual(expect.arrayContaining(left.map((u) => groupMemberKey(u, 7))));
        expect(group.deletes).toHaveLength(left.length);
        const dialog = dialogMembershipWrites({ recipients: before, lastId: 99 }, { id: 8, group_id: 7, recipients: after });
        expect(dialog.puts.map((i) => i.pk).sort()).toEqual(joined.map((u) => `USER#${u}`).sort());
        expect(dialog.puts.every((i) => i.since === 99 && i.groupId === 7 && i.dialogId === 8)).toBe(true);
        expect(dialog.deletes).toHaveLength(left.length);
      }),
    );
  });

  it('a new group or dialog: everyone joins, since 0', () => {
    expect(groupMembershipWrites(undefined, { id: 3, members: membersOf([1, 2]) }).puts).toHaveLength(2);
    expect(dialogMembershipWrites(undefined, { id: 4, group_id: null, recipients: [1, 2, 5] }).puts.map((i) => i.since)).toEqual([0, 0, 0]);
  });
});

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { DELIVERY_GRACE_MS: '200' } });
});
afterAll(() => stack.close());

const group = (id: number, members: number[], version: number): GroupRecord => ({
  id,
  admin_id: members[0]!,
  avatar: null,
  created_at: '2026-12-01 00:00:00',
  updated_at: '2026-12-01 00:00:00',
  created_by: members[0]!,
  updated_by: members[0]!,
  members: membersOf(members),
  bodies: {},
  dialogs: [],
  version,
});
/** Polls `check` until it holds or 10 s pass (the consumer acts after its grace). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await check()) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 100));
}
const held = async (groupId: number, users: number[]) => {
  const found = await readRecords(getDeps(), Object.fromEntries(users.map((u) => [String(u), { key: groupMemberKey(u, groupId), decode: (i: unknown) => i !== undefined }])), { consistent: true });
  return users.filter((u) => found[String(u)]);
};

describe('members-changed: a request that died after its commit', () => {
  it('gets its memberships written, then a kick\'s deleted; a replayed old record re-adds no one', async () => {
    const deps = getDeps();
    const id = 424242;
    // `new group` committed, its request gone before the memberships.
    const created = transaction(deps);
    createGroup(created, group(id, [1, 2, 3], 1));
    await created.commit(deps);
    await eventually(async () => (await held(id, [1, 2, 3])).length === 3);
    expect(await held(id, [1, 2, 3])).toEqual([1, 2, 3]);

    // `edit group` kicking 3 committed, its request gone before the delete.
    const kicked = transaction(deps);
    replaceGroup(kicked, group(id, [1, 2], 2), 1);
    await kicked.commit(deps);
    await eventually(async () => (await held(id, [3])).length === 0);
    expect(await held(id, [1, 2, 3])).toEqual([1, 2]);

    // The group's first record again (at least once): 3 is out now, so nothing is put back.
    const insert = {
      eventID: 'replay',
      eventName: 'INSERT',
      dynamodb: { Keys: marshall(groupKey(id)), NewImage: marshall({ ...groupKey(id), ...group(id, [1, 2, 3], 1) }), SequenceNumber: '1', ApproximateCreationDateTime: 0 },
    } as unknown as StreamRecord;
    expect(await membersChanged(deps, { Records: [insert] })).toEqual({ batchItemFailures: [] });
    expect(await held(id, [1, 2, 3])).toEqual([1, 2]);
  });
});
