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
