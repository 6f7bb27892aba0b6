/**
 * Consumer of the Data table's INSERT records of message copies (the event
 * filter passes only keys `INBOX#…`, so no other write is billed): for each
 * recipient other than the author with no live connection when the record is
 * handled, one offline-recipient event (lambdas/notifications/offline-events.ts).
 * "Live" is what pushes use: a presence member whose expiry is ahead. A
 * recipient who connects between the write and this check gets the push and
 * no event; one whose device died unnoticed still counts as online until the
 * sweeper or a failed push removes it (docs/push-notifications.md).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { getDeps, type Deps } from '../deps';
import { log } from '../log';
import { createOfflinePublisher, offlineEvent, type OfflineEvent, type OfflinePublisher } from '../notifications/offline-events';
import type { InboxItem } from '../storage/messages';
import { presenceOf } from '../storage/presence';
import type { BatchResponse, StreamEvent, StreamRecord } from './records';

/** The copy a record inserted, if it is one another user than its author received. */
function receivedCopy(record: StreamRecord): InboxItem | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb.NewImage) return undefined;
  const copy = unmarshall(record.dynamodb.NewImage) as Partial<InboxItem>;
  if (typeof copy.recipient_id !== 'number' || copy.recipient_id === copy.created_by) return undefined;
  return copy as InboxItem;
}

const failedFrom = (event: StreamEvent, index: number): BatchResponse => ({
  batchItemFailures: event.Records.slice(index).map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })),
});

/**
 * Reads the recipients' presence in one go (a BatchGet per 100 users) and
 * publishes an event per offline one. A failure reports its record and every
 * later one for retry (the mapping checkpoints before it); records before it
 * are done.
 */
export async function offlineRecipients(deps: Deps, publish: OfflinePublisher, event: StreamEvent): Promise<BatchResponse> {
  const copies = event.Records.map(receivedCopy);
  const recipients = [...new Set(copies.flatMap((c) => (c ? [c.recipient_id] : [])))];
  if (recipients.length === 0) return { batchItemFailures: [] };
  let online: ReadonlyMap<number, unknown>;
  try {
    online = await presenceOf(deps, recipients, deps.now().getTime());
  } catch (error) {
    log.error('stream batch failed', { error: String(error) });
    return failedFrom(event, 0);
  }
  const recordOf = new Map<OfflineEvent, number>();
  copies.forEach((copy, i) => {
    if (copy && !online.has(copy.recipient_id)) recordOf.set(offlineEvent(copy.recipient_id, copy.dialog_id, copy.id), i);
  });
  if (recordOf.size === 0) return { batchItemFailures: [] };
  let failed: OfflineEvent[];
  try {
    failed = await publish([...recordOf.keys()]);
  } catch (error) {
    log.error('offline events failed', { error: String(error) });
    failed = [...recordOf.keys()];
  }
  if (failed.length === 0) return { batchItemFailures: [] };
  return failedFrom(event, Math.min(...failed.map((e) => recordOf.get(e)!)));
}

/** One publisher per container's deps (the local stack makes new deps on each restart). */
const publishers = new WeakMap<Deps, OfflinePublisher>();

export const handler = (event: StreamEvent): Promise<BatchResponse> => {
  const deps = getDeps();
  let publish = publishers.get(deps);
  if (!publish) publishers.set(deps, (publish = createOfflinePublisher(deps.config)));
  return offlineRecipients(deps, publish, event);
};
