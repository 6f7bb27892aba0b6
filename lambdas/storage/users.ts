/** Users: the profile item, and a username item that keeps usernames unique. */
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { formatDate } from '../protocol/frames';
import { idsUpTo, lastId, nextId } from './ids';
import { conditionHolds, isConditionFailure, readEach, ref, withoutKey, type Store, type StoredItem } from './store';
import { transaction, TransactionCancelled } from './transact';
import { searchItems } from './user-search';

export interface UserRecord {
  id: number;
  username: string;
  first_name: string;
  last_name: string;
  avatar: string | null;
  domain_id: number;
  /** scrypt, with its parameters (see domain/passwords). */
  passwordHash: string;
  is_planned_password_change: boolean;
  is_planned_client_update: boolean;
  /** Set by an operator (`disable-user`): no login succeeds while it is true. Never shown to clients. */
  disabled?: boolean;
  created_at: string;
  updated_at: string;
}

export interface UsernameRecord {
  userId: number;
  domainId: number;
}

export const userKey = (id: number) => ({ pk: `USER#${id}`, sk: 'PROFILE' });
export const usernameKey = (username: string) => ({ pk: `USERNAME#${username.toLowerCase()}`, sk: 'USERNAME' });
export const userRef = (id: number) => ref(userKey(id), withoutKey<UserRecord>);
export const usernameRef = (username: string) => ref(usernameKey(username), withoutKey<UsernameRecord>);

export class UsernameTakenError extends Error {}

export type NewUser = Pick<UserRecord, 'username' | 'domain_id' | 'passwordHash'> &
  Partial<Pick<UserRecord, 'first_name' | 'last_name' | 'avatar' | 'is_planned_password_change' | 'is_planned_client_update'>>;

export async function createUser(store: Store, input: NewUser, now = new Date()): Promise<UserRecord> {
  const id = await nextId(store, 'user');
  const created = formatDate(now);
  const user: UserRecord = {
    first_name: '',
    last_name: '',
    avatar: null,
    is_planned_password_change: false,
    is_planned_client_update: false,
    ...input,
    id,
    created_at: created,
    updated_at: created,
  };
  const [username, ...rest] = userItems(user);
  const tx = transaction(store);
  tx.put('username', username!, { expression: 'attribute_not_exists(pk)' });
  for (const item of rest) tx.put(`${item.pk} ${item.sk}`, item);
  try {
    await tx.commitRetryingConflicts(store);
  } catch (error) {
    // Only the username's own condition means it is taken; a conflict has been retried.
    if (error instanceof TransactionCancelled && error.failed.has('username')) throw new UsernameTakenError(`username ${user.username} is taken`);
    throw error;
  }
  return user;
}

/** The items of a user: the username claim first, then the profile and its search entries. */
export function userItems(user: UserRecord): StoredItem[] {
  return [{ ...usernameKey(user.username), userId: user.id, domainId: user.domain_id }, { ...userKey(user.id), ...user }, ...searchItems(user)];
}

export async function getUser(store: Store, id: number): Promise<UserRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: userKey(id) }));
  return withoutKey<UserRecord>(Item);
}

/**
 * Every user (of one domain), by id: BatchGets of the ids the counter handed
 * out, 100 keys a request — an operator listing, never a frame path, and no
 * Scan: the data table holds every message copy, which a Scan would read too.
 */
export async function listUsers(store: Store, domainId?: number): Promise<UserRecord[]> {
  const found = await readEach(store, idsUpTo(await lastId(store, 'user')), (id) => ({ user: userRef(id) }));
  return [...found.values()].flatMap(({ user }) => user ?? []).filter((u) => domainId === undefined || u.domain_id === domainId);
}

export async function findUsername(store: Store, username: string): Promise<UsernameRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: usernameKey(username) }));
  return withoutKey<UsernameRecord>(Item);
}

/** What the profile frames may change on a user item. */
export type UserChanges = Partial<Pick<UserRecord, 'first_name' | 'last_name' | 'avatar' | 'passwordHash' | 'is_planned_password_change'>>;

export class UserChangedError extends Error {}

/**
 * Sets the given fields and `updated_at` on an existing user and returns the
 * user as it is now. With `expectedPasswordHash`, only if the hash is still
 * that one (a concurrent password change wins once); otherwise throws
 * UserChangedError.
 */
export async function updateUser(
  store: Store,
  id: number,
  changes: UserChanges,
  options: { expectedPasswordHash?: string; now?: Date } = {},
): Promise<UserRecord> {
  const fields = Object.entries({ ...changes, updated_at: formatDate(options.now ?? new Date()) }).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [field, value] of fields) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
  }
  let condition = 'attribute_exists(pk)';
  if (options.expectedPasswordHash !== undefined) {
    names['#expectedHash'] = 'passwordHash';
    values[':expectedHash'] = options.expectedPasswordHash;
    condition += ' AND #expectedHash = :expectedHash';
  }
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: userKey(id),
        UpdateExpression: `SET ${fields.map(([field]) => `#${field} = :${field}`).join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return withoutKey<UserRecord>(Attributes)!;
  } catch (error) {
    if (isConditionFailure(error)) throw new UserChangedError(`user ${id} is gone or changed`);
    throw error;
  }
}

/** Sets or clears the disabled flag (not `updated_at`: clients see that date, and nothing they see changed); false if there is no such user. */
export async function setDisabled(store: Store, id: number, disabled: boolean): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: userKey(id),
        UpdateExpression: disabled ? 'SET disabled = :yes' : 'REMOVE disabled',
        ConditionExpression: 'attribute_exists(pk)',
        ...(disabled ? { ExpressionAttributeValues: { ':yes': true } } : {}),
      }),
    ),
  );
}

/** Frees a username (`delete-user`), only while it is still this user's: a re-run must not free a name someone took since. */
export async function releaseUsername(store: Store, username: string, userId: number): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new DeleteCommand({ TableName: store.config.dataTable, Key: usernameKey(username), ConditionExpression: 'userId = :id', ExpressionAttributeValues: { ':id': userId } }),
    ),
  );
}
