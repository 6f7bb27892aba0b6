/**
 * Per-user limits on the frames that cost (docs/design.md, *Per-user
 * limits*): one token bucket per user and frame, kept as GCRA's single
 * number — the "theoretical arrival time" `tat` (ms) at which the bucket
 * would be full again. A frame is allowed when `max(tat, now) + interval -
 * now ≤ burst · interval`, and then `tat` moves on by one interval. Decided
 * by one conditional UpdateItem (two when the bucket is not full), so
 * parallel frames are limited exactly like sequential ones.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds, deleteMany, queryAll, type Key, type Store } from './store';

export interface BucketLimit {
  /** Frames allowed at once from a full bucket. */
  burst: number;
  /** One frame more every `intervalMs` (the sustained rate). */
  intervalMs: number;
}

/** Partition key prefix of the buckets (a read-only route's bucket write is confined to it, lib/grants.ts). */
export const BUCKET_KEY_PREFIX = 'RATE#';
const bucketKey = (userId: number, bucket: string) => ({ pk: `${BUCKET_KEY_PREFIX}${userId}`, sk: bucket });

/** Takes one token of `userId`'s bucket `bucket`; false (nothing taken) when it is empty. */
export async function takeToken(store: Store, userId: number, bucket: string, limit: BucketLimit, now = Date.now()): Promise<boolean> {
  const update = (expression: string, condition: string, values: Record<string, number>) =>
    conditionHolds(
      store.db.send(
        new UpdateCommand({
          TableName: store.config.dataTable,
          Key: bucketKey(userId, bucket),
          UpdateExpression: `${expression}, expiresAt = :exp`,
          ConditionExpression: condition,
          // The item is worthless once the bucket is full again: TTL removes it.
          ExpressionAttributeValues: { ...values, ':exp': Math.ceil((now + limit.burst * limit.intervalMs) / 1000) + 60 },
        }),
      ),
    );
  // A full bucket (the common case: a user well within the limit): one write. A tat past any
  // reachable value means the clock went back (another instance's, a test's): start afresh.
  const full = await update('SET tat = :next', 'attribute_not_exists(tat) OR tat <= :now OR tat > :ceiling', {
    ':next': now + limit.intervalMs,
    ':now': now,
    ':ceiling': now + limit.burst * limit.intervalMs,
  });
  if (full) return true;
  // Partly drained: allowed while tat ≤ now + (burst − 1) · interval.
  return update('SET tat = tat + :interval', 'tat > :now AND tat <= :max', {
    ':interval': limit.intervalMs,
    ':now': now,
    ':max': now + (limit.burst - 1) * limit.intervalMs,
  });
}

/** Deletes every bucket of the user (`delete-user`; they expire anyway): one Query of their partition. */
export async function forgetBuckets(store: Store, userId: number): Promise<number> {
  const keys = await queryAll<Key>(store, {
    TableName: store.config.dataTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': bucketKey(userId, '').pk },
    ProjectionExpression: 'pk, sk',
  });
  await deleteMany(store, keys);
  return keys.length;
}
