/**
 * A `new message` whose request dies after its commit and before its copies
 * (emulated here by committing exactly what the request commits, and no
 * more): the stream consumer finishes it after the grace, a `client_id`
 * resend finishes it at once, and the outbox's expiry finishes it when the
 * INSERT record was lost (test/message-crash.test.ts does the same through
 * real kills). Every recipient ends with their copy and a push; a copy read
 * meanwhile is never rewritten.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { buildMessage, commitMessages, completeMessage, stageMessages, stageRevision, type BuiltMessage } from '../lambdas/domain/delivery';
import { creatorOf } from '../lambdas/domain/messages';
import type { Dialog, Group, Message } from '../lambdas/protocol/objects';
import { advanceLastId, checkVersion, dialogHeadRef } from '../lambdas/storage/dialogs';
import { formatDate } from '../lambdas/protocol/frames';
import { CLIENT_ID_TTL_SECONDS, inboxRef, markCopyRead, markDelivered, NEW_MESSAGE, messageRef, outboxKey, outboxRef, putClientMessage, putCopyIfMissing, reviseRecord } from '../lambdas/storage/messages';
import { epochSeconds, readEach, readRecords } from '../lambdas/storage/store';
import { newId } from '../lambdas/storage/time-ids';
import { transaction } from '../lambdas/storage/transact';
import { userRef } from '../lambdas/storage/users';
import type { StreamRecord } from '../lambdas/streams/records';
import { messagesStored } from '../lambdas/streams/message-stored';
import type { LocalStack } from '../local/stack';
import { bodies, closeAll, ids, names, people, textOf, type Person } from './support/conversations';
import { startTestStack } from './support/stack';

const GRACE_MS = 1000;
let stack: LocalStack;
let everyone: Person[];
let dialog: Dialog;

beforeAll(async () => {
  stack = await startTestStack({ env: { DELIVERY_GRACE_MS: String(GRACE_MS) } });
  everyone = await people(stack, 4);
  const recipients = ids(...everyone);
  const group = await everyone[0]!.client.call<Group>('new group', { bodies: names('g', recipients), recipients, admin_id: everyone[0]!.id });
  dialog = await everyone[0]!.client.call<Dialog>('new dialog', { bodies: names('d', recipients), recipients, dialog: { group_id: group.id } });
  for (const p of everyone) p.client.pushes.length = 0;
});
afterAll(async () => {
  await closeAll(...everyone);
  await stack.close();
});

/** What `new message` writes before the copies: outbox, then head + pending message item (+ client_id). */
async function commitOnly(text: string, clientId?: string): Promise<BuiltMessage> {
  const deps = getDeps();
  const sender = everyone[0]!;
  const { head, user } = await readRecords(deps, { head: dialogHeadRef(dialog.id), user: userRef(sender.id) }, { consistent: true });
  const now = deps.now();
  const message = buildMessage({
    id: newId(now, head!.lastId),
    dialogId: dialog.id,
    type: 'message.default',
    creator: creatorOf(user!),
    recipients: head!.recipients,
    bodies: bodies(text, head!.recipients),
    attachments: [],
    asRead: false,
  });
  await stageMessages(deps, [message]);
  const tx = transaction(deps);
  advanceLastId(tx, dialog.id, head!.version, message.record.id);
  commitMessages(tx, [message]);
  if (clientId) putClientMessage(tx, sender.id, clientId, { messageId: message.record.id, dialogId: dialog.id, expiresAt: epochSeconds(now) + CLIENT_ID_TTL_SECONDS }, epochSeconds(now));
  await tx.commit(deps);
  return message;
}

const copiesOf = async (id: number) =>
  [...(await readEach(getDeps(), ids(...everyone), (u) => ({ copy: inboxRef(u, dialog.id, id) }), { consistent: true })).values()].flatMap((c) => c.copy ?? []);
/** The message item's `pending` (null once cleared: absent attributes decode to null). */
const pendingOf = async (id: number) => (await readRecords(getDeps(), { record: messageRef(id) }, { consistent: true })).record?.pending;

