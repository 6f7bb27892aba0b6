/**
 * Groups (protocol §4 "groups"): `give me groups`, `new group`, `edit group`,
 * the group variants of `change avatar` / `delete avatar`, and the `group`
 * push. Only members see a group; only the admin changes it; a kicked member
 * loses the group and every dialog of it in the same transaction (the group
 * item and the dialog heads: the truth every access check reads; the
 * membership items follow, domain/memberships.ts).
 */
import type { Deps } from '../deps';
import { isUuidV4 } from '../protocol/file-ids';
import { formatDate } from '../protocol/frames';
import type { Dialog, EditedGroup, Group, Message } from '../protocol/objects';
import type { FrameData } from '../protocol/events';
import type { BoundConnection } from '../storage/connections';
import {
  dialogHeadRef,
  dialogNamesRef,
  putNames,
  removeNames,
  replaceHead,
  type DialogHead,
  type StoredName,
} from '../storage/dialogs';
import {
  createGroup,
  groupIdsOf,
  groupProjection,
  groupRef,
  isMember,
  memberIdsOf,
  replaceGroup,
  setAvatar,
  type GroupRecord,
  type StoredMember,
} from '../storage/groups';
import { keyringsOf, type Keyring } from '../storage/keys';
import { linkRef } from '../storage/links';
import { presenceOf, type Presences } from '../storage/presence';
import { each, readEach, readRecords, type Decoded } from '../storage/store';
import { newId } from '../storage/time-ids';
import { transaction } from '../storage/transact';
import { userRef, type UserRecord } from '../storage/users';
import { pushDialog } from './dialogs';
import { assertContent, buildMessage, commitMessages, deliverMessages, stageMessages, type BuiltMessage } from './delivery';
import { dialogMembershipWrites, groupMembershipWrites, mergeWrites, writeMemberships, type MembershipWrites } from './memberships';
import { creatorOf, pushCopies } from './messages';
import { pushEach } from './presence';
import { assertDistinct, assertOnePerRecipient, denied, sameMembers, storedNames, withRetries, wrongData } from './rules';
import { dialogView, groupView, messageView } from './views';

// ---------------------------------------------------------------- reading

/** The groups a user belongs to: Query of the memberships, BatchGet of the groups (the viewer's name only). */
async function groupsOf(deps: Deps, userId: number): Promise<GroupRecord[]> {
  const ids = await groupIdsOf(deps, userId);
  const found = await readEach(deps, ids, (id) => ({ group: groupRef(id) }), { projection: groupProjection(userId) });
  return [...found.values()].flatMap(({ group }) => (isMember(group, userId) ? [group] : []));
}

/** `give me groups`: memberships, groups, then the members' keyrings (BatchGet, 100 a request). */
export async function giveMeGroups(deps: Deps, userId: number): Promise<Group[]> {
  const groups = await groupsOf(deps, userId);
  const rings = await keyringsOf(deps, [...new Set(groups.flatMap(memberIdsOf))]);
  return groups.map((g) => groupView(g, userId, rings)).sort((a, b) => a.id - b.id);
}

/** `group` to every member's live connections but `except`, each with their own name and everyone's default key. */
async function pushGroup(deps: Deps, group: GroupRecord, except?: string, present?: Presences): Promise<ReadonlyMap<number, Keyring>> {
  const keys = await keyringsOf(deps, memberIdsOf(group));
  await pushEach(deps, memberIdsOf(group), 'group', (userId) => groupView(group, userId, keys), { except, present });
  return keys;
}

/** What to read of users joining a group: their profiles and the admin's links with them. */
const joiningRefs = (admin: number, joining: readonly number[]) =>
  each(joining, (id) => ({ user: userRef(id), link: id === admin ? undefined : linkRef(admin, id) }));

/** The joining members as stored; each must be an accepted contact of the admin. */
function joiningMembers(found: Decoded<ReturnType<typeof joiningRefs>>, admin: number): Record<string, StoredMember> {
  const members: Record<string, StoredMember> = {};
  for (const [id, { user, link }] of found) {
    if (id !== admin && link?.status !== 'accepted') throw denied(`${id} is not an accepted contact of the admin`);
    if (!user) throw denied(`no user ${id}`);
    members[String(id)] = { id, username: user.username, domain_id: user.domain_id };
  }
  return members;
}

// ---------------------------------------------------------------- new group

