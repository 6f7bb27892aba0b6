/**
 * `delete-user` (operator): every item of a user goes; their messages to
 * others stay as deleted messages. Each step is idempotent and the profile
 * goes last, so a run that stopped halfway is finished by running it again.
 * docs/design.md, "Deleting a user", has the semantics and the cost.
 */
import type { Deps } from '../deps';
import { formatDate } from '../protocol/frames';
import { dialogHeadRef, dialogMemberKey, dialogMembershipsOf, removeNames, replaceHead, type DialogHead } from '../storage/dialogs';
import { groupIdsOf, groupMemberKey, groupRef, isMember, replaceGroup } from '../storage/groups';
import { linksOf, removeSide } from '../storage/links';
import { failuresKey } from '../storage/login-failures';
import { eraseMessageItem } from '../storage/messages';
import { forgetBuckets } from '../storage/rate-limits';
import { retry } from '../storage/retry';
import { deleteMany, mapBounded, queryAll, readEach, readRecords, type Key } from '../storage/store';
import { forgetFamiliesOf } from '../storage/token-families';
import { transaction, TransactionCancelled, type Transaction } from '../storage/transact';
import { sweepUserItems, type SweepCount } from '../storage/user-sweep';
import { getUser, releaseUsername, setDisabled, userKey } from '../storage/users';
import { pushToUsers } from './presence';
import { logOutEverywhere } from './sessions';

export interface Deletion {
  user: number;
  connectionsLoggedOut: number;
  groupsLeft: number;
  dialogsLeft: number;
  contactsRemoved: number;
  /** Message items and other recipients' copies turned into deleted messages. */
  messagesErased: number;
  /** Items of the user removed: copies, client ids, logins, rate buckets, their partition. */
  itemsRemoved: number;
  fullPass: SweepCount;
}

/** Several groups or dialogs at once; each is its own transaction. */
const PARALLEL = 8;

export async function deleteUser(deps: Deps, userId: number): Promise<Deletion> {
  const user = await getUser(deps, userId);
  // The flag first: no login succeeds while the rest goes.
  if (user) await setDisabled(deps, userId, true);
  const connectionsLoggedOut = (await logOutEverywhere(deps, userId)).length;

  const groups = await groupIdsOf(deps, userId);
  await mapBounded(groups, PARALLEL, (groupId) => leaveGroup(deps, userId, groupId));
  // What the groups left: the dialogs outside groups.
  const dialogs = await dialogMembershipsOf(deps, userId);
  await mapBounded(dialogs, PARALLEL, ({ dialogId }) => leaveDialog(deps, userId, dialogId));
  const contactsRemoved = await removeLinks(deps, userId);

  let messagesErased = 0;
  let itemsRemoved = 0;
  const revision = { type: 'message.deleted' as const, updated_by: userId, updated_at: formatDate(deps.now()) };
  const fullPass = await sweepUserItems(deps, userId, async (items) => {
    // Theirs alone: their copies, client ids and outboxes (the message item itself becomes a deleted message).
    const own = items.filter((i) => i.pk.startsWith(`INBOX#${userId}#`) || i.pk.startsWith(`CLIENTMSG#${userId}#`) || i.pk.startsWith('OUTBOX#'));
    await deleteMany(deps, own);
    itemsRemoved += own.length;
    await mapBounded(items.filter((i) => !own.includes(i)), PARALLEL, async (item) => {
      if (item.pk.startsWith('GROUP#')) return leaveGroup(deps, userId, Number(item.pk.slice('GROUP#'.length)));
      if (await eraseMessageItem(deps, item, { ...revision, edited_at: item.edited_at ?? null })) messagesErased++;
    });
  });

  itemsRemoved += await forgetFamiliesOf(deps, userId);
  itemsRemoved += await forgetBuckets(deps, userId);
  const partition = await queryAll<Key>(deps, {
    TableName: deps.config.dataTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': userKey(userId).pk },
    ProjectionExpression: 'pk, sk',
  });
  // Profile last: while it stands, a re-run finds the user (and their username) again.
  await deleteMany(deps, partition.filter((k) => k.sk !== userKey(userId).sk));
  if (user) {
    await deleteMany(deps, [failuresKey(user.username)]);
    await releaseUsername(deps, user.username, userId);
    await deleteMany(deps, [userKey(userId)]);
  }
  itemsRemoved += partition.length;
  return { user: userId, connectionsLoggedOut, groupsLeft: groups.length, dialogsLeft: dialogs.length, contactsRemoved, messagesErased, itemsRemoved, fullPass };
}

