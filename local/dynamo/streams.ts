/**
 * DynamoDB Streams for the embedded DynamoDB (dynalite has none), with the
 * semantics a Lambda event source mapping gives its function:
 * - a record per committed item change (INSERT / MODIFY / REMOVE, with
 *   NEW_AND_OLD_IMAGES), in commit order, so per item in order;
 * - deletions by the TTL sweeper carry the service's `userIdentity`;
 * - per consumer: an event filter on the event name (and partition key prefix), batches of at most
 *   `batchSize`, partial batch responses (the mapping checkpoints before the
 *   first failed record), a failing batch retried with backoff and, with
 *   `bisectOnError`, halved; after `maxRetries` the batch goes to the
 *   dead-letter list (on AWS: an SQS message describing the batch) and is
 *   skipped. At least once: a retried batch repeats records already handled.
 * Unlike AWS, the records live in memory: a kill -9 of the stack loses the
 * records not yet delivered (AWS keeps them 24 h).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../../lambdas/storage/tables';
import type { BatchResponse, StreamEvent, StreamEventName, StreamRecord } from '../../lambdas/streams/records';
import { passesFilter } from '../../lambdas/streams/table';
import type { Payload } from './wire';

const ttlService = new AsyncLocalStorage<true>();
/** Runs `fn` as DynamoDB's TTL service: the deletions it makes are stream records with the service's identity. */
export const asTtlService = <T>(fn: () => Promise<T>): Promise<T> => ttlService.run(true, fn);

export interface LocalStreamConsumer {
  name: string;
  table: string;
  eventNames: readonly StreamEventName[];
  keyPrefixes?: Partial<Record<StreamEventName, readonly string[]>>;
  batchSize: number;
  maxRetries: number;
  bisectOnError: boolean;
  handler(event: StreamEvent): Promise<BatchResponse | void>;
}

/** What AWS sends to a mapping's on-failure destination: where the dropped batch was, not its records. */
export interface DeadLetter {
  consumer: string;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  batchSize: number;
  reason: string;
}

export interface LocalStreamsOptions {
  /** First retry delay; doubles per retry up to 32 times it. @default 100 */
  retryDelayMs?: number;
  region?: string;
  account?: string;
}

interface ConsumerState {
  consumer: LocalStreamConsumer;
  queue: StreamRecord[];
  running?: Promise<void>;
}

export class LocalStreams {
  private sequence = 0n;
  private closed = false;
  private readonly states: ConsumerState[] = [];
  private readonly tables: Map<string, TableDefinition>;
  readonly deadLetters: DeadLetter[] = [];

  constructor(tables: readonly TableDefinition[], private readonly options: LocalStreamsOptions = {}) {
    this.tables = new Map(tables.filter((t) => t.stream).map((t) => [t.name, t]));
  }

  subscribe(consumer: LocalStreamConsumer): void {
    if (!this.tables.has(consumer.table)) throw new Error(`table ${consumer.table} has no stream`);
    this.states.push({ consumer, queue: [] });
  }

  /** One committed change (from DynaliteCore.onItemChange). */
  record(table: string, oldItem: Payload | undefined, newItem: Payload | undefined): void {
    const definition = this.tables.get(table);
    if (!definition || (!oldItem && !newItem) || this.closed) return;
    // A write that changes nothing writes no stream record, as on AWS.
    if (oldItem && newItem && JSON.stringify(oldItem) === JSON.stringify(newItem)) return;
    const interested = this.states.filter((s) => s.consumer.table === table);
    if (interested.length === 0) return;
    const eventName: StreamEventName = !oldItem ? 'INSERT' : !newItem ? 'REMOVE' : 'MODIFY';
    const image = (newItem ?? oldItem) as Record<string, AttributeValue>;
    const keyNames = [definition.partitionKey.name, ...(definition.sortKey ? [definition.sortKey.name] : [])];
    const sequenceNumber = String(++this.sequence).padStart(21, '0');
    const region = this.options.region ?? 'local';
    const record: StreamRecord = {
      eventID: sequenceNumber,
      eventName,
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: region,
      eventSourceARN: `arn:aws:dynamodb:${region}:${this.options.account ?? '000000000000'}:table/${table}/stream/local`,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: Object.fromEntries(keyNames.map((k) => [k, image[k]!])),
        ...(newItem ? { NewImage: newItem as Record<string, AttributeValue> } : {}),
        ...(oldItem ? { OldImage: oldItem as Record<string, AttributeValue> } : {}),
        SequenceNumber: sequenceNumber,
        SizeBytes: JSON.stringify([oldItem, newItem]).length,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      ...(eventName === 'REMOVE' && ttlService.getStore() ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const } : {}),
    };
    for (const state of interested) {
      const partitionKey = image[definition.partitionKey.name];
      if (!passesFilter(state.consumer, eventName, partitionKey?.S ?? partitionKey?.N ?? '')) continue;
      state.queue.push(record);
      this.kick(state);
    }
  }

  /** Resolves once every record emitted so far has been delivered (or dead-lettered). */
  async idle(): Promise<void> {
    while (this.states.some((s) => s.running)) await Promise.all(this.states.map((s) => s.running));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.states.map((s) => s.running));
  }

  private kick(state: ConsumerState): void {
    if (state.running) return;
    state.running = this.drain(state).finally(() => {
      state.running = undefined;
      if (state.queue.length > 0 && !this.closed) this.kick(state);
    });
  }

  private async drain(state: ConsumerState): Promise<void> {
    const { consumer, queue } = state;
    let size = consumer.batchSize;
    let retries = 0;
    // Deferred: the write that emitted the first record answers its caller before the consumer runs.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0 && !this.closed) {
      const batch = queue.slice(0, size);
      let failedAt: number;
      let reason: string;
      try {
        const failures = new Set((await consumer.handler({ Records: batch }))?.batchItemFailures.map((f) => f.itemIdentifier) ?? []);
        if (failures.size === 0) {
          queue.splice(0, batch.length);
          size = consumer.batchSize;
          retries = 0;
          continue;
        }
        // An identifier that names no record of the batch fails the whole batch, as on AWS.
        const first = batch.findIndex((r) => failures.has(r.dynamodb.SequenceNumber));
        failedAt = first < 0 ? 0 : first;
        reason = 'partial batch failure';
      } catch (error) {
        failedAt = 0;
        reason = String(error);
        if (consumer.bisectOnError && batch.length > 1) size = Math.ceil(batch.length / 2);
      }
      queue.splice(0, failedAt);
      if (failedAt > 0) retries = 0;
      if (++retries > consumer.maxRetries) {
        const dropped = queue.splice(0, Math.min(size, batch.length - failedAt));
        this.deadLetters.push({
          consumer: consumer.name,
          firstSequenceNumber: dropped[0]!.dynamodb.SequenceNumber,
          lastSequenceNumber: dropped.at(-1)!.dynamodb.SequenceNumber,
          batchSize: dropped.length,
          reason,
        });
        console.warn(`[embedded-dynamo] stream batch of ${consumer.name} dead-lettered after ${consumer.maxRetries} retries: ${reason}`);
        size = consumer.batchSize;
        retries = 0;
        continue;
      }
      const delay = (this.options.retryDelayMs ?? 100) * 2 ** Math.min(retries - 1, 5);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