/** What `update message` writes before the copies: the revision's outbox, then the head check and the message item, pending. */
async function reviseOnly(message: BuiltMessage, text: string): Promise<void> {
  const deps = getDeps();
  const { head } = await readRecords(deps, { head: dialogHeadRef(dialog.id) }, { consistent: true });
  const date = formatDate(deps.now());
  const revision = { type: 'message.updated' as const, updated_by: everyone[0]!.id, updated_at: date, edited_at: date };
  const token = 'revision:test';
  await stageRevision(deps, message.copies[0]!.creator, { id: message.record.id, dialogId: dialog.id, revision, bodies: bodies(text, head!.recipients), recipients: head!.recipients, token });
  const tx = transaction(deps);
  checkVersion(tx, dialog.id, head!.version);
  reviseRecord(tx, message.record.id, revision, token);
  await tx.commit(deps);
}

describe('a message whose request died after its commit', () => {
  it('is finished by the stream consumer after the grace: every recipient gets the copy and the push', async () => {
    const message = await commitOnly('orphan');
    expect(await copiesOf(message.record.id)).toEqual([]);
    const started = Date.now();
    for (const p of everyone) {
      const pushed = await p.client.waitFor(() => p.client.pushes.find((f) => f.event === 'messages' && (f.data as Message[]).some((m) => m.id === message.record.id)), 10_000, 'push');
      expect(textOf((pushed.data as Message[])[0]!)).toBe(`orphan for ${p.id}`);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(GRACE_MS - 200);
    expect((await copiesOf(message.record.id)).map((c) => c.recipient_id).sort((a, b) => a - b)).toEqual(ids(...everyone));
    expect(await pendingOf(message.record.id)).toBeNull();
  });

  it('an edit whose request died after its commit is finished by the consumer: every copy revised, every recipient told', async () => {
    const message = await commitOnly('before edit');
    await completeMessage(getDeps(), message.record.id);
    for (const p of everyone) p.client.pushes.length = 0;
    await reviseOnly(message, 'after edit');
    expect(await pendingOf(message.record.id)).toBe('revision:test');
    // A completion of the message as sent, late (its token is the new message's), does not end the revision's pending.
    await markDelivered(getDeps(), message.record.id, NEW_MESSAGE);
    expect(await pendingOf(message.record.id)).toBe('revision:test');
    for (const p of everyone) {
      const pushed = await p.client.waitFor(() => p.client.pushes.find((f) => f.event === 'messages' && (f.data as Message[]).some((m) => m.id === message.record.id)), 10_000, 'push');
      expect(textOf((pushed.data as Message[])[0]!)).toBe(`after edit for ${p.id}`);
    }
    expect((await copiesOf(message.record.id)).map((c) => c.type)).toEqual(everyone.map(() => 'message.updated'));
    expect(await pendingOf(message.record.id)).toBeNull();
  });

  it('is finished at once by a resend with its client_id, which answers the stored message', async () => {
    const message = await commitOnly('resent', 'c-resend');
    const again = await everyone[0]!.client.call<Message>('new message', { message: { dialog_id: dialog.id, client_id: 'c-resend' }, bodies: bodies('resent', ids(...everyone)) });
    expect(again.id).toBe(message.record.id);
    expect(await copiesOf(message.record.id)).toHaveLength(everyone.length);
    expect(await pendingOf(message.record.id)).toBeNull();
  });

  it('is finished from the outbox\'s expiry record when its INSERT never reached the consumer, without rewriting a copy already there', async () => {
    const message = await commitOnly('expired');
    const deps = getDeps();
    const { outbox } = await readRecords(deps, { outbox: outboxRef(message.record.id) }, { consistent: true });
    // One recipient's copy exists and was read before the repair: it must stay read.
    const [first] = everyone;
    const mine = message.copies.find((c) => c.recipient_id === first!.id)!;
    await putCopyIfMissing(deps, { ...mine, body: { ...mine.body, read_date: null } });
    expect(await markCopyRead(deps, first!.id, dialog.id, message.record.id, '2030-01-01 00:00:00')).toBe(true);
    const expiry = {
      eventID: 'x1',
      eventName: 'REMOVE',
      dynamodb: { Keys: marshall(outboxKey(message.record.id)), OldImage: marshall({ ...outboxKey(message.record.id), ...outbox }, { removeUndefinedValues: true }), SequenceNumber: '1' },
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    } as unknown as StreamRecord;
    expect(await messagesStored(deps, { Records: [expiry] })).toEqual({ batchItemFailures: [] });
    const copies = await copiesOf(message.record.id);
    expect(copies).toHaveLength(everyone.length);
    expect(copies.find((c) => c.recipient_id === first!.id)!.body.read_date).toBe('2030-01-01 00:00:00');
    expect(await pendingOf(message.record.id)).toBeNull();
  });
});
