/**
 * The one full pass of the data table, for `delete-user` only (an operator
 * command, never a frame): it finds what no key or index of the user
 * reaches — their copies in dialogs they left (a kick keeps them, out of
 * reach), their messages in other recipients' copies there, their `client_id`
 * items (kept 7 days), groups that list them as a former member, and the
 * outboxes of their latest messages. Parallel
 * Scan segments, filtered and projected, so only matches travel back; the
 * cost is one eventually consistent read of the whole table (½ RCU per 4 KB
 * read). docs/design.md, "Deleting a user", says why there is no index.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageType } from '../protocol/objects';
import { mapBounded, type Key, type Store } from './store';

/** What the pass reads of a matching item: its key and what its handler needs. */
export interface SweptItem extends Key {
  type?: MessageType;
  edited_at?: string | null;
}

export interface SweepCount {
  /** Items DynamoDB read (and billed), matching or not. */
  scanned: number;
  matched: number;
  /** Read units the pass consumed, as DynamoDB reported them (the local stack reports none). */
  capacityUnits: number;
}

/**
 * Calls `visit` with each page of the user's matching items: their own copies
 * (`INBOX#<id>#…`) and client ids, message items and copies they created that
 * are not deleted yet, groups whose `former` lists them, and the outboxes of
 * their messages (kept OUTBOX_TTL_SECONDS after a send).
 */
export async function sweepUserItems(store: Store, userId: number, visit: (items: SweptItem[]) => Promise<void>, segments = 4): Promise<SweepCount> {
  const count: SweepCount = { scanned: 0, matched: 0, capacityUnits: 0 };
  await mapBounded([...Array(segments).keys()], segments, async (segment) => {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await store.db.send(
        new ScanCommand({
          TableName: store.config.dataTable,
          Segment: segment,
          TotalSegments: segments,
          ExclusiveStartKey: start,
          FilterExpression:
            'begins_with(pk, :inbox) OR begins_with(pk, :client) ' +
            'OR ((begins_with(pk, :message) OR begins_with(pk, :anyInbox)) AND created_by = :id AND #type <> :deleted) ' +
            'OR (begins_with(pk, :group) AND contains(#former, :id)) ' +
            'OR (begins_with(pk, :outbox) AND #creator.id = :id)',
          ProjectionExpression: 'pk, sk, #type, edited_at',
          ExpressionAttributeNames: { '#type': 'type', '#former': 'former', '#creator': 'creator' },
          ExpressionAttributeValues: {
            ':inbox': `INBOX#${userId}#`,
            ':client': `CLIENTMSG#${userId}#`,
            ':message': 'MSG#',
            ':anyInbox': 'INBOX#',
            ':group': 'GROUP#',
            ':outbox': 'OUTBOX#',
            ':id': userId,
            ':deleted': 'message.deleted',
          },
        }),
      );
      count.scanned += page.ScannedCount ?? 0;
      count.matched += page.Items?.length ?? 0;
      count.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      if (page.Items?.length) await visit(page.Items as SweptItem[]);
      start = page.LastEvaluatedKey;
    } while (start);
  });
  return count;
}
