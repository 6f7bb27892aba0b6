/**
 * Messages (protocol §4 "messages"): `new message`, `give me messages`,
 * `get messages before`, `update message`, `read messages`, and the
 * `messages` push. Storage layout and costs: docs/access-patterns.md.
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps';
import { formatDate } from '../protocol/frames';
import type { Message, MessageCreator } from '../protocol/objects';
import type { FrameData } from '../protocol/events';
import { parseDate, type MessageBodyInput } from '../protocol/schemas';
import type { BoundConnection } from '../storage/connections';
import { advanceLastId, checkVersion, dialogHeadRef, dialogMembershipsOf, type DialogHead, type DialogMembership } from '../storage/dialogs';
import {
  clientMessageRef,
  copiesBetween,
  inboxRef,
  markCopyRead,
  markDelivered,
  messageRef,
  putClientMessage,
  reviseRecord,
  unreadCopies,
  CLIENT_ID_TTL_SECONDS,
  type ClientMessage,
  type InboxItem,
  type Revision,
} from '../storage/messages';
import type { Presences } from '../storage/presence';
import { alive, each, epochSeconds, mapBounded, readEach, readRecords } from '../storage/store';
import { idRangeOfDates, newId } from '../storage/time-ids';
import { TryAgain } from '../storage/retry';
import { transaction } from '../storage/transact';
import { userRef, type UserRecord } from '../storage/users';
import { pushEach } from './presence';
import { assertOnePerRecipient, denied, requireAccepted, withRetries, wrongData } from './rules';
import { messageView } from './views';
import { assertContent, buildMessage, commitMessages, completeMessage, deliverMessages, reviseCopies, stageMessages, stageRevision, type BuiltMessage, type RevisionChange } from './delivery';

/** `give me messages` reads at most this many unread messages (newest first); older ones come with `get messages before`. */
export const UNREAD_LIMIT = 1000;
/**
 * Answers holding messages stop growing at this many bytes of JSON: 5 MiB,
 * under the largest frame the server sends (6 MiB, in chunks; see
 * outbound.ts). Only pages of huge messages reach it; the rest of such a page
 * is asked for again (`get messages before` with `before_id`).
 */
export const ANSWER_BUDGET_BYTES = 5 * 1024 * 1024;

// ---------------------------------------------------------------- building

export const creatorOf = (user: Pick<UserRecord, 'id' | 'username' | 'domain_id'>): MessageCreator => ({ id: user.id, username: user.username, domain_id: user.domain_id });

/** `messages` to every recipient's live connections but `except` (the sender's), each with their own copy; lightweight ones without bodies. */
export async function pushCopies(deps: Deps, copies: readonly InboxItem[], except?: string, present?: Presences): Promise<void> {
  const byRecipient = new Map<number, InboxItem[]>();
  for (const copy of copies) byRecipient.set(copy.recipient_id, [...(byRecipient.get(copy.recipient_id) ?? []), copy]);
  await pushEach(deps, [...byRecipient.keys()], 'messages', (userId, light) => byRecipient.get(userId)?.map((c) => messageView(c, light)), { except, present });
}

/** Keeps messages, in order, while their JSON fits the answer budget. */
export function withinBudget(messages: Message[], budget = ANSWER_BUDGET_BYTES): Message[] {
  let used = 2;
  const kept: Message[] = [];
  for (const message of messages) {
    used += Buffer.byteLength(JSON.stringify(message), 'utf8') + 1;
    if (used > budget) break;
    kept.push(message);
  }
  return kept;
}

// ---------------------------------------------------------------- new message

/**
 * `new message`. One consistent BatchGet (dialog head, the caller's profile,
 * the `client_id` item), outside groups one more of the caller's links, then
 * (domain/delivery.ts) the outbox (PutItem) and one transaction of 3 actions:
 * the head's `lastId` (conditional on its version and on being older), the
 * message item (pending; conditional on the id being free), the `client_id`
 * item (conditional on being new). Then the n copies (BatchWrite, 25 a
 * request), and the `messages` push beside clearing `pending`.
 */
