/**
 * User links (contact list entries). A link between two users is stored as
 * two items, one in each user's partition, always written together in one
 * transaction:
 *
 *   pk = `USER#<owner>`, sk = `LINK#<other>`
 *
 * Both carry the shared link (id, from/to, canonical status, dates, authors,
 * `version`); each carries its owner's own `read` and `listed` (whether the
 * other user shows in the owner's contact list). A user's whole list is one
 * Query of their partition; a pair is one BatchGet of two keys.
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Stamps } from '../protocol/objects';
import { conditionHolds, queryAll, ref, withoutKey, type Store, type StoredItem } from './store';
import { transaction, TransactionCancelled } from './transact';

/** The status stored on the link; `received` is how the addressee sees `requested`. */
export type CanonicalStatus = 'requested' | 'accepted' | 'rejected' | 'withdrawn';

export interface SharedLink extends Stamps {
  id: number;
  from_user_id: number;
  to_user_id: number;
  status: CanonicalStatus;
}

export interface LinkSide {
  /** The other user shows in the owner's list. */
  listed: boolean;
  /** The owner has read the current status. */
  read: boolean;
}

export interface LinkItem extends SharedLink, LinkSide {
  owner: number;
  other: number;
  version: number;
}

export const linkKey = (owner: number, other: number) => ({ pk: `USER#${owner}`, sk: `LINK#${other}` });

/** The stored item of one side of a link. */
export const linkItem = (link: LinkItem): StoredItem => ({ ...linkKey(link.owner, link.other), ...link });

export class LinkConflictError extends Error {}

/** The owner's side of a link. */
export const linkRef = (owner: number, other: number) => ref(linkKey(owner, other), withoutKey<LinkItem>);

export interface LinksQuery {
  /** Only links the owner lists. */
  listed?: boolean;
  /** Only links with this status. */
  status?: CanonicalStatus;
}

/** Every link of a user (one Query, paged by DynamoDB's 1 MB: ~3,000 links a page). */
export async function linksOf(store: Store, owner: number, filter: LinksQuery = {}): Promise<LinkItem[]> {
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':pk': `USER#${owner}`, ':link': 'LINK#' };
  const names: Record<string, string> = {};
  if (filter.listed !== undefined) {
    conditions.push('#listed = :listed');
    names['#listed'] = 'listed';
    values[':listed'] = filter.listed;
  }
  if (filter.status) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filter.status;
  }
  const items = await queryAll(store, {
    TableName: store.config.dataTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :link)',
    ...(conditions.length ? { FilterExpression: conditions.join(' AND ') } : {}),
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: values,
  });
  return items.map((item) => withoutKey<LinkItem>(item)!);
}

export interface PairWrite {
  a: number;
  b: number;
  link: SharedLink;
  sides: { a: LinkSide; b: LinkSide };
  /** The version both items had when read (undefined: the item did not exist). */
  versions: { a?: number; b?: number };
}

/**
 * Writes both items of a pair, all or nothing, only if neither changed since
 * it was read; LinkConflictError otherwise (the caller reads again).
 */
export async function writePair(store: Store, w: PairWrite): Promise<{ a: LinkItem; b: LinkItem }> {
  const version = Math.max(w.versions.a ?? 0, w.versions.b ?? 0) + 1;
  const item = (owner: number, other: number, side: LinkSide): LinkItem => ({ ...w.link, ...side, owner, other, version });
  const tx = transaction(store);
  const put = (owner: number, other: number, side: LinkSide, expected: number | undefined) =>
    tx.put(
      `link ${owner}-${other}`,
      linkItem(item(owner, other, side)),
      expected === undefined ? { expression: 'attribute_not_exists(pk)' } : { expression: '#version = :v', names: { '#version': 'version' }, values: { ':v': expected } },
    );
  put(w.a, w.b, w.sides.a, w.versions.a);
  put(w.b, w.a, w.sides.b, w.versions.b);
  try {
    await tx.commitRetryingConflicts(store);
  } catch (error) {
    if (error instanceof TransactionCancelled) throw new LinkConflictError(`link ${w.a}-${w.b} changed meanwhile`);
    throw error;
  }
  return { a: item(w.a, w.b, w.sides.a), b: item(w.b, w.a, w.sides.b) };
}

/** Marks the owner's side read; false if the owner does not list the other user. */
export async function markRead(store: Store, owner: number, other: number): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: linkKey(owner, other),
        UpdateExpression: 'SET #read = :t',
        ConditionExpression: '#listed = :t',
        ExpressionAttributeNames: { '#read': 'read', '#listed': 'listed' },
        ExpressionAttributeValues: { ':t': true },
      }),
    ),
  );
}

/** Deletes one side of a link (`delete-user`); returns what it was, undefined if it was gone already. */
export async function removeSide(store: Store, owner: number, other: number): Promise<LinkItem | undefined> {
  const { Attributes } = await store.db.send(new DeleteCommand({ TableName: store.config.dataTable, Key: linkKey(owner, other), ReturnValues: 'ALL_OLD' }));
  return withoutKey<LinkItem>(Attributes);
}
