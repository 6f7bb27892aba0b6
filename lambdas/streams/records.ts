/**
 * The DynamoDB Streams event a Lambda consumer receives (the fields we use,
 * as AWS documents them), and its partial batch response
 * (ReportBatchItemFailures): the sequence numbers to retry from.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type StreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

export interface StreamRecord {
  eventID: string;
  eventName: StreamEventName;
  eventSource: 'aws:dynamodb';
  eventVersion: '1.1';
  awsRegion: string;
  eventSourceARN: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    OldImage?: Record<string, AttributeValue>;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: 'NEW_AND_OLD_IMAGES';
  };
  /** Present on deletions by the TTL service only. */
  userIdentity?: { type: 'Service'; principalId: 'dynamodb.amazonaws.com' };
}

export interface StreamEvent {
  Records: StreamRecord[];
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** A deletion made by DynamoDB's TTL service rather than by a request. */
export const isTtlDeletion = (record: StreamRecord): boolean =>
  record.eventName === 'REMOVE' && record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com';

/** The partition key of a record (string keys only: the tables with streams have them). */
export const partitionKeyOf = (record: StreamRecord, name = 'pk'): string => record.dynamodb.Keys[name]?.S ?? '';

/**
 * Handles the records of a batch `concurrency` at a time, for consumers whose
 * records are independent (each one idempotent). If some fail, every record
 * from the first failure on is reported, so the mapping checkpoints just
 * before it and retries the rest (those done already are done again, harmlessly).
 */
export async function handleEach(event: StreamEvent, concurrency: number, handle: (record: StreamRecord) => Promise<void>, onError: (record: StreamRecord, error: unknown) => void): Promise<BatchResponse> {
  const failed: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < event.Records.length) {
      const index = next++;
      const record = event.Records[index]!;
      try {
        await handle(record);
      } catch (error) {
        onError(record, error);
        failed.push(index);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, event.Records.length) }, worker));
  if (failed.length === 0) return { batchItemFailures: [] };
  return { batchItemFailures: event.Records.slice(Math.min(...failed)).map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
}

/** Waits until `sinceMs + graceMs` (a consumer leaves fresh work to the request still doing it). */
export async function afterGrace(sinceMs: number, graceMs: number, now = Date.now()): Promise<void> {
  const wait = sinceMs + graceMs - now;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