export async function newMessage(deps: Deps, session: BoundConnection, input: FrameData<'new message'>): Promise<Message> {
  const me = session.userId;
  const dialogId = input.message.dialog_id;
  const clientId = input.message.client_id ?? undefined;
  const outcome = await withRetries(async (): Promise<{ mine: InboxItem; message?: BuiltMessage }> => {
    const { head, user, sent } = await readRecords(
      deps,
      { head: dialogHeadRef(dialogId), user: userRef(me), sent: clientId ? clientMessageRef(me, clientId) : undefined },
      { consistent: true },
    );
    if (!head || !head.recipients.includes(me)) throw denied(`not a recipient of dialog ${dialogId}`);
    if (head.group_id === null) await requireAccepted(deps, me, head.recipients.filter((r) => r !== me));
    const now = deps.now();
    if (clientId) {
      const stored = alive(sent, now.getTime());
      if (stored) return { mine: await storedCopy(deps, session, dialogId, stored) };
    }
    assertContent(input.bodies, input.attachments, head.recipients);
    if (!user) throw new Error(`user ${me} missing`);
    const message = buildMessage({
      id: newId(now, head.lastId),
      dialogId,
      type: input.message.type,
      creator: creatorOf(user),
      recipients: head.recipients,
      bodies: input.bodies,
      attachments: input.attachments,
      asRead: input.as_read,
    });
    await stageMessages(deps, [message]);
    const tx = transaction(deps);
    advanceLastId(tx, dialogId, head.version, message.record.id);
    commitMessages(tx, [message]);
    if (clientId) putClientMessage(tx, me, clientId, { messageId: message.record.id, dialogId, expiresAt: epochSeconds(now) + CLIENT_ID_TTL_SECONDS }, epochSeconds(now));
    await tx.commit(deps);
    return { mine: message.copies.find((c) => c.recipient_id === me)!, message };
  });
  // A retry answered from storage pushes nothing here: the first request (or the completion) did.
  if (outcome.message) {
    const { delivered } = await deliverMessages(deps, [outcome.message]);
    await Promise.all([delivered, pushCopies(deps, outcome.message.copies, session.connectionId)]);
  }
  return messageView(outcome.mine);
}

/**
 * The caller's copy of the message a `client_id` made; the same `client_id`
 * for another dialog is a client's mistake. A message whose request died
 * before all its copies (the caller's may be written, others' not) is
 * finished here, and the copies written are pushed.
 */
async function storedCopy(deps: Deps, session: BoundConnection, dialogId: number, stored: ClientMessage): Promise<InboxItem> {
  const me = session.userId;
  if (stored.dialogId !== dialogId) throw wrongData('client_id already used in another dialog');
  const read = () => readRecords(deps, { copy: inboxRef(me, dialogId, stored.messageId) }, { consistent: true });
  const { copy, record } = await readRecords(deps, { copy: inboxRef(me, dialogId, stored.messageId), record: messageRef(stored.messageId) }, { consistent: true });
  if (copy && !record?.pending) return copy;
  const written = await completeMessage(deps, stored.messageId);
  await pushCopies(deps, written, session.connectionId);
  const { copy: completed } = await read();
  if (!completed) throw new Error(`message ${stored.messageId} of client id missing`);
  return completed;
}

// ---------------------------------------------------------------- reading

/** A dialog as `give me messages` needs it: the caller's membership and the head (for `lastId`). */
interface Visible {
  membership: DialogMembership;
  head: DialogHead;
}

/** Heads of the dialogs of some memberships (BatchGet, 100 a request), kept where the user is still a recipient. */
export async function visibleDialogs(deps: Deps, userId: number, memberships: DialogMembership[]): Promise<Visible[]> {
  const found = await readEach(deps, memberships, (m) => ({ head: dialogHeadRef(m.dialogId) }));
  return [...found].flatMap(([membership, { head }]) => (head?.recipients.includes(userId) ? [{ membership, head }] : []));
}

/**
 * The newest message of each dialog (the user's copy of the head's `lastId`,
 * if the user received it) and the unread messages of those dialogs, newest
 * first, without duplicates. `unread` is the user's unread copies, read
 * beforehand (in parallel with the heads).
 */
