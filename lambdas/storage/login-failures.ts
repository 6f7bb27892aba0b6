/**
 * Failed password attempts, counted per username (existing or not, so the
 * answer reveals nothing) in a window that expires by itself: a lock lasts
 * at most one window, so nobody can lock a victim out for good, and logins
 * by token are never locked.
 *
 * The answer to a checked password is decided by one conditional write that
 * counts and decides at once — a wrong one is counted only while the window
 * is not full, a right one clears the window only while it is not full — so
 * attempts in parallel are limited exactly like attempts in sequence (reading
 * the count first and adding to it after the check let 40 parallel guesses
 * through). The read before the check only spares scrypt on a full window.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds, epochSeconds, ref, withoutKey, type Store } from './store';

export const failuresKey = (username: string) => ({ pk: `LOGINFAIL#${username.toLowerCase()}`, sk: 'LOGINFAIL' });
export const failuresRef = (username: string) => ref(failuresKey(username), withoutKey<FailureRecord>);

export interface FailureRecord {
  failures: number;
  expiresAt: number;
}

export interface AttemptLimit {
  maxFailures: number;
  windowSeconds: number;
}

export function isLocked(record: FailureRecord | undefined, maxFailures: number, now = Date.now()): boolean {
  return !!record && record.expiresAt > epochSeconds(now) && record.failures >= maxFailures;
}

/**
 * Counts a failed attempt of `username`; false (nothing counted) if the
 * window already holds `maxFailures`: the answer is then `too many attempts`.
 * One write, which starts the window if there is none. An expired window
 * that TTL has not removed yet is replaced by a conditional put, which only
 * one of several racing attempts wins — the others count in its window.
 */
export async function recordFailure(store: Store, username: string, limit: AttemptLimit, now = Date.now()): Promise<boolean> {
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

/** After a right password: clears the window unless it is full (false: the answer is `too many attempts`). */
export async function clearFailures(store: Store, username: string, maxFailures: number, now = Date.now()): Promise<boolean> {
  return conditionHolds(
    store.db.send(
      new DeleteCommand({
        TableName: store.config.dataTable,
        Key: failuresKey(username),
        ConditionExpression: 'attribute_not_exists(pk) OR failures < :max OR expiresAt <= :now',
        ExpressionAttributeValues: { ':max': maxFailures, ':now': epochSeconds(now) },
      }),
    ),
  );
}