/** A transaction built from a consistent read, again from a fresh read if something changed in between. */
const retryOnChange = (attempt: () => Promise<void>) => retry(attempt, (error) => error instanceof TransactionCancelled);

/**
 * The dialog without the user: the head (if they are a recipient; only if
 * unchanged since read) and their name. Their membership item is derived
 * (domain/memberships.ts): it goes after the commit.
 */
function dropFromDialog(tx: Transaction, userId: number, dialogId: number, head: DialogHead | undefined): void {
  if (head?.recipients.includes(userId)) {
    replaceHead(tx, { ...head, recipients: head.recipients.filter((id) => id !== userId), version: head.version + 1 }, head);
    removeNames(tx, dialogId, [userId]);
  }
}

async function leaveDialog(deps: Deps, userId: number, dialogId: number): Promise<void> {
  await retryOnChange(async () => {
    const { head } = await readRecords(deps, { head: dialogHeadRef(dialogId) }, { consistent: true });
    const tx = transaction(deps);
    dropFromDialog(tx, userId, dialogId, head);
    await tx.commit(deps);
  });
  await deleteMany(deps, [dialogMemberKey(userId, dialogId)]);
}

/**
 * The group without the user — as a member (name, every dialog of the group)
 * or as a former member — in one transaction (at most 1 + 2 × 40 actions);
 * then their derived membership items. The admin stays `admin_id` even when
 * it is the user: the protocol has no way to hand a group over.
 */
async function leaveGroup(deps: Deps, userId: number, groupId: number): Promise<void> {
  let left: number[] = [];
  await retryOnChange(async () => {
    const { group } = await readRecords(deps, { group: groupRef(groupId) }, { consistent: true });
    const tx = transaction(deps);
    // Not a type guard here: a group the user is not a member of may still list them as former.
    const member: boolean = isMember(group, userId);
    if (group && (member || group.former?.includes(userId))) {
      const { [userId]: _member, ...members } = group.members;
      const { [userId]: _name, ...bodies } = group.bodies;
      const former = group.former?.filter((id) => id !== userId);
      replaceGroup(tx, { ...group, members, bodies, former, version: group.version + 1 }, group.version);
      if (member) {
        const heads = await readEach(deps, group.dialogs, (id) => ({ head: dialogHeadRef(id) }), { consistent: true });
        for (const dialogId of group.dialogs) dropFromDialog(tx, userId, dialogId, heads.get(dialogId)?.head);
      }
    }
    await tx.commit(deps);
    left = group?.dialogs ?? [];
  });
  await deleteMany(deps, [groupMemberKey(userId, groupId), ...left.map((dialogId) => dialogMemberKey(userId, dialogId))]);
}

/**
 * Both sides of every link go, the other side first (a re-run still finds
 * the pair through the user's own). A contact who listed the user and is
 * online is told `userlink update` `withdrawn`, the closest status the
 * protocol has; the next `give me users` no longer lists the user.
 */
async function removeLinks(deps: Deps, userId: number): Promise<number> {
  const links = await linksOf(deps, userId);
  const date = formatDate(deps.now());
  await mapBounded(links, PARALLEL, async ({ other }) => {
    const theirs = await removeSide(deps, other, userId);
    if (theirs?.listed) await pushToUsers(deps, [other], 'userlink update', { user_id: userId, date, status: 'withdrawn' });
  });
  return links.length;
}
