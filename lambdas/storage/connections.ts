/**
 * Connections: one item per live WebSocket, bound to a user after login.
 * The `byUser` index (sparse: only bound connections) finds a user's devices.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { alive, epochSeconds, isConditionFailure, queryAll, type Store } from './store';

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
  /** The user this connection was last bound to; kept when it is unbound, so closing it can still end that user's presence. */
  lastUserId?: number;
}

export type BoundConnection = Connection & Binding;

export const isBound = (c: Connection | undefined): c is BoundConnection => c?.userId !== undefined;

export async function openConnection(store: Store, connectionId: string, now = Date.now()): Promise<void> {
  const item: Connection = { connectionId, connectedAt: now, expiresAt: epochSeconds(now) + store.config.connectionTtlSeconds };
  await store.db.send(new PutCommand({ TableName: store.config.connectionsTable, Item: item }));
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
export async function bindConnection(store: Store, connectionId: string, binding: Binding): Promise<Connection | undefined> {
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.connectionsTable,
        Key: { connectionId },
        UpdateExpression: 'SET userId = :u, domainId = :d, familyId = :f, lightweight = :l, lastUserId = :u',
        ConditionExpression: 'attribute_exists(connectionId)',
        ExpressionAttributeValues: { ':u': binding.userId, ':d': binding.domainId, ':f': binding.familyId, ':l': binding.lightweight },
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