export async function newestAndUnread(deps: Deps, userId: number, dialogs: Visible[], unread: InboxItem[]): Promise<Message[]> {
  const received = dialogs.filter((d) => d.head.lastId > d.membership.since).map((d) => d.head);
  const found = await readEach(deps, received, (head) => ({ copy: inboxRef(userId, head.id, head.lastId) }));
  const visible = new Set(dialogs.map((d) => d.head.id));
  const copies = new Map<number, InboxItem>();
  for (const { copy } of found.values()) if (copy) copies.set(copy.id, copy);
  const latest = [...copies.values()].sort((a, b) => b.id - a.id);
  // A kicked member's old unread copies stay stored, out of reach.
  const pending = unread.filter((c) => visible.has(c.dialog_id) && !copies.has(c.id));
  return withinBudget([...latest, ...pending].map((c) => messageView(c)));
}

/**
 * `give me messages`: Query of the dialog memberships ∥ Query of the unread
 * index (at most UNREAD_LIMIT), BatchGet of the heads, BatchGet of the newest
 * copies. The newest of each dialog come first, then the unread ones.
 */
export async function giveMeMessages(deps: Deps, userId: number): Promise<Message[]> {
  const [memberships, unread] = await Promise.all([dialogMembershipsOf(deps, userId), unreadCopies(deps, userId, UNREAD_LIMIT, ANSWER_BUDGET_BYTES)]);
  return newestAndUnread(deps, userId, await visibleDialogs(deps, userId, memberships), unread);
}

/**
 * `get messages before`: the dialog's head (GetItem, consistent: the caller
 * is a recipient) and, at the same time, one Query of the caller's copies of
 * the dialog between the ids of `first_date` and `last_date` (inclusive,
 * whole seconds), newest first — one round trip, not two: the copies are the
 * caller's own (their partition), so reading them before the head is known
 * shows nothing, and they are answered only if the caller is a recipient.
 * `before_id` (our extension, a cursor) also keeps only ids below it, so
 * paging on from the oldest message got reaches messages of the same second.
 */
export async function getMessagesBefore(deps: Deps, session: BoundConnection, input: FrameData<'get messages before'>): Promise<Message[]> {
  const me = session.userId;
  const first = input.first_date ? parseDate(input.first_date) : undefined;
  const range = idRangeOfDates(first, parseDate(input.last_date)!);
  const min = range.min;
  const max = input.before_id ? Math.min(range.max, input.before_id - 1) : range.max;
  const [{ head }, copies] = await Promise.all([
    readRecords(deps, { head: dialogHeadRef(input.dialog_id) }, { consistent: true }),
    copiesBetween(deps, me, input.dialog_id, min, max, input.limit),
  ]);
  // The head, not the derived membership item, says who is in (a kicked member is out at once).
  if (!head?.recipients.includes(me)) throw denied(`not a recipient of dialog ${input.dialog_id}`);
  return withinBudget(copies.map((c) => messageView(c)));
}

// ---------------------------------------------------------------- update, read

/**
 * `update message`: only the creator, and only while a recipient of the
 * dialog. Written as a message is (domain/delivery.ts): the revision's
 * outbox, a transaction of two actions (the head's `version` check, the
 * message item, pending), then one UpdateItem per copy, then `pending`
 * cleared beside the push. An edit is writing: outside groups it needs an `accepted` link with
 * every other recipient, as `new message` does (a delete does not: taking
 * one's words back is always allowed). An edit needs one body per recipient
 * of the message who is still in the dialog, and touches those copies; a
 * delete empties every copy. The recipients still in the dialog get the
 * `messages` push.
 */
