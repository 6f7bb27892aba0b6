/**
 * Failed password logins, counted per username (existing or not, so the
 * answer reveals nothing) in a window that expires by itself: a lock lasts
 * at most one window, so nobody can lock a victim out for good, and logins
 * by token are never locked.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, isConditionFailure, ref, withoutKey, type Store } from './store';

export const failuresKey = (username: string) => ({ pk: `LOGINFAIL#${username.toLowerCase()}`, sk: 'LOGINFAIL' });
export const failuresRef = (username: string) => ref(failuresKey(username), withoutKey<FailureRecord>);

export interface FailureRecord {
  failures: number;
  expiresAt: number;
}

export function isLocked(record: FailureRecord | undefined, maxFailures: number, now = Date.now()): boolean {
  return !!record && record.expiresAt > epochSeconds(now) && record.failures >= maxFailures;
}

export async function recordFailure(store: Store, username: string, windowSeconds: number, now = Date.now()): Promise<void> {
  const nowSeconds = epochSeconds(now);
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: failuresKey(username),
        UpdateExpression: 'ADD failures :one',
        ConditionExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // No live window (none yet, or an expired one TTL has not removed): start one.
    await store.db.send(
      new PutCommand({
        TableName: store.config.dataTable,
        Item: { ...failuresKey(username), failures: 1, expiresAt: nowSeconds + windowSeconds },
      }),
    );
  }
}

export async function clearFailures(store: Store, username: string): Promise<void> {
  await store.db.send(new DeleteCommand({ TableName: store.config.dataTable, Key: failuresKey(username) }));
}
