/**
 * Public keys: one keyring item per user (`USER#<id>` / `KEYS`) holding every
 * key the user ever had and the id of the default one.
 *
 * Why one item: "exactly one default key" is then a property of the layout
 * (`defaultKeyId` is a single attribute, `is_default` is derived from it),
 * every change is one conditional Put on the ring's `version`, and the keys of
 * many users (a contact list) are read with one BatchGet key per user instead
 * of one Query per user. The ring is capped (MAX_KEYS) to stay far below
 * DynamoDB's 400 KB item limit.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { formatDate } from '../protocol/frames';
import type { Key } from '../protocol/objects';
import { nextId } from './ids';
import { retry } from './retry';
import { isConditionFailure, readEach, ref, type Item, type Store, type StoredItem } from './store';

/** A key as stored in the ring (owner and default flag are the ring's). */
export interface StoredKey {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface Keyring {
  userId: number;
  keys: StoredKey[];
  defaultKeyId: number | null;
  /** Bumped by every write; writes are conditional on it. */
  version: number;
}

/** At ~150 bytes a key, far below the 400 KB item limit. */
export const MAX_KEYS = 500;

export const keyringKey = (userId: number) => ({ pk: `USER#${userId}`, sk: 'KEYS' });

/** The stored item of a ring. */
export const ringItem = (ring: Keyring): StoredItem => ({ ...keyringKey(ring.userId), userId: ring.userId, keys: ring.keys, defaultKeyId: ring.defaultKeyId, version: ring.version });

export class KeyringFullError extends Error {}
export class UnknownKeyError extends Error {}

const emptyRing = (userId: number): Keyring => ({ userId, keys: [], defaultKeyId: null, version: 0 });

function toRing(userId: number, item: Item | undefined): Keyring {
  if (!item) return emptyRing(userId);
  return { userId, keys: (item.keys as StoredKey[]) ?? [], defaultKeyId: (item.defaultKeyId as number | null) ?? null, version: item.version as number };
}

/** The protocol's key objects of a ring, oldest first. */
export function keysOf(ring: Keyring): Key[] {
  return ring.keys.map((k) => ({ id: k.id, user_id: ring.userId, name: k.name, is_default: k.id === ring.defaultKeyId, created_at: k.created_at, updated_at: k.updated_at }));
}

export function defaultKeyOf(ring: Keyring): Key | null {
  return keysOf(ring).find((k) => k.is_default) ?? null;
}

export async function getKeyring(store: Store, userId: number): Promise<Keyring> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: keyringKey(userId), ConsistentRead: true }));
  return toRing(userId, Item);
}

/** A user's ring; a user without keys has an empty one. */
export const keyringRef = (userId: number) => ref(keyringKey(userId), (item) => toRing(userId, item));

/** The rings of many users: BatchGet, 100 users per request. */
export async function keyringsOf(store: Store, userIds: readonly number[]): Promise<Map<number, Keyring>> {
  const found = await readEach(store, userIds, (id) => ({ ring: keyringRef(id) }));
  return new Map([...found].map(([id, { ring }]) => [id, ring]));
}

/**
 * Read-modify-write of a ring with optimistic concurrency: `change` returns the
 * new ring (or throws); the Put succeeds only if nobody wrote in between,
 * otherwise the ring is read again and `change` re-applied.
 */
async function updateRing<T>(store: Store, userId: number, change: (ring: Keyring) => { ring: Keyring; result: T }): Promise<T> {
  return retry(async () => {
    const current = await getKeyring(store, userId);
    const { ring, result } = change(current);
    if (ring === current) return result;
    await store.db.send(
      new PutCommand({
        TableName: store.config.dataTable,
        Item: ringItem({ ...ring, version: current.version + 1 }),
        ...(current.version === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#version = :v', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':v': current.version } }),
      }),
    );
    return result;
  }, isConditionFailure);
}

/** Adds a key; a default one replaces the previous default in the same write. */
export async function addKey(store: Store, userId: number, name: string, isDefault: boolean, now = new Date()): Promise<Key> {
  const id = await nextId(store, 'key');
  const date = formatDate(now);
  return updateRing(store, userId, (ring) => {
    if (ring.keys.length >= MAX_KEYS) throw new KeyringFullError(`user ${userId} has ${MAX_KEYS} keys`);
    const previous = isDefault ? ring.defaultKeyId : null;
    const keys = ring.keys.map((k) => (k.id === previous ? { ...k, updated_at: date } : k));
    keys.push({ id, name, created_at: date, updated_at: date });
    const next = { ...ring, keys, defaultKeyId: isDefault ? id : ring.defaultKeyId };
    return { ring: next, result: keysOf(next).find((k) => k.id === id)! };
  });
}

/** Makes one of the user's own keys the default; `changed` is false if it already was. */
export async function setDefaultKey(store: Store, userId: number, keyId: number, now = new Date()): Promise<{ key: Key; changed: boolean }> {
  const date = formatDate(now);
  return updateRing<{ key: Key; changed: boolean }>(store, userId, (ring) => {
    if (!ring.keys.some((k) => k.id === keyId)) throw new UnknownKeyError(`key ${keyId} is not user ${userId}'s`);
    if (ring.defaultKeyId === keyId) return { ring, result: { key: keysOf(ring).find((k) => k.id === keyId)!, changed: false } };
    const touched = new Set([keyId, ring.defaultKeyId]);
    const next = { ...ring, keys: ring.keys.map((k) => (touched.has(k.id) ? { ...k, updated_at: date } : k)), defaultKeyId: keyId };
    return { ring: next, result: { key: keysOf(next).find((k) => k.id === keyId)!, changed: true } };
  });
}
