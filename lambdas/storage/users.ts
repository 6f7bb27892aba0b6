/** Users: the profile item, and a username item that keeps usernames unique. */
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { formatDate } from '../protocol/frames';
import { idsUpTo, lastId, nextId } from './ids';
import { getMany, isConditionFailure, type Store } from './store';
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
  created_at: string;
  updated_at: string;
}

export interface UsernameRecord {
  userId: number;
  domainId: number;
}

export const userKey = (id: number) => ({ pk: `USER#${id}`, sk: 'PROFILE' });
export const usernameKey = (username: string) => ({ pk: `USERNAME#${username.toLowerCase()}`, sk: 'USERNAME' });

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
  try {
    await store.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: store.config.dataTable,
              Item: { ...usernameKey(user.username), userId: id, domainId: user.domain_id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: store.config.dataTable, Item: { ...userKey(id), ...user } } },
          ...searchItems(user).map((Item) => ({ Put: { TableName: store.config.dataTable, Item } })),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new UsernameTakenError(`username ${user.username} is taken`);
    throw error;
  }
  return user;
}

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

export async function getUser(store: Store, id: number): Promise<UserRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: userKey(id) }));
  return strip<UserRecord>(Item);
}

/**
 * Every user (of one domain), by id: BatchGets of the ids the counter handed
 * out, 100 keys a request — an operator listing, never a frame path, and no
 * Scan: the data table holds every message copy, which a Scan would read too.
 */
export async function listUsers(store: Store, domainId?: number): Promise<UserRecord[]> {
  const keys = idsUpTo(await lastId(store, 'user')).map(userKey);
  const found = await getMany(store, keys);
  return keys.flatMap((key) => strip<UserRecord>(found.get(`${key.pk}|${key.sk}`)) ?? []).filter((u) => domainId === undefined || u.domain_id === domainId);
}

export async function findUsername(store: Store, username: string): Promise<UsernameRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: usernameKey(username) }));
  return strip<UsernameRecord>(Item);
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
    return strip<UserRecord>(Attributes)!;
  } catch (error) {
    if (isConditionFailure(error)) throw new UserChangedError(`user ${id} is gone or changed`);
    throw error;
  }
}
