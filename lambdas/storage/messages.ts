/**
 * Messages, stored once per recipient ("inbox" model):
 *
 *   message   pk = `MSG#<id>`, sk = `MSG`   dialog, type, dates, authors, recipients.
 *             Put with `attribute_not_exists`: the guard that makes ids unique.
 *   copy      pk = `INBOX#<user>#<dialog>`, sk = `MSG#<16-digit id>`   the message
 *             header, the creator, and that recipient's body and attachment bodies.
 *             While unread it carries gsi1pk = `UNREAD#<user>`, gsi1sk = `<16-digit id>`.
 *   client id pk = `CLIENTMSG#<user>#<client_id>`, sk = `CLIENTMSG`   the id of the
 *             message that `client_id` created (TTL: CLIENT_ID_TTL_SECONDS).
 *
 *   outbox    pk = `OUTBOX#<id>`, sk = `OUTBOX`   what the copies are built from
 *             besides the message item (creator, bodies, attachments); TTL
 *             OUTBOX_TTL_SECONDS.
 *
 * A recipient's messages of a dialog are one partition, sorted by id (= by
 * time): a page of history is one Query on a key range. Their unread messages
 * are one Query of a sparse index. A message to n recipients is 1 + n items:
 * the message item (`pending` until every copy is written) commits with the
 * dialog's head; the copies follow, from the request or, if it died, from the
 * stream consumer (domain/delivery.ts, docs/access-patterns.md).
 */
import { PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { MessageCreator, MessageType, Stamps } from '../protocol/objects';
import type { AttachmentInput, MessageBodyInput } from '../protocol/schemas';
import { conditionHolds, fieldsDecoder, isConditionFailure, ref, withoutKey, writeMany, type Key, type Store } from './store';
import { padId } from './time-ids';
import type { Transaction } from './transact';

/** How long a `client_id` is remembered: a client resends a lost `new message` well within it. */
export const CLIENT_ID_TTL_SECONDS = 7 * 24 * 3600;

export interface MessageRecord extends Stamps {
  id: number;
  dialog_id: number;
  type: MessageType;
  edited_at: string | null;
  recipients: number[];
  /**
   * Some copies may not be written (or revised) yet: the token of the write
   * that left them so (NEW_MESSAGE, or a revision's), cleared once they all
   * are — only by that write's completion, never a stale one's.
   */
  pending?: string | null;
}

/**
 * What a message's copies are built from besides its item, kept until they
 * are all written; for `update message`, the revision and its new bodies
 * (none for a delete), replacing the message's own.
 */
export interface Outbox {
  creator: MessageCreator;
  bodies: MessageBodyInput[];
  attachments: AttachmentInput[];
  asRead: boolean;
  expiresAt: number;
  revision?: Revision;
}

export interface StoredBody {
  body: string;
  nonce: string;
  key_id: number;
  key_from_id: number;
  read_date: string | null;
  updated_at: string;
}

export interface StoredAttachment {
  id: number;
  unique: string;
  size: number;
  name: string;
  crypto: string;
  nonce: string;
  key_id: number;
  key_from_id: number;
}

/** One recipient's copy of a message. */
export interface InboxItem extends Stamps {
  id: number;
  dialog_id: number;
  type: MessageType;
  edited_at: string | null;
  creator: MessageCreator;
  recipient_id: number;
  body: StoredBody;
  attachments: StoredAttachment[];
}

export const messageKey = (id: number) => ({ pk: `MSG#${id}`, sk: 'MSG' });
export const inboxKey = (userId: number, dialogId: number, id: number) => ({ pk: `INBOX#${userId}#${dialogId}`, sk: `MSG#${padId(id)}` });
export const outboxKey = (id: number) => ({ pk: `OUTBOX#${id}`, sk: 'OUTBOX' });
export const clientMessageKey = (userId: number, clientId: string) => ({ pk: `CLIENTMSG#${userId}#${clientId}`, sk: 'CLIENTMSG' });
const unreadKey = (userId: number, id: number) => ({ gsi1pk: `UNREAD#${userId}`, gsi1sk: padId(id) });

const RECORD_FIELDS = ['id', 'dialog_id', 'type', 'created_by', 'created_at', 'updated_by', 'updated_at', 'edited_at', 'recipients', 'pending'] as const;
const INBOX_FIELDS = ['id', 'dialog_id', 'type', 'edited_at', 'created_by', 'created_at', 'updated_by', 'updated_at', 'creator', 'recipient_id', 'body', 'attachments'] as const;

const toRecord = fieldsDecoder<MessageRecord>(RECORD_FIELDS, null);
const toInbox = fieldsDecoder<InboxItem>(INBOX_FIELDS, null);
export const messageRef = (id: number) => ref(messageKey(id), toRecord);
export const inboxRef = (userId: number, dialogId: number, id: number) => ref(inboxKey(userId, dialogId, id), toInbox);

export interface ClientMessage {
  messageId: number;
  dialogId: number;
  expiresAt: number;
}

export const clientMessageRef = (userId: number, clientId: string) => ref(clientMessageKey(userId, clientId), withoutKey<ClientMessage>);
export const outboxRef = (id: number) => ref(outboxKey(id), withoutKey<Outbox>);
/** The message id of an outbox item's key. */
export const idOfOutboxKey = (pk: string): number | undefined => (pk.startsWith('OUTBOX#') ? Number(pk.slice('OUTBOX#'.length)) : undefined);

// ---------------------------------------------------------------- writes

/** The `pending` token of a new message's item. */
export const NEW_MESSAGE = 'new';

/** The message item, pending; fails (tag `messageId`) if another message has the id. */
export function putRecord(tx: Transaction, record: MessageRecord): void {
  tx.put('messageId', { ...messageKey(record.id), ...record, pending: NEW_MESSAGE }, { expression: 'attribute_not_exists(pk)' });
}

/** Written before the message item commits (plain PutItem: nobody reads it unless that commit happened). */
export async function putOutbox(store: Store, id: number, outbox: Outbox): Promise<void> {
  await store.db.send(new PutCommand({ TableName: store.config.dataTable, Item: { ...outboxKey(id), ...outbox } }));
}

/** A recipient's copy as stored; an unread one joins the recipient's unread index. */
const copyItem = (copy: InboxItem) => ({
  ...inboxKey(copy.recipient_id, copy.dialog_id, copy.id),
  ...copy,
  ...(copy.body.read_date === null ? unreadKey(copy.recipient_id, copy.id) : {}),
});

/** The copies of a committed message, by BatchWrite: unconditional, so only by the request that committed it. */
export async function putCopies(store: Store, copies: readonly InboxItem[], concurrency: number): Promise<void> {
  await writeMany(store, { puts: copies.map(copyItem) }, concurrency);
}

/** A copy only where there is none (never undoes a read or an edit); false if there was one. */
export async function putCopyIfMissing(store: Store, copy: InboxItem): Promise<boolean> {
  return conditionHolds(
    store.db.send(new PutCommand({ TableName: store.config.dataTable, Item: copyItem(copy), ConditionExpression: 'attribute_not_exists(pk)' })),
  );
}

/** Every copy is written (or revised): the message item stops being pending, if it is still pending for `token`. */
export async function markDelivered(store: Store, id: number, token: string): Promise<void> {
  await conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: messageKey(id),
        UpdateExpression: 'REMOVE pending',
        ConditionExpression: 'pending = :token',
        ExpressionAttributeValues: { ':token': token },
      }),
    ),
  );
}

