/**
 * Dialogs (protocol §4 "dialogs"): `give me dialogs`, `new dialog`,
 * `rename dialog`, and the `dialog` push. Only recipients read or write a
 * dialog; outside groups, every other recipient must be an `accepted`
 * contact of the creator; inside, a member of the group.
 */
import type { Deps } from '../deps';
import { formatDate } from '../protocol/frames';
import type { Dialog } from '../protocol/objects';
import type { FrameData } from '../protocol/events';
import { LIMITS } from '../protocol/schemas';
import type { BoundConnection } from '../storage/connections';
import {
  createHead,
  dialogHeadRef,
  dialogMembershipsOf,
  dialogNamesRef,
  dialogProjection,
  putNames,
  touchHead,
  type DialogHead,
  type StoredName,
} from '../storage/dialogs';
import { appendDialog, groupRef, isMember } from '../storage/groups';
import type { Presences } from '../storage/presence';
import { readEach, readRecords } from '../storage/store';
import { newId } from '../storage/time-ids';
import { transaction } from '../storage/transact';
import { pushEach } from './presence';
import { dialogMembershipWrites, writeMemberships } from './memberships';
import { assertDistinct, assertOnePerRecipient, denied, requireAccepted, storedNames, withRetries, wrongData } from './rules';
import { dialogView } from './views';

/** Dialogs as views for their viewer, read with one BatchGet of heads and names (the viewer's name only). */
export async function dialogsFor(deps: Deps, viewer: number, dialogIds: readonly number[], options: { consistent?: boolean } = {}): Promise<Map<number, { head: DialogHead; view: Dialog }>> {
  const found = await readEach(deps, dialogIds, (id) => ({ head: dialogHeadRef(id), names: dialogNamesRef(id) }), { projection: dialogProjection(viewer), ...options });
  const result = new Map<number, { head: DialogHead; view: Dialog }>();
  for (const [id, { head, names }] of found) {
    if (head?.recipients.includes(viewer)) result.set(id, { head, view: dialogView(head, viewer, names[String(viewer)]) });
  }
  return result;
}

/** `give me dialogs`: Query of the caller's memberships, BatchGet of heads and names (2 keys a dialog, 100 a request). */
export async function giveMeDialogs(deps: Deps, userId: number): Promise<Dialog[]> {
  const memberships = await dialogMembershipsOf(deps, userId);
  const dialogs = await dialogsFor(deps, userId, memberships.map((m) => m.dialogId));
  return [...dialogs.values()].map((d) => d.view).sort((a, b) => a.id - b.id);
}

/** `dialog` to every recipient's live connections but `except`, each with their own name. */
export async function pushDialog(deps: Deps, head: DialogHead, names: Record<string, StoredName>, except?: string, present?: Presences): Promise<void> {
  await pushEach(deps, head.recipients, 'dialog', (userId) => dialogView(head, userId, names[String(userId)]), { except, present });
}

/**
 * `new dialog`. Outside a group: BatchGet of the caller's links (all
 * `accepted`), then one transaction — head (id free) and names. In a group:
 * GetItem of the group, then head, names and the group's dialog list
 * (conditional on the group's version: the members are those read). Then a
 * membership per recipient (BatchWrite: derived items, domain/memberships.ts).
 */
export async function newDialog(deps: Deps, session: BoundConnection, input: FrameData<'new dialog'>): Promise<Dialog> {
  const me = session.userId;
  const { recipients, bodies } = input;
  const groupId = input.dialog.group_id;
  assertDistinct(recipients, 'recipients');
  if (!recipients.includes(me)) throw wrongData('the creator is one of the recipients');
  const others = recipients.filter((r) => r !== me);
  const { head, names } = await withRetries(async () => {
    const tx = transaction(deps);
    const now = deps.now();
    const id = newId(now);
    if (groupId === null) {
      await requireAccepted(deps, me, others);
    } else {
      const { group } = await readRecords(deps, { group: groupRef(groupId) }, { consistent: true });
      if (!isMember(group, me)) throw denied(`not a member of group ${groupId}`);
      if (others.some((r) => !isMember(group, r))) throw denied('a recipient is not a member of the group');
      if (group.dialogs.length >= LIMITS.groupDialogs) throw wrongData(`a group has at most ${LIMITS.groupDialogs} dialogs`);
      appendDialog(tx, groupId, id, group.version);
    }
    assertOnePerRecipient(bodies, recipients, 'bodies');
    const date = formatDate(now);
    const head: DialogHead = { id, group_id: groupId, created_at: date, updated_at: date, created_by: me, updated_by: me, recipients, version: 1, lastId: 0 };
    const names = storedNames(bodies, date);
    createHead(tx, head);
    putNames(tx, id, names);
    await tx.commit(deps);
    return { head, names };
  });
  await writeMemberships(deps, dialogMembershipWrites(undefined, head));
  await pushDialog(deps, head, names, session.connectionId);
  return dialogView(head, me, names[String(me)]);
}

/**
 * `rename dialog`: GetItem of the head (consistent); the caller must be a
 * recipient and, outside groups, have an `accepted` link with every other
 * recipient (new names are written to them: §3, only accepted contacts write
 * to each other); one body per recipient. One transaction: the head's dates
 * and version (conditional on the version read) and the names.
 */
export async function renameDialog(deps: Deps, session: BoundConnection, input: FrameData<'rename dialog'>): Promise<Dialog> {
  const me = session.userId;
  const { head, names } = await withRetries(async () => {
    const { head: read } = await readRecords(deps, { head: dialogHeadRef(input.id) }, { consistent: true });
    if (!read || !read.recipients.includes(me)) throw denied(`not a recipient of dialog ${input.id}`);
    const others = read.recipients.filter((r) => r !== me);
    if (read.group_id === null) await requireAccepted(deps, me, others);
    assertOnePerRecipient(input.bodies, read.recipients, 'bodies');
    const date = formatDate(deps.now());
    const head: DialogHead = { ...read, updated_at: date, updated_by: me, version: read.version + 1 };
    const names = storedNames(input.bodies, date);
    const tx = transaction(deps);
    touchHead(tx, head, read.version);
    putNames(tx, head.id, names);
    await tx.commit(deps);
    return { head, names };
  });
  await pushDialog(deps, head, names, session.connectionId);
  return dialogView(head, me, names[String(me)]);
}
