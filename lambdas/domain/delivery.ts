/**
 * How a message reaches its recipients' copies, at any number of recipients
 * (docs/access-patterns.md, "Messages to many recipients"):
 *
 * 1. stage: the outbox (what the copies are built from), a plain PutItem
 *    nobody reads unless step 2 happens;
 * 2. commit: the message item, `pending`, in the caller's small transaction
 *    (with the dialog's head and the `client_id`): from here on the message
 *    exists and every copy will;
 * 3. deliver: the copies, by BatchWrite, then the item stops being pending.
 *
 * A request that dies between 2 and 3 leaves the item pending; `complete`
 * finishes it from the item and its outbox — run by the stream consumer
 * (streams/message-stored.ts) on the item's INSERT and on the outbox's expiry,
 * and by a `client_id` resend. It never overwrites a copy that exists, so a
 * copy already read or edited stays as it is.
 *
 * `update message` goes the same way: the revision's outbox (its new bodies,
 * none for a delete), the message item revised and pending, then one
 * UpdateItem per copy; `complete` applies a pending revision again to every
 * copy it names (an UpdateItem sets the same fields again: repeatable).
 */
import type { Deps } from '../deps';
import type { MessageCreator, MessageType } from '../protocol/objects';
import type { AttachmentInput, MessageBodyInput } from '../protocol/schemas';
import {
  inboxRef,
  NEW_MESSAGE,
  reviseCopy,
  markDelivered,
  messageRef,
  outboxRef,
  putCopies,
  putCopyIfMissing,
  putOutbox,
  putRecord,
  type InboxItem,
  type MessageRecord,
  type Outbox,
  type Revision,
} from '../storage/messages';
import { dialogHeadRef } from '../storage/dialogs';
import { epochSeconds, mapBounded, readEach, readRecords } from '../storage/store';
import { dateOfId } from '../storage/time-ids';
import type { Transaction } from '../storage/transact';
import { log } from '../log';
import { assertOnePerRecipient } from './rules';

export interface Draft {
  id: number;
  dialogId: number;
  type: MessageType;
  creator: MessageCreator;
  recipients: readonly number[];
  bodies: readonly MessageBodyInput[];
  attachments: readonly AttachmentInput[];
  /** Stored as read for every recipient (the creator's own copy always is). */
  asRead: boolean;
}

export interface BuiltMessage {
  record: MessageRecord;
  copies: InboxItem[];
  draft: Draft;
}

/** Bodies and attachment bodies: exactly one per recipient. */
export function assertContent(bodies: readonly MessageBodyInput[], attachments: readonly AttachmentInput[], recipients: readonly number[]): void {
  assertOnePerRecipient(bodies, recipients, 'bodies');
  attachments.forEach((a, i) => assertOnePerRecipient(a.bodies, recipients, `attachment ${i}`));
}

/** The message item and one copy per recipient; `created_at` is the time the id carries. */
export function buildMessage(d: Draft): BuiltMessage {
  const date = dateOfId(d.id);
  const record: MessageRecord = {
    id: d.id,
    dialog_id: d.dialogId,
    type: d.type,
    created_by: d.creator.id,
    created_at: date,
    updated_by: d.creator.id,
    updated_at: date,
    edited_at: null,
    recipients: [...d.recipients],
  };
  const copies = d.recipients.map((recipient): InboxItem => {
    const body = d.bodies.find((b) => b.recipient_id === recipient)!;
    return {
      id: d.id,
      dialog_id: d.dialogId,
      type: d.type,
      edited_at: null,
      created_by: d.creator.id,
      created_at: date,
      updated_by: d.creator.id,
      updated_at: date,
      creator: d.creator,
      recipient_id: recipient,
      body: { body: body.body, nonce: body.nonce, key_id: body.key_id, key_from_id: body.key_from_id, read_date: d.asRead || recipient === d.creator.id ? date : null, updated_at: date },
      attachments: d.attachments.map((a, i) => {
        const ab = a.bodies.find((b) => b.recipient_id === recipient)!;
        return { id: d.id + i + 1, unique: a.unique, size: a.size, name: ab.name, crypto: ab.crypto, nonce: ab.nonce, key_id: ab.key_id, key_from_id: ab.key_from_id };
      }),
    };
  });
  return { record, copies, draft: d };
}

/** Step 1, before the transaction: each message's outbox. */
export async function stageMessages(deps: Deps, messages: readonly BuiltMessage[]): Promise<void> {
  const expiresAt = epochSeconds(deps.now()) + deps.config.outboxTtlSeconds;
  await Promise.all(
    messages.map(({ draft }) =>
      putOutbox(deps, draft.id, { creator: draft.creator, bodies: [...draft.bodies], attachments: [...draft.attachments], asRead: draft.asRead, expiresAt }),
    ),
  );
}