/** Remembers which message a `client_id` made; fails (tag `clientId`) if it made one already (and has not expired). */
export function putClientMessage(tx: Transaction, userId: number, clientId: string, value: ClientMessage, nowSeconds: number): void {
  tx.put(
    'clientId',
    { ...clientMessageKey(userId, clientId), ...value },
    { expression: 'attribute_not_exists(pk) OR expiresAt <= :now', values: { ':now': nowSeconds } },
  );
}

export interface Revision {
  type: MessageType;
  updated_by: number;
  updated_at: string;
  edited_at: string | null;
}

const recordRevision = (revision: Revision) => ({
  expression: 'SET #type = :type, updated_by = :by, updated_at = :at, edited_at = :edited',
  names: { '#type': 'type' },
  values: { ':type': revision.type, ':by': revision.updated_by, ':at': revision.updated_at, ':edited': revision.edited_at } as Record<string, unknown>,
});

/** `update message`: the message item takes the new type and dates, pending until the copies are revised; an edit only if the message is not deleted. */
export function reviseRecord(tx: Transaction, id: number, revision: Revision, token: string): void {
  const update = recordRevision(revision);
  tx.update(
    'message',
    messageKey(id),
    { expression: `${update.expression}, pending = :pending`, names: update.names, values: { ...update.values, ':pending': token } },
    revision.type === 'message.deleted'
      ? { expression: 'attribute_exists(pk)' }
      : { expression: 'attribute_exists(pk) AND #type <> :deleted', values: { ':deleted': 'message.deleted' } },
  );
}

