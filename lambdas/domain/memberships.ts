/**
 * Membership items (a user's groups, a user's dialogs) are derived: the
 * group item and the dialog head are the truth about who belongs, and every
 * check of access reads those. A change of members commits the group / head
 * in its transaction; the membership items follow by writeMany, from the
 * request and — should it die first — from the stream consumer
 * (streams/members-changed.ts), which derives the same writes from the item's
 * old and new images. So no transaction grows with the size of a group.
 */
import type { Deps } from '../deps';
import { dialogHeadRef, dialogMemberKey, dialogMembershipItem, type DialogHead } from '../storage/dialogs';
import { groupMemberKey, groupMembershipItem, groupRef, memberIdsOf, type GroupRecord } from '../storage/groups';
import { each, readRecords, writeMany, type Item, type Key } from '../storage/store';

export interface MembershipWrites {
  puts: Item[];
  deletes: Key[];
}

const joinedAndLeft = (before: readonly number[], after: readonly number[]) => ({
  joined: after.filter((u) => !before.includes(u)),
  left: before.filter((u) => !after.includes(u)),
});

/** Pure: what a group's member change implies (`before` undefined: a new group). */
export function groupMembershipWrites(before: Pick<GroupRecord, 'members'> | undefined, after: Pick<GroupRecord, 'id' | 'members'>): MembershipWrites {
  const { joined, left } = joinedAndLeft(before ? memberIdsOf(before) : [], memberIdsOf(after));
  return { puts: joined.map((u) => groupMembershipItem(u, after.id)), deletes: left.map((u) => groupMemberKey(u, after.id)) };
}

/** Pure: what a dialog's recipient change implies; those who join have received what came before (`since` = the old `lastId`). */
export function dialogMembershipWrites(before: Pick<DialogHead, 'recipients' | 'lastId'> | undefined, after: Pick<DialogHead, 'id' | 'group_id' | 'recipients'>): MembershipWrites {
  const { joined, left } = joinedAndLeft(before?.recipients ?? [], after.recipients);
  const since = before?.lastId ?? 0;
  return {
    puts: joined.map((u) => dialogMembershipItem(u, { dialogId: after.id, groupId: after.group_id, since })),
    deletes: left.map((u) => dialogMemberKey(u, after.id)),
  };
}

export const mergeWrites = (all: readonly MembershipWrites[]): MembershipWrites => ({ puts: all.flatMap((w) => w.puts), deletes: all.flatMap((w) => w.deletes) });

/** The request's writes, after its commit. */
export async function writeMemberships(deps: Deps, writes: MembershipWrites): Promise<void> {
  await writeMany(deps, writes, deps.config.pushConcurrency);
}

export type MembershipChange = { kind: 'group' | 'dialog'; id: number; writes: MembershipWrites };

/** The user of a membership item's key (`USER#<id>`). */
const userOf = (key: Item | Key) => Number(String(key.pk).slice('USER#'.length));

/** Reads an item only to see whether it is there. */
const presence = (key: Key) => ({ key, decode: (item: Item | undefined) => item !== undefined });

/**
 * The consumer's repair of one change, against the truth as it is now (a
 * replayed old change must not undo a newer one): a membership is put only
 * for a user still in and missing it, deleted only for a user out and still
 * holding it. One consistent BatchGet; returns how many items it wrote.
 */
export async function reconcileMemberships(deps: Deps, change: MembershipChange): Promise<number> {
  const { puts, deletes } = change.writes;
  if (puts.length + deletes.length === 0) return 0;
  const keyOfUser = (u: number) => (change.kind === 'group' ? groupMemberKey(u, change.id) : dialogMemberKey(u, change.id));
  const { truth, held } = await readRecords(
    deps,
    {
      truth: change.kind === 'group' ? groupRef(change.id) : dialogHeadRef(change.id),
      held: each([...puts, ...deletes].map(userOf), (u) => ({ item: presence(keyOfUser(u)) })),
    },
    { consistent: true },
  );
  const inNow = new Set(!truth ? [] : 'members' in truth ? memberIdsOf(truth) : truth.recipients);
  const holds = (u: number) => held.get(u)?.item === true;
  const writes: MembershipWrites = {
    puts: puts.filter((i) => inNow.has(userOf(i)) && !holds(userOf(i))),
    deletes: deletes.filter((k) => !inNow.has(userOf(k)) && holds(userOf(k))),
  };
  await writeMany(deps, writes, deps.config.pushConcurrency);
  return writes.puts.length + writes.deletes.length;
}