/**
 * `new group`: the admin is the caller and a member; every other member is
 * an accepted contact of the admin (adding someone to a group is writing to
 * them). One BatchGet (links, profiles, consistent), the group (id free),
 * then a membership per member (BatchWrite).
 */
export async function newGroup(deps: Deps, session: BoundConnection, input: FrameData<'new group'>): Promise<Group> {
  const me = session.userId;
  if (input.admin_id !== me) throw denied('admin_id is not the caller');
  const { recipients } = input;
  assertDistinct(recipients, 'recipients');
  if (!recipients.includes(me)) throw wrongData('the admin is one of the recipients');
  const avatar = input.avatar ?? null;
  if (avatar !== null && !isUuidV4(avatar)) throw wrongData('avatar is not a file uuid');
  const group = await withRetries(async () => {
    const { joining } = await readRecords(deps, { joining: joiningRefs(me, recipients) }, { consistent: true });
    const members = joiningMembers(joining, me);
    assertOnePerRecipient(input.bodies, recipients, 'bodies');
    const now = deps.now();
    const date = formatDate(now);
    const group: GroupRecord = {
      id: newId(now),
      admin_id: me,
      avatar,
      created_at: date,
      updated_at: date,
      created_by: me,
      updated_by: me,
      members,
      bodies: storedNames(input.bodies, date),
      dialogs: [],
      version: 1,
    };
    const tx = transaction(deps);
    createGroup(tx, group);
    await tx.commit(deps);
    return group;
  });
  await writeMemberships(deps, groupMembershipWrites(undefined, group));
  const rings = await pushGroup(deps, group, session.connectionId);
  return groupView(group, me, rings);
}

// ---------------------------------------------------------------- edit group

interface DialogChange {
  read: DialogHead;
  head: DialogHead;
  /** The recipients' names after the change (all of them: pushes need them). */
  names: Record<string, StoredName>;
  /** Recipients or names changed (a `dialog` push); false when only messages came. */
  changed: boolean;
  /** Listed in the edit: its names are replaced; otherwise only the kicked members' go. */
  listed: boolean;
}

/** An `edit group` decided: everything the commit writes and the pushes tell. */
export interface EditPlan {
  /** The group as read, and as the edit leaves it. */
  read: GroupRecord;
  group: GroupRecord;
  /** The group's version the edit was decided on (the commit's condition). */
  version: number;
  added: number[];
  kicked: number[];
  dialogs: DialogChange[];
  messages: BuiltMessage[];
}

/** What an edit is decided from: the group, then the admin, those joining and the group's dialogs, as read. */
export interface EditReads {
  group: GroupRecord | undefined;
  self: UserRecord | undefined;
  joining: Decoded<ReturnType<typeof joiningRefs>>;
  dialogs: ReadonlyMap<number, { head: DialogHead | undefined; names: Record<string, StoredName> }>;
}

/**
 * `edit group`: admin only, all or nothing as clients see it. Reads the
 * group (consistent), then in one BatchGet the links and profiles of those
 * joining and the heads and names of the group's dialogs; stages the service
 * messages (domain/delivery.ts); then one transaction of the items access
 * checks read:
 *
 * - the group (members, names, dates, version), conditional on the version read;
 * - each dialog listed in `dialogs` (new recipients, re-encrypted names) and
 *   each other dialog a kicked member was in (the kicked leave, their names go),
 *   conditional on the head read;
 * - the service messages' items (pending), each to its dialog's recipients after the change.
 *
 * That is at most 1 + 2 · LIMITS.groupDialogs + LIMITS.editMessages actions,
 * whatever the number of members. Then the derived items, by BatchWrite: the
 * memberships that come and go and the messages' copies (docs/access-patterns.md).
 */
