/**
 * The user search index (`find contacts`), without Scan: one small item per
 * searchable field of a user — `USER#<id>` / `SEARCH#username|first_name|last_name`
 * — projected into gsi1 as
 *
 *   gsi1pk = `USERSEARCH#<domainId>`   (search stays inside a domain)
 *   gsi1sk = `<normalised field>#<userId>`
 *
 * so a prefix search is one Query `gsi1pk = :domain AND begins_with(gsi1sk, :prefix)`.
 * Matching rule: the search text, trimmed, NFKC-normalised and lower-cased, is
 * a prefix of the user's username, first name or last name (each whole field).
 * Fields that are empty have no index entry.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Item, Key, Store } from './store';
import { transaction } from './transact';
import type { UserRecord } from './users';

export const SEARCH_FIELDS = ['username', 'first_name', 'last_name'] as const;

type Searchable = Pick<UserRecord, 'id' | 'domain_id' | 'username' | (typeof SEARCH_FIELDS)[number]>;

export interface SearchHit {
  userId: number;
  username: string;
  domain_id: number;
}

export const normaliseSearch = (text: string): string => text.normalize('NFKC').trim().toLowerCase();

const searchKey = (userId: number, field: string) => ({ pk: `USER#${userId}`, sk: `SEARCH#${field}` });
const domainPartition = (domainId: number) => `USERSEARCH#${domainId}`;

/** The index items of a user (only fields that are not empty). */
export function searchItems(user: Searchable): (Key & Item)[] {
  return SEARCH_FIELDS.flatMap((field) => {
    const token = normaliseSearch(user[field] ?? '');
    if (!token) return [];
    return [{ ...searchKey(user.id, field), gsi1pk: domainPartition(user.domain_id), gsi1sk: `${token}#${user.id}`, token, userId: user.id, username: user.username, domain_id: user.domain_id }];
  });
}

/**
 * Writes a user's index entries again (after a name change, or to backfill
 * users created before the index existed): every field's item is put, or
 * deleted when the field is empty, in one transaction.
 */
export async function reindexUserSearch(store: Store, user: Searchable): Promise<void> {
  const items = new Map(searchItems(user).map((item) => [item.sk as string, item]));
  const tx = transaction(store);
  for (const field of SEARCH_FIELDS) {
    const key = searchKey(user.id, field);
    const item = items.get(key.sk);
    if (item) tx.put(field, item);
    else tx.delete(field, key);
  }
  // Unconditional: only a conflict can cancel it, and writing the same entries again is harmless.
  await tx.commitRetryingConflicts(store);
}

export interface SearchPage {
  hits: SearchHit[];
  next?: Record<string, unknown>;
}

/** One page of users of `domainId` whose fields start with `prefix` (already normalised). */
export async function searchUsers(store: Store, domainId: number, prefix: string, limit: number, start?: Record<string, unknown>): Promise<SearchPage> {
  const out = await store.db.send(
    new QueryCommand({
      TableName: store.config.dataTable,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :s)',
      ExpressionAttributeValues: { ':p': domainPartition(domainId), ':s': prefix },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const hits = (out.Items ?? [])
    // `#` in the search text could match across the separator: check the field itself.
    .filter((item) => (item.token as string).startsWith(prefix))
    .map((item) => ({ userId: item.userId as number, username: item.username as string, domain_id: item.domain_id as number }));
  return { hits, next: out.LastEvaluatedKey };
}