const copyRevision = (revision: Revision, body: Pick<StoredBody, 'body' | 'nonce' | 'key_id' | 'key_from_id'> | 'drop') => {
  const content =
    body === 'drop'
      ? { expression: '#body.#text = :empty, #body.nonce = :empty, attachments = :none', values: { ':empty': '', ':none': [] } }
      : {
          expression: '#body.#text = :text, #body.nonce = :nonce, #body.key_id = :key, #body.key_from_id = :from',
          values: { ':text': body.body, ':nonce': body.nonce, ':key': body.key_id, ':from': body.key_from_id },
        };
  return {
    expression: `SET #type = :type, updated_by = :by, updated_at = :at, edited_at = :edited, #body.updated_at = :at, ${content.expression}`,
    names: { '#type': 'type', '#body': 'body', '#text': 'body' },
    values: { ':type': revision.type, ':by': revision.updated_by, ':at': revision.updated_at, ':edited': revision.edited_at, ...content.values },
  };
};

/**
 * `update message` on one copy: new type and dates, and either a new body
 * (edit) or none at all (delete: body, nonce and attachments emptied). The
 * read state is left as it is. One UpdateItem, conditional on the copy
 * existing; repeating it changes nothing. Returns the copy as left, or
 * undefined if there is none.
 */
export async function reviseCopy(store: Store, userId: number, dialogId: number, id: number, revision: Revision, body: Pick<StoredBody, 'body' | 'nonce' | 'key_id' | 'key_from_id'> | 'drop'): Promise<InboxItem | undefined> {
  const update = copyRevision(revision, body);
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: inboxKey(userId, dialogId, id),
        UpdateExpression: update.expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toInbox(Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Deletes one message item or one copy on its own, as `update message`
 * `toDelete` does (`delete-user`: item by item, each idempotent): false if it
 * is gone or deleted already.
 */
export async function eraseMessageItem(store: Store, key: Key, revision: Revision & { type: 'message.deleted' }): Promise<boolean> {
  const update = key.pk.startsWith('INBOX#') ? copyRevision(revision, 'drop') : recordRevision(revision);
  return conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: update.expression,
        ConditionExpression: 'attribute_exists(pk) AND #type <> :type',
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
      }),
    ),
  );
}

/** Marks one copy read (and takes it out of the unread index); false if it is not an unread copy of this user. */
export async function markCopyRead(store: Store, userId: number, dialogId: number, id: number, date: string): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: inboxKey(userId, dialogId, id),
        UpdateExpression: 'SET #body.read_date = :date, #body.updated_at = :date REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(gsi1pk)',
        ExpressionAttributeNames: { '#body': 'body' },
        ExpressionAttributeValues: { ':date': date },
      }),
    ),
  );
}

// ---------------------------------------------------------------- reads

/** A user's copies in a dialog with ids in [min, max], newest first, at most `limit`: one Query, more pages only past 1 MB. */
export async function copiesBetween(store: Store, userId: number, dialogId: number, min: number, max: number, limit: number): Promise<InboxItem[]> {
  if (max < min) return [];
  return queryUpTo(store, limit, {
    TableName: store.config.dataTable,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :min AND :max',
    ExpressionAttributeValues: { ':pk': `INBOX#${userId}#${dialogId}`, ':min': `MSG#${padId(min)}`, ':max': `MSG#${padId(max)}` },
    ScanIndexForward: false,
  });
}

/**
 * At most `limit` items of a Query, following pages (DynamoDB stops a page at
 * 1 MB, ~10 large messages, not at `Limit`); no further page once `maxBytes`
 * of items are read (the answer could not carry more).
 */
async function queryUpTo(store: Store, limit: number, input: QueryCommandInput, maxBytes = Infinity): Promise<InboxItem[]> {
  const copies: InboxItem[] = [];
  let start: Record<string, unknown> | undefined;
  let bytes = 0;
  do {
    const page = await store.db.send(new QueryCommand({ ...input, Limit: limit - copies.length, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      copies.push(toInbox(item)!);
      if (maxBytes !== Infinity) bytes += JSON.stringify(item).length;
    }
    start = page.LastEvaluatedKey;
  } while (start && copies.length < limit && bytes <= maxBytes);
  return copies;
}

/** A user's unread copies, newest first, at most `limit` (and about `maxBytes`): a Query of the sparse index (pages of 1 MB). */
export async function unreadCopies(store: Store, userId: number, limit: number, maxBytes?: number): Promise<InboxItem[]> {
  return queryUpTo(store, limit, {
    TableName: store.config.dataTable,
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': `UNREAD#${userId}` },
    ScanIndexForward: false,
  }, maxBytes);
}