export async function editGroup(deps: Deps, session: BoundConnection, input: FrameData<'edit group'>): Promise<EditedGroup> {
  const me = session.userId;
  const change = input.group;
  assertDistinct([...change.recipients], 'recipients');
  assertDistinct([...change.added, ...change.kicked], 'added and kicked');
  assertDistinct(input.dialogs.map((d) => d.id), 'dialogs');
  const plan = await withRetries(() => planAndCommit(deps, me, input));
  const [{ delivered }] = await Promise.all([deliverMessages(deps, plan.messages), writeMemberships(deps, membershipWrites(plan))]);

  // Every push goes to members of the group after the edit: read their presence once.
  const present = await presenceOf(deps, memberIdsOf(plan.group), deps.now().getTime());
  const rings = await pushGroup(deps, plan.group, session.connectionId, present);
  const changed = plan.dialogs.filter((d) => d.changed);
  await Promise.all([
    delivered,
    ...changed.map((d) => pushDialog(deps, d.head, d.names, session.connectionId, present)),
    pushCopies(deps, plan.messages.flatMap((m) => m.copies), session.connectionId, present),
  ]);

  const dialogs: Record<string, Dialog> = {};
  for (const d of changed) if (d.head.recipients.includes(me)) dialogs[String(d.head.id)] = dialogView(d.head, me, d.names[String(me)]);
  const messages: Record<string, Message> = {};
  for (const m of plan.messages) {
    const mine = m.copies.find((c) => c.recipient_id === me);
    if (mine) messages[String(m.record.id)] = messageView(mine);
  }
  return { group: groupView(plan.group, me, rings), dialogs, messages };
}

async function planAndCommit(deps: Deps, me: number, input: FrameData<'edit group'>): Promise<EditPlan> {
  const change = input.group;
  const { group } = await readRecords(deps, { group: groupRef(change.id) }, { consistent: true });
  // Refused before reading more; planEdit checks again, so that it stands alone.
  checkEdit(group, me, input);
  const reads = await readRecords(
    deps,
    { self: userRef(me), joining: joiningRefs(me, change.added), dialogs: each(group.dialogs, (d) => ({ head: dialogHeadRef(d), names: dialogNamesRef(d) })) },
    { consistent: true },
  );
  const now = deps.now();
  const plan = planEdit(input, me, { group, ...reads }, now, (after) => newId(now, after));
  await commitEdit(deps, plan);
  return plan;
}

/** Pure: the caller runs the group, and the membership change adds up (recipients = members − kicked + added). */
function checkEdit(read: GroupRecord | undefined, me: number, input: FrameData<'edit group'>): asserts read is GroupRecord {
  const change = input.group;
  if (!isMember(read, me) || read.admin_id !== me) throw denied(`not the admin of group ${change.id}`);
  const before = memberIdsOf(read);
  if (change.kicked.some((k) => !before.includes(k))) throw wrongData('kicked: not a member');
  if (change.kicked.includes(me)) throw wrongData('the admin cannot be kicked');
  if (change.added.some((a) => before.includes(a))) throw wrongData('added: already a member');
  const after = [...before.filter((m) => !change.kicked.includes(m)), ...change.added];
  if (!sameMembers(after, change.recipients)) throw wrongData('recipients are not members − kicked + added');
  if (change.bodies.length > 0) assertOnePerRecipient(change.bodies, after, 'group bodies');
  else if (change.added.length > 0) throw wrongData('new members need the group name');
}

/**
 * Pure: the whole edit decided from what was read (`newMessageId(after)`
 * gives an id greater than `after`); a refusal is thrown as a protocol error.
 */
