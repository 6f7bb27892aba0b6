/**
 * Consumer of message items' INSERT and MODIFY records and outboxes'
 * expiries (domain/delivery.ts): a message (or an `update message`) whose
 * request died after its commit and before all its copies still reaches
 * every recipient. The INSERT comes
 * within a second or so; the consumer leaves a message younger than
 * DELIVERY_GRACE_MS to its request, then finishes it if it is still pending,
 * and pushes the copies it wrote. The outbox's expiry (TTL, its image holds
 * the bodies) is the last resort: a pending message is finished then, even if
 * its INSERT was never handled (locally: a kill -9 loses the undelivered
 * stream records, local/dynamo/streams.ts).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { getDeps, type Deps } from '../deps';
import { completeMessage } from '../domain/delivery';
import { pushCopies } from '../domain/messages';
import { log } from '../log';
import { idOfOutboxKey, type InboxItem, type MessageRecord, type Outbox } from '../storage/messages';
import { msOfId } from '../storage/time-ids';
import { afterGrace, handleEach, partitionKeyOf, type BatchResponse, type StreamEvent, type StreamRecord } from './records';

async function finish(deps: Deps, record: StreamRecord): Promise<InboxItem[]> {
  const pk = partitionKeyOf(record);
  const { NewImage, OldImage } = record.dynamodb;
  if (record.eventName !== 'REMOVE' && pk.startsWith('MSG#') && NewImage) {
    const message = unmarshall(NewImage) as MessageRecord;
    if (!message.pending) return [];
    // A new message is as old as its id; a revision (MODIFY) as its record.
    const since = record.eventName === 'INSERT' ? msOfId(message.id) : record.dynamodb.ApproximateCreationDateTime * 1000;
    await afterGrace(since, deps.config.deliveryGraceMs, deps.now().getTime());
    return completeMessage(deps, message.id);
  }
  const id = idOfOutboxKey(pk);
  if (record.eventName === 'REMOVE' && id !== undefined && OldImage) return completeMessage(deps, id, unmarshall(OldImage) as Outbox);
  return [];
}

export async function messagesStored(deps: Deps, event: StreamEvent): Promise<BatchResponse> {
  return handleEach(
    event,
    deps.config.pushConcurrency,
    async (record) => pushCopies(deps, await finish(deps, record)),
    (record, error) => log.error('stream record failed', { eventID: record.eventID, error: String(error) }),
  );
}

export const handler = (event: StreamEvent): Promise<BatchResponse> => messagesStored(getDeps(), event);
