/**
 * Token families (RFC 9700 §4.14.2): one item per login holding the id of the
 * only token of that login that still works. Rotation is one conditional
 * write; presenting an older token of the family means it was stolen or
 * replayed, and the whole family is revoked.
 *
 * The family also lists the connections bound under it (`connections`:
 * connection id → when it expires at the latest). A login attaches its
 * connection *after* binding it, on the condition that the family lives; a
 * revocation deletes the family and gets that list back in the same write.
 * So every connection bound under a login is either seen by its revocation
 * (which unbinds it) or finds the family gone (and unbinds itself) — without
 * the eventually consistent `byUser` index, and at no cost per frame.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { alive, conditionHolds, deleteMany, epochSeconds, isConditionFailure, queryAll, type Store } from './store';

export interface TokenFamily {
  familyId: string;
  userId: number;
  domainId: number;
  currentJti: string;
  expiresAt: number;
  /** Connections bound under this login: id → epoch seconds after which it is surely gone. */
  connections?: Record<string, number>;
}

/** Partition key prefix of token families (the file server's grant is confined to it, lib/grants.ts). */
export const FAMILY_KEY_PREFIX = 'TOKENFAMILY#';
const familyKey = (familyId: string) => ({ pk: `${FAMILY_KEY_PREFIX}${familyId}`, sk: 'TOKENFAMILY' });
/** gsi1 entry of a family: a user's logins, found without a Scan (password change revokes the others). */
const userFamiliesKey = (family: Pick<TokenFamily, 'userId' | 'familyId'>) => ({
  gsi1pk: `USERFAMILIES#${family.userId}`,
  gsi1sk: family.familyId,
});

export async function startFamily(store: Store, family: Omit<TokenFamily, 'connections'>): Promise<void> {
  await store.db.send(
    new PutCommand({
      TableName: store.config.dataTable,
      Item: { ...familyKey(family.familyId), ...userFamiliesKey(family), ...family, connections: {} },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export type RotateOutcome = { outcome: 'rotated'; family: TokenFamily } | { outcome: 'replayed' | 'unknown' };

export async function rotateFamily(
  store: Store,
  family: { familyId: string; userId: number; presentedJti: string; nextJti: string; expiresAt: number },
  now = Date.now(),
): Promise<RotateOutcome> {
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: familyKey(family.familyId),
        ReturnValues: 'ALL_NEW',
        UpdateExpression: 'SET currentJti = :next, expiresAt = :exp',
        ConditionExpression: 'currentJti = :presented AND userId = :user AND expiresAt > :now',
        ExpressionAttributeValues: {
          ':next': family.nextJti,
          ':exp': family.expiresAt,
          ':presented': family.presentedJti,
          ':user': family.userId,
          ':now': epochSeconds(now),
        },
      }),
    );
    return { outcome: 'rotated', family: Attributes as TokenFamily };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  // Only failures pay for this read: was the token superseded, or is the family gone?
  const { Item } = await store.db.send(
    new GetCommand({ TableName: store.config.dataTable, Key: familyKey(family.familyId), ConsistentRead: true }),
  );
  const current = alive(Item as TokenFamily | undefined, now);
  return { outcome: current && current.userId === family.userId ? 'replayed' : 'unknown' };
}

/**
 * Lists a bound connection under its (live) login, dropping entries known to
 * be gone (`stale`, from the family as rotation returned it). False if the
 * family is revoked: the caller must unbind the connection again.
 */
export async function attachConnection(
  store: Store,
  familyId: string,
  connection: { connectionId: string; goneBy: number },
  stale: readonly string[] = [],
): Promise<boolean> {
  const dropped = stale.filter((id) => id !== connection.connectionId);
  const names = Object.fromEntries([connection.connectionId, ...dropped].map((id, i) => [`#c${i}`, id]));
  const remove = dropped.length ? ` REMOVE ${dropped.map((_, i) => `connections.#c${i + 1}`).join(', ')}` : '';
  const attach = (update: string, condition: string, names: Record<string, string>, values: Record<string, unknown>) =>
    store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: familyKey(familyId),
        UpdateExpression: update,
        ConditionExpression: condition,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      }),
    );
  try {
    await attach(`SET connections.#c0 = :goneBy${remove}`, 'attribute_exists(pk)', names, { ':goneBy': connection.goneBy });
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    if ((error as { name?: string })?.name !== 'ValidationException') throw error;
  }
  // A family stored before families listed their connections (a local data directory) has no map yet.
  if (await conditionHolds(attach('SET connections = :map', 'attribute_exists(pk) AND attribute_not_exists(connections)', {}, { ':map': { [connection.connectionId]: connection.goneBy } }))) return true;
  // Gone, or another login started the map meanwhile: once more, the usual way.
  return conditionHolds(attach('SET connections.#c0 = :goneBy', 'attribute_exists(pk)', { '#c0': connection.connectionId }, { ':goneBy': connection.goneBy }));
}

/** Connections listed in a family that are surely gone by `now`. */
export function staleConnections(family: TokenFamily, now = Date.now()): string[] {
  return Object.entries(family.connections ?? {}).flatMap(([id, goneBy]) => (goneBy <= epochSeconds(now) ? [id] : []));
}

/** Deletes the family; returns the connections that were bound under it (none if it was already gone). */
export async function revokeFamily(store: Store, familyId: string): Promise<string[]> {
  const { Attributes } = await store.db.send(
    new DeleteCommand({ TableName: store.config.dataTable, Key: familyKey(familyId), ReturnValues: 'ALL_OLD' }),
  );
  return Object.keys((Attributes as TokenFamily | undefined)?.connections ?? {});
}

/**
 * Whether login `familyId` of `userId` is live (not revoked, not expired):
 * one consistent GetItem of the family's key fields.
 */
export async function familyIsLive(
  store: Pick<Store, 'db'> & { config: Pick<Store['config'], 'dataTable'> },
  familyId: string,
  userId: number,
  now = Date.now(),
): Promise<boolean> {
  const { Item } = await store.db.send(
    new GetCommand({
      TableName: store.config.dataTable,
      Key: familyKey(familyId),
      ConsistentRead: true,
      ProjectionExpression: 'userId, expiresAt',
    }),
  );
  const family = alive(Item as Pick<TokenFamily, 'userId' | 'expiresAt'> | undefined, now);
  return family !== undefined && family.userId === userId;
}

/**
 * Ids of the user's live logins, from gsi1 (eventually consistent: a login
 * started within the last instant may be missing).
 */
export async function familiesOfUser(store: Store, userId: number, now = Date.now()): Promise<string[]> {
  const items = await queryAll<TokenFamily & { gsi1sk: string }>(store, {
    TableName: store.config.dataTable,
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': userFamiliesKey({ userId, familyId: '' }).gsi1pk },
  });
  return items.filter((item) => alive(item, now)).map((item) => item.gsi1sk);
}

/** Deletes every family of the user, expired ones too (`delete-user`, after revoking them); returns how many. */
export async function forgetFamiliesOf(store: Store, userId: number): Promise<number> {
  const items = await queryAll<{ gsi1sk: string }>(store, {
    TableName: store.config.dataTable,
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': userFamiliesKey({ userId, familyId: '' }).gsi1pk },
    ProjectionExpression: 'gsi1sk',
  });
  await deleteMany(store, items.map((item) => familyKey(item.gsi1sk)));
  return items.length;
}
