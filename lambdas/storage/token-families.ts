/**
 * Token families (RFC 9700 §4.14.2): one item per login holding the id of the
 * only token of that login that still works. Rotation is one conditional
 * write; presenting an older token of the family means it was stolen or
 * replayed, and the whole family is revoked.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { alive, epochSeconds, isConditionFailure, queryAll, type Store } from './store';

export interface TokenFamily {
  familyId: string;
  userId: number;
  domainId: number;
  currentJti: string;
  expiresAt: number;
}

const familyKey = (familyId: string) => ({ pk: `TOKENFAMILY#${familyId}`, sk: 'TOKENFAMILY' });
/** gsi1 entry of a family: a user's logins, found without a Scan (password change revokes the others). */
const userFamiliesKey = (family: Pick<TokenFamily, 'userId' | 'familyId'>) => ({
  gsi1pk: `USERFAMILIES#${family.userId}`,
  gsi1sk: family.familyId,
});

export async function startFamily(store: Store, family: TokenFamily): Promise<void> {
  await store.db.send(
    new PutCommand({
      TableName: store.config.dataTable,
      Item: { ...familyKey(family.familyId), ...userFamiliesKey(family), ...family },
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

export async function revokeFamily(store: Store, familyId: string): Promise<void> {
  await store.db.send(new DeleteCommand({ TableName: store.config.dataTable, Key: familyKey(familyId) }));
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
