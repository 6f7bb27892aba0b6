/**
 * Password attempts, counted per username (existing or not, so the answer
 * reveals nothing) in a window that expires by itself: a lock lasts at most
 * one window, so nobody can lock a victim out for good, and logins by token
 * are never locked.
 *
 * An attempt is charged *before* its password is checked, by one conditional
 * write that both counts and decides; a right password then clears the count.
 * So attempts in parallel are limited exactly like attempts in sequence
 * (reading the count and adding to it later let 40 parallel guesses through).
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, isConditionFailure, type Store } from './store';

export const failuresKey = (username: string) => ({ pk: `LOGINFAIL#${username.toLowerCase()}`, sk: 'LOGINFAIL' });

export interface AttemptLimit {
  maxFailures: number;
  windowSeconds: number;
}

async function conditionHolds(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Charges one attempt to `username`'s window; false (nothing charged) if the
 * window already holds `maxFailures`. One write, which starts the window if
 * there is none. An expired window that TTL has not removed yet is replaced
 * by a conditional put, which only one of several racing attempts wins — the
 * others count in the winner's window.
 */
export async function chargeAttempt(store: Store, username: string, limit: AttemptLimit, now = Date.now()): Promise<boolean> {
  const nowSeconds = epochSeconds(now);
  const count = () =>
    conditionHolds(
      store.db.send(
        new UpdateCommand({
          TableName: store.config.dataTable,
          Key: failuresKey(username),
          UpdateExpression: 'ADD failures :one SET expiresAt = if_not_exists(expiresAt, :end)',
          ConditionExpression: 'attribute_not_exists(pk) OR (expiresAt > :now AND failures < :max)',
          ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds, ':max': limit.maxFailures, ':end': nowSeconds + limit.windowSeconds },
        }),
      ),
    );
  if (await count()) return true;
  const started = await conditionHolds(
    store.db.send(
      new PutCommand({
        TableName: store.config.dataTable,
        Item: { ...failuresKey(username), failures: 1, expiresAt: nowSeconds + limit.windowSeconds },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': nowSeconds },
      }),
    ),
  );
  // Neither: a live window exists. It was full, or another attempt started it meanwhile: count once more.
  return started || count();
}

export async function clearFailures(store: Store, username: string): Promise<void> {
  await store.db.send(new DeleteCommand({ TableName: store.config.dataTable, Key: failuresKey(username) }));
}
