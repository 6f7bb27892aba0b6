/**
 * Consumer of the Connections table's REMOVE records: a connection item that
 * went without a `$disconnect` (TTL expiry of an idle connection, the
 * sweeper, a crash between the delete and the presence update) still ends
 * its presence, and `offline` goes to contacts when it was the last
 * connection. The records of deletes `$disconnect` made arrive too and
 * change nothing: leaving presence twice is a no-op (domain/presence.ts).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { getDeps, type Deps } from '../deps';
import { connectionEnded } from '../domain/presence';
import { log } from '../log';
import type { Connection } from '../storage/connections';
import { isTtlDeletion, type BatchResponse, type StreamEvent } from './records';

/**
 * Handles the records in order; from the first that fails, that one and every
 * later one are reported for retry (a later record of the same user must not
 * overtake it), so the mapping checkpoints just before it.
 */
export async function connectionsRemoved(deps: Deps, event: StreamEvent): Promise<BatchResponse> {
  for (const [i, record] of event.Records.entries()) {
    if (record.eventName !== 'REMOVE' || !record.dynamodb.OldImage) continue;
    try {
      const connection = unmarshall(record.dynamodb.OldImage) as Connection;
      await connectionEnded(deps, connection);
      if (isTtlDeletion(record)) log.info('expired connection ended', { connectionId: connection.connectionId });
    } catch (error) {
      log.error('stream record failed', { eventID: record.eventID, error: String(error) });
      return { batchItemFailures: event.Records.slice(i).map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
    }
  }
  return { batchItemFailures: [] };
}

export const handler = (event: StreamEvent): Promise<BatchResponse> => connectionsRemoved(getDeps(), event);