export async function updateMessage(deps: Deps, session: BoundConnection, input: FrameData<'update message'>): Promise<Message> {
  const me = session.userId;
  const outcome = await withRetries(async () => {
    const { record } = await readRecords(deps, { record: messageRef(input.id) }, { consistent: true });
    if (!record || record.created_by !== me) throw denied(`message ${input.id} is not the caller's`);
    // Its copies first, as sent: an edit then revises them all.
    if (record.pending) {
      await pushCopies(deps, await completeMessage(deps, record.id));
      throw new TryAgain(`message ${record.id} was pending`);
    }
    const dialogId = record.dialog_id;
    const { head, copiesOf } = await readRecords(
      deps,
      { head: dialogHeadRef(dialogId), copiesOf: each(record.recipients, (r) => ({ copy: inboxRef(r, dialogId, record.id) })) },
      { consistent: true },
    );
    if (!head || !head.recipients.includes(me)) throw denied(`not a recipient of dialog ${dialogId}`);
    const others = head.recipients.filter((r) => r !== me);
    const linked = !input.toDelete && head.group_id === null;
    if (linked) await requireAccepted(deps, me, others);
    const copies = [...copiesOf.values()].flatMap(({ copy }) => copy ?? []);
    const present = new Set(head.recipients);
    if (input.toDelete && record.type === 'message.deleted') return { copies, present };
    if (!input.toDelete) {
      if (record.type !== 'message.default' && record.type !== 'message.updated') throw wrongData(`a ${record.type} message cannot be edited`);
      assertOnePerRecipient(input.bodies, record.recipients.filter((r) => present.has(r)), 'bodies');
    }
    const date = formatDate(deps.now());
    const revision: Revision = input.toDelete
      ? { type: 'message.deleted', updated_by: me, updated_at: date, edited_at: record.edited_at }
      : { type: 'message.updated', updated_by: me, updated_at: date, edited_at: date };
    // An edit writes the copies of those still in the dialog; a delete empties every copy.
    const touched = input.toDelete ? copies : copies.filter((c) => present.has(c.recipient_id));
    const creator = copies.find((c) => c.recipient_id === me)?.creator;
    if (!creator) throw new Error(`message ${input.id}: the creator's copy is missing`);
    const change: RevisionChange = {
      id: record.id,
      dialogId,
      revision,
      bodies: input.toDelete ? 'drop' : input.bodies,
      recipients: touched.map((c) => c.recipient_id),
      token: `revision:${randomUUID()}`,
    };
    await stageRevision(deps, creator, change);
    const tx = transaction(deps);
    checkVersion(tx, dialogId, head.version);
    reviseRecord(tx, record.id, revision, change.token);
    await tx.commit(deps);
    const revised = touched.map((copy) => revise(copy, revision, input.toDelete ? undefined : input.bodies.find((b) => b.recipient_id === copy.recipient_id)));
    return { copies: revised, present, change };
  });
  const mine = outcome.copies.find((c) => c.recipient_id === me);
  if (!mine) throw new Error(`message ${input.id}: the creator's copy is missing`);
  if ('change' in outcome && outcome.change) {
    await reviseCopies(deps, outcome.change);
    await Promise.all([markDelivered(deps, input.id, outcome.change.token), pushCopies(deps, outcome.copies.filter((c) => outcome.present.has(c.recipient_id)), session.connectionId)]);
  }
  return messageView(mine);
}

/** A copy as `reviseCopy` leaves it. */
function revise(copy: InboxItem, revision: Revision, body: MessageBodyInput | undefined): InboxItem {
  const content = body
    ? { body: body.body, nonce: body.nonce, key_id: body.key_id, key_from_id: body.key_from_id }
    : { body: '', nonce: '' };
  return {
    ...copy,
    ...revision,
    body: { ...copy.body, ...content, updated_at: revision.updated_at },
    attachments: body ? copy.attachments : [],
  };
}

/**
 * `read messages`: BatchGet of the message items (which dialog each is in),
 * BatchGet of the heads of those dialogs (is the caller still in?), then one conditional
 * UpdateItem per unread copy of the caller. Ids that are not the caller's, of
 * dialogs the caller left, or already read, are ignored.
 */
export async function readMessages(deps: Deps, session: BoundConnection, input: FrameData<'read messages'>): Promise<void> {
  const me = session.userId;
  const ids = [...new Set(input.ids)];
  const found = await readEach(deps, ids, (id) => ({ record: messageRef(id) }));
  const mine = [...found.values()].flatMap(({ record }) => record ?? []).filter((r) => r.recipients.includes(me));
  const dialogs = [...new Set(mine.map((r) => r.dialog_id))];
  const heads = await readEach(deps, dialogs, (d) => ({ head: dialogHeadRef(d) }), { consistent: true });
  const targets = mine.filter((r) => heads.get(r.dialog_id)?.head?.recipients.includes(me));
  const date = formatDate(deps.now());
  await mapBounded(targets, deps.config.pushConcurrency, (r) => markCopyRead(deps, me, r.dialog_id, r.id, date));
}