/** Step 2: the message items, pending, into the caller's transaction. */
export function commitMessages(tx: Transaction, messages: readonly BuiltMessage[]): void {
  for (const message of messages) putRecord(tx, message.record);
}

/** Step 3, after the commit: every copy; `delivered` then clears `pending` (it may run beside the pushes). */
export async function deliverMessages(deps: Deps, messages: readonly BuiltMessage[]): Promise<{ delivered: Promise<void> }> {
  await putCopies(deps, messages.flatMap((m) => m.copies), deps.config.pushConcurrency);
  return { delivered: Promise.all(messages.map((m) => markDelivered(deps, m.record.id, NEW_MESSAGE))).then(() => undefined) };
}

/** `update message`, decided: which copies take the revision, with which bodies (`drop`: a delete). */
export interface RevisionChange {
  id: number;
  dialogId: number;
  revision: Revision;
  bodies: readonly MessageBodyInput[] | 'drop';
  recipients: readonly number[];
  /** The message item's `pending` while this revision is not on every copy. */
  token: string;
}

/** Step 1 of a revision: its outbox, replacing the message's (the message was finished first). */
export async function stageRevision(deps: Deps, creator: MessageCreator, change: RevisionChange): Promise<void> {
  const expiresAt = epochSeconds(deps.now()) + deps.config.outboxTtlSeconds;
  const bodies = change.bodies === 'drop' ? [] : change.bodies.filter((b) => change.recipients.includes(b.recipient_id));
  await putOutbox(deps, change.id, { creator, bodies, attachments: [], asRead: false, expiresAt, revision: change.revision });
}

/** Step 3 of a revision: one UpdateItem per copy (each repeatable); the copies as left. */
export async function reviseCopies(deps: Deps, change: RevisionChange): Promise<InboxItem[]> {
  const revised = await mapBounded(change.recipients, deps.config.pushConcurrency, (r) => {
    const body = change.bodies === 'drop' ? 'drop' : change.bodies.find((b) => b.recipient_id === r);
    return body ? reviseCopy(deps, r, change.dialogId, change.id, change.revision, body) : Promise.resolve(undefined);
  });
  return revised.filter((c): c is InboxItem => c !== undefined);
}

/** A pending revision: its copies revised again, pushed to those still in the dialog. */
async function completeRevision(deps: Deps, record: MessageRecord, outbox: Outbox & { revision: Revision }): Promise<InboxItem[]> {
  const drop = outbox.revision.type === 'message.deleted';
  const recipients = drop ? record.recipients : outbox.bodies.map((b) => b.recipient_id);
  const token = record.pending!;
  const revised = await reviseCopies(deps, { id: record.id, dialogId: record.dialog_id, revision: outbox.revision, bodies: drop ? 'drop' : outbox.bodies, recipients, token });
  await markDelivered(deps, record.id, token);
  const { head } = await readRecords(deps, { head: dialogHeadRef(record.dialog_id) }, { consistent: true });
  return revised.filter((c) => head?.recipients.includes(c.recipient_id));
}

/**
 * Finishes a pending message (nothing if it is not, or does not exist): the
 * copies missing, each only where none is, then `pending` cleared. `outbox`
 * is given when its item is gone (the image of its expiry). Returns the
 * copies it wrote, for the caller to push.
 */
export async function completeMessage(deps: Deps, id: number, outbox?: Outbox): Promise<InboxItem[]> {
  const { record, stored } = await readRecords(deps, { record: messageRef(id), stored: outbox ? undefined : outboxRef(id) }, { consistent: true });
  if (!record?.pending) return [];
  const source = outbox ?? stored;
  // Its expiry's record brings the outbox back: that one finishes the message.
  if (!source) {
    log.warn('pending message without its outbox', { id });
    return [];
  }
  if (source.revision) return completeRevision(deps, record, { ...source, revision: source.revision });
  const { copies } = buildMessage({
    id,
    dialogId: record.dialog_id,
    type: record.type,
    creator: source.creator,
    recipients: record.recipients,
    bodies: source.bodies,
    attachments: source.attachments,
    asRead: source.asRead,
  });
  const found = await readEach(deps, copies, (c) => ({ copy: inboxRef(c.recipient_id, c.dialog_id, c.id) }), { consistent: true });
  const missing = copies.filter((c) => !found.get(c)?.copy);
  const written = await mapBounded(missing, deps.config.pushConcurrency, async (c) => ((await putCopyIfMissing(deps, c)) ? [c] : []));
  await markDelivered(deps, id, record.pending);
  if (missing.length > 0) log.info('message completed', { id, copies: written.flat().length });
  return written.flat();
}
