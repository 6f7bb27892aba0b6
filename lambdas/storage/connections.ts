/**
 * Connections: one item per live WebSocket, bound to a user after login.
 * The `byUser` index (sparse: only bound connections) finds a user's devices;
 * `byExpiry` (keys only, `sweepShard` × `expiresAt`) finds the expired ones
 * for the sweeper, since DynamoDB's TTL deletes them days late at worst.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { alive, conditionHolds, epochSeconds, isConditionFailure, queryAll, type Store } from './store';

export interface Binding {
  userId: number;
  domainId: number;
  /** The token family (login) this connection authenticated with. */
  familyId: string;
  lightweight: boolean;
}

export interface Connection extends Partial<Binding> {
  connectionId: string;
  connectedAt: number;
  expiresAt: number;
  /** Partition of the `byExpiry` index (absent on items written before it existed: TTL alone removes those). */
  sweepShard?: number;
  /** The user this connection was last bound to; kept when it is unbound, so closing it can still end that user's presence. */
  lastUserId?: number;
}

export type BoundConnection = Connection & Binding;

export const isBound = (c: Connection | undefined): c is BoundConnection => c?.userId !== undefined;

/**
 * Liveness follows activity: a connection item expires `connectionIdleSeconds`
 * (API Gateway's idle timeout) plus a slack after its last refresh, and the
 * frames of a session refresh it (`refreshLiveness`) once less than the idle
 * timeout is left, so the expiry is always at least the idle timeout past
 * the last frame and a busy connection costs one write per slack period.
 */
const livenessExpiry = (store: Store, now: number) => epochSeconds(now) + store.config.connectionIdleSeconds + store.config.connectionRefreshSeconds;

/** Writes a fresher expiry if less than the idle timeout is left; returns whether it wrote. */
export async function refreshLiveness(store: Store, connection: Connection, now = Date.now()): Promise<boolean> {
  if (connection.expiresAt >= epochSeconds(now) + store.config.connectionIdleSeconds) return false;
  return conditionHolds(
    store.db.send(
      new UpdateCommand({
        TableName: store.config.connectionsTable,
        Key: { connectionId: connection.connectionId },
        UpdateExpression: 'SET expiresAt = :exp',
        // Never revives an item the sweeper or `$disconnect` removed meanwhile.
        ConditionExpression: 'attribute_exists(connectionId) AND expiresAt < :exp',
        ExpressionAttributeValues: { ':exp': livenessExpiry(store, now) },
      }),
    ),
  );
}

/**
 * Partitions of `byExpiry`: every refresh rewrites a connection's entry (two
 * index writes), so the entries are spread over this many partitions (~500
 * refreshes/s each at DynamoDB's 1,000 writes/s per partition: about 500,000
 * connections refreshed every minute) and a sweep reads them all.
 */
export const SWEEP_SHARDS = 16;

export const sweepShardOf = (connectionId: string): number => createHash('sha256').update(connectionId).digest().readUInt16BE(0) % SWEEP_SHARDS;

export async function openConnection(store: Store, connectionId: string, now = Date.now()): Promise<void> {
  const item: Connection = { connectionId, connectedAt: now, expiresAt: livenessExpiry(store, now), sweepShard: sweepShardOf(connectionId) };
  await store.db.send(new PutCommand({ TableName: store.config.connectionsTable, Item: item }));
}

/**
 * Writes the item of a connection API Gateway still lists but we lost (it
 * expired, or a push took a 410 for it as gone), unbound; never over a live
 * item. Returns whether it wrote.
 */
export async function restoreConnection(store: Store, connectionId: string, connectedAt: number, now = Date.now()): Promise<boolean> {
  const item: Connection = { connectionId, connectedAt, expiresAt: livenessExpiry(store, now) };
  return conditionHolds(
    store.db.send(
      new PutCommand({
        TableName: store.config.connectionsTable,
        Item: item,
        ConditionExpression: 'attribute_not_exists(connectionId) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': epochSeconds(now) },
      }),
    ),
  );
}

export async function getConnection(store: Store, connectionId: string): Promise<Connection | undefined> {
  const { Item } = await store.db.send(
    new GetCommand({ TableName: store.config.connectionsTable, Key: { connectionId }, ConsistentRead: true }),
  );
  return alive(Item as Connection | undefined);
}

/**
 * Binds a live connection to a user; returns the connection as it was before
 * (with its previous binding, if any), or undefined if it is gone meanwhile.
 */
export async function bindConnection(store: Store, connectionId: string, binding: Binding, now = Date.now()): Promise<Connection | undefined> {
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.connectionsTable,
        Key: { connectionId },
        // A login is activity: the expiry is refreshed with the binding.
        UpdateExpression: 'SET userId = :u, domainId = :d, familyId = :f, lightweight = :l, lastUserId = :u, expiresAt = :exp',
        ConditionExpression: 'attribute_exists(connectionId) AND expiresAt > :now',
        ExpressionAttributeValues: {
          ':u': binding.userId, ':d': binding.domainId, ':f': binding.familyId, ':l': binding.lightweight,
          ':exp': livenessExpiry(store, now), ':now': epochSeconds(now),
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes as Connection;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Unbinds (only if bound under login `familyId`, when given: the connection
 * may have logged in again since); returns the binding it had, if any (so
 * presence can be updated exactly once).
 */
export async function unbindConnection(store: Store, connectionId: string, familyId?: string): Promise<Connection | undefined> {
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.connectionsTable,
        Key: { connectionId },
        UpdateExpression: 'REMOVE userId, domainId, familyId, lightweight',
        ConditionExpression: familyId === undefined ? 'attribute_exists(userId)' : 'attribute_exists(userId) AND familyId = :f',
        ...(familyId === undefined ? {} : { ExpressionAttributeValues: { ':f': familyId } }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes as Connection | undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Deletes; returns the item it removed (undefined if another caller got there first). */
export async function closeConnection(store: Store, connectionId: string): Promise<Connection | undefined> {
  const { Attributes } = await store.db.send(
    new DeleteCommand({ TableName: store.config.connectionsTable, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
  );
  return Attributes as Connection | undefined;
}

export async function connectionsOfUser(store: Store, userId: number, now = Date.now()): Promise<BoundConnection[]> {
  const items = await queryAll<BoundConnection>(store, {
    TableName: store.config.connectionsTable,
    IndexName: 'byUser',
    KeyConditionExpression: 'userId = :u',
    ExpressionAttributeValues: { ':u': userId },
  });
  return items.filter((item) => alive(item, now));
}

/** Ids of the connections of one `byExpiry` shard expired at `now` (as `alive` sees it), oldest first; eventually consistent. */
export async function expiredConnectionIds(store: Store, shard: number, now = Date.now()): Promise<string[]> {
  const items = await queryAll<Pick<Connection, 'connectionId'>>(store, {
    TableName: store.config.connectionsTable,
    IndexName: 'byExpiry',
    KeyConditionExpression: 'sweepShard = :s AND expiresAt <= :now',
    ExpressionAttributeValues: { ':s': shard, ':now': epochSeconds(now) },
  });
  return items.map((item) => item.connectionId);
}

/** Deletes a connection only if it is still expired (a frame may have refreshed it since the index was read); true if it did. */
export async function deleteIfExpired(store: Store, connectionId: string, now = Date.now()): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new DeleteCommand({
        TableName: store.config.connectionsTable,
        Key: { connectionId },
        ConditionExpression: 'expiresAt <= :now',
        ExpressionAttributeValues: { ':now': epochSeconds(now) },
      }),
    ),
  );
}