export function planEdit(input: FrameData<'edit group'>, me: number, reads: EditReads, now: Date, newMessageId: (after: number) => number): EditPlan {
  const change = input.group;
  const read = reads.group;
  checkEdit(read, me, input);
  const joining = joiningMembers(reads.joining, me);
  const heads = new Map([...reads.dialogs].flatMap(([d, { head }]) => (head ? [[d, head] as const] : [])));
  const namesOf = (d: number) => ({ ...reads.dialogs.get(d)?.names });

  const date = formatDate(now);
  const members = Object.fromEntries(Object.entries({ ...read.members, ...joining }).filter(([id]) => !change.kicked.includes(Number(id))));
  const bodies =
    change.bodies.length > 0 ? storedNames(change.bodies, date) : Object.fromEntries(Object.entries(read.bodies).filter(([id]) => !change.kicked.includes(Number(id))));
  const former = [...new Set([...(read.former ?? []), ...change.kicked])].filter((id) => !Object.hasOwn(members, String(id)));
  const group: GroupRecord = { ...read, members, bodies, former, updated_at: date, updated_by: me, version: read.version + 1 };

  // Dialogs: those listed are re-encrypted for their new recipients; any other one loses the kicked.
  const dialogs = new Map<number, DialogChange>();
  for (const listed of input.dialogs) {
    const head = heads.get(listed.id);
    if (!head || head.group_id !== read.id || !head.recipients.includes(me)) throw denied(`dialog ${listed.id} is not one of the admin's in the group`);
    assertDistinct(listed.recipients, `dialog ${listed.id} recipients`);
    if (listed.recipients.some((r) => !Object.hasOwn(members, String(r)))) throw denied(`dialog ${listed.id}: a recipient is not a member`);
    if (!listed.recipients.includes(me)) throw wrongData(`dialog ${listed.id}: the admin stays a recipient`);
    assertOnePerRecipient(listed.bodies, listed.recipients, `dialog ${listed.id} bodies`);
    dialogs.set(listed.id, {
      read: head,
      head: { ...head, recipients: [...listed.recipients], updated_at: date, updated_by: me, version: head.version + 1 },
      names: storedNames(listed.bodies, date),
      changed: true,
      listed: true,
    });
  }
  for (const [id, head] of heads) {
    if (dialogs.has(id) || !head.recipients.some((r) => change.kicked.includes(r))) continue;
    const names = namesOf(id);
    for (const k of change.kicked) delete names[String(k)];
    dialogs.set(id, {
      read: head,
      head: { ...head, recipients: head.recipients.filter((r) => !change.kicked.includes(r)), updated_at: date, updated_by: me, version: head.version + 1 },
      names,
      changed: true,
      listed: false,
    });
  }

  // Service messages, to each dialog's recipients after the change, in the order given.
  const { self } = reads;
  if (!self) throw new Error(`user ${me} missing`);
  const creator = creatorOf(self);
  const messages: BuiltMessage[] = [];
  for (const m of input.messages) {
    const id = m.message.dialog_id;
    const head = heads.get(id);
    if (!head || head.group_id !== read.id) throw denied(`dialog ${id} is not in the group`);
    const entry = dialogs.get(id) ?? { read: head, head: { ...head }, names: namesOf(id), changed: false, listed: false };
    if (!entry.head.recipients.includes(me)) throw denied(`the admin is not a recipient of dialog ${id}`);
    assertContent(m.bodies, m.attachments, entry.head.recipients);
    const message = buildMessage({
      id: newMessageId(entry.head.lastId),
      dialogId: id,
      type: m.message.type,
      creator,
      recipients: entry.head.recipients,
      bodies: m.bodies,
      attachments: m.attachments,
      asRead: m.as_read,
    });
    entry.head = { ...entry.head, lastId: message.record.id };
    dialogs.set(id, entry);
    messages.push(message);
  }

  return { read, group, version: read.version, added: change.added, kicked: change.kicked, dialogs: [...dialogs.values()], messages };
}

/** The membership items an edit implies (the same the stream consumer derives from the images). */
export const membershipWrites = (plan: EditPlan): MembershipWrites =>
  mergeWrites([groupMembershipWrites(plan.read, plan.group), ...plan.dialogs.filter((d) => d.changed).map((d) => dialogMembershipWrites(d.read, d.head))]);

/** Writes a plan in one transaction, conditional on the group and every dialog head being as read (TransactionCancelled otherwise). */
async function commitEdit(deps: Deps, plan: EditPlan): Promise<void> {
  await stageMessages(deps, plan.messages);
  const tx = transaction(deps);
  replaceGroup(tx, plan.group, plan.version);
  for (const d of plan.dialogs) {
    replaceHead(tx, d.head, d.read);
    if (!d.changed) continue;
    if (d.listed) putNames(tx, d.head.id, d.names);
    else removeNames(tx, d.head.id, d.read.recipients.filter((r) => plan.kicked.includes(r)));
  }
  commitMessages(tx, plan.messages);
  await tx.commit(deps);
}

// ---------------------------------------------------------------- avatar

/**
 * `change avatar` / `delete avatar` with `is_group: true`: one UpdateItem
 * conditional on the caller being the admin (a group that does not exist and
 * one the caller does not run are refused alike), then the `group` push.
 */
export async function setGroupAvatar(deps: Deps, session: BoundConnection, groupId: number | undefined, avatar: string | null): Promise<void> {
  if (groupId === undefined) throw wrongData('id of the group missing');
  const group = await setAvatar(deps, groupId, session.userId, avatar, formatDate(deps.now()));
  if (!group) throw denied(`not the admin of group ${groupId}`);
  await pushGroup(deps, group, session.connectionId);
}
