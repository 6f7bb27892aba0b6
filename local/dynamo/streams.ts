/**
 * DynamoDB Streams for the embedded DynamoDB (dynalite has none), with the
 * semantics a Lambda event source mapping gives its function:
 * - a record per committed item change (INSERT / MODIFY / REMOVE, with
 *   NEW_AND_OLD_IMAGES), in commit order, so per item in order;
 * - deletions by the TTL sweeper carry the service's `userIdentity`;
 * - per consumer: an event filter (event names, and per event name partition
 *   key prefixes), batches of at most `batchSize`, partial batch responses
 *   (the mapping checkpoints before the first failed record), a failing batch
 *   retried with backoff and, with
 *   `bisectOnError`, halved; after `maxRetries` the batch goes to the
 *   dead-letter list (on AWS: an SQS message describing the batch) and is
 *   skipped. At least once: a retried batch repeats records already handled.
 * Durable on disk (a store given): each record is written in the same
 * LevelDB batch as the item write it records (DynaliteCore's atomic units),
 * each consumer's checkpoint after each batch it finished, so a kill -9 loses
 * no record: on restart a consumer gets every record after its checkpoint
 * again (those of its last batch possibly twice), for 24 hours, as AWS keeps
 * them. Records every consumer of their table is past, or older than the
 * retention, are trimmed; a table no consumer has ever read keeps none. In
 * memory (no store) the records live in the queues.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../../lambdas/storage/tables';
import type { BatchResponse, StreamEvent, StreamEventName, StreamRecord } from '../../lambdas/streams/records';
import { passesFilter } from '../../lambdas/streams/table';
import type { ItemChange, KeyRange, LevelOp } from './dynalite-core';
import type { Payload } from './wire';

const ttlService = new AsyncLocalStorage<true>();
/** Runs `fn` as DynamoDB's TTL service: the deletions it makes are stream records with the service's identity. */
export const asTtlService = <T>(fn: () => Promise<T>): Promise<T> => ttlService.run(true, fn);

export interface LocalStreamConsumer {
  name: string;
  table: string;
  eventNames: readonly StreamEventName[];
  /** Per event name, only records whose partition key begins with one of these, as the mapping's event filter. */
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

/** The store keys outside dynalite's that the stream journal lives in (DynaliteCore.journal). */
export interface JournalStore {
  batch(ops: LevelOp[]): Promise<void>;
  range(range: KeyRange): AsyncIterable<[string, Payload]>;
}

export interface LocalStreamsOptions {
  /** First retry delay; doubles per retry up to 32 times it. @default 100 */
  retryDelayMs?: number;
  region?: string;
  account?: string;
  /** How long a record is kept for a consumer that has not had it. @default 24 h, as AWS */
  retentionMs?: number;
  /** Trims the journal at most this often. @default 10000 */
  trimIntervalMs?: number;
}

interface ConsumerState {
  consumer: LocalStreamConsumer;
  queue: StreamRecord[];
  running?: Promise<void>;
  /** Loading its backlog from the journal: records queue up but are not delivered yet. */
  loading: boolean;
  /** The last record of its table it was offered (delivered, filtered out or queued). */
  seen: string;
}

interface Checkpoint {
  table: string;
  /** Every record of `table` up to this sequence number is done for the consumer. */
  sequence: string;
}

// Under a name of its own beside dynalite's sub-databases (`table~`, `item-<table>~`, …).
const RECORDS = 'localstream~record~';
const CHECKPOINTS = 'localstream~checkpoint~';
const recordKey = (table: string, sequence: string) => `${RECORDS}${table}~${sequence}`;
const SEQUENCE_DIGITS = 21;
const DAY_MS = 24 * 3600 * 1000;

/** The consumer's event filter (lambdas/streams/table.ts) on a record of a table whose partition key is `partitionKey`. */
function passes(consumer: LocalStreamConsumer, record: StreamRecord, partitionKey: string): boolean {
  const key = record.dynamodb.Keys[partitionKey];
  return passesFilter(consumer, record.eventName, key?.S ?? key?.N ?? '');
}

const sequenceOf = (record: StreamRecord) => record.dynamodb.SequenceNumber;

export class LocalStreams {
  private sequence = 0n;
  private closed = false;
  private readonly states: ConsumerState[] = [];
  private readonly tables: Map<string, TableDefinition>;
  /** By consumer name: the stored checkpoints, of this run's consumers and of earlier runs'. */
  private readonly checkpoints = new Map<string, Checkpoint>();
  /**
   * Tables whose records are journalled: read by a consumer in this run or
   * an earlier one (a checkpoint or records in the journal). A table nobody
   * has read keeps no journal (the transaction crash bench writes 200 KB a
   * transaction to a store no consumer ever reads).
   */
  private readonly journalling = new Set<string>();
  private lastTrim = 0;
  private trimming?: Promise<void>;
  private trimTimer?: NodeJS.Timeout;
  readonly deadLetters: DeadLetter[] = [];

  constructor(
    tables: readonly TableDefinition[],
    private readonly options: LocalStreamsOptions = {},
    private readonly store?: JournalStore,
  ) {
    this.tables = new Map(tables.filter((t) => t.stream).map((t) => [t.name, t]));
  }

  /** Reads the journal's checkpoints and last sequence number, and drops what is past retention. Before any write. */
  async open(): Promise<void> {
    if (!this.store) return;
    for await (const [key, value] of this.store.range({ gte: CHECKPOINTS, lt: `${CHECKPOINTS}\xff` })) {
      const checkpoint = value as unknown as Checkpoint;
      this.checkpoints.set(key.slice(CHECKPOINTS.length), checkpoint);
      this.journalling.add(checkpoint.table);
      this.sequence = BigInt(checkpoint.sequence) > this.sequence ? BigInt(checkpoint.sequence) : this.sequence;
    }
    for (const table of this.tables.keys()) {
      for await (const [key] of this.store.range({ gt: recordKey(table, ''), lt: `${recordKey(table, '')}\xff`, reverse: true, limit: 1 })) {
        this.journalling.add(table);
        const last = BigInt(key.slice(recordKey(table, '').length));
        if (last > this.sequence) this.sequence = last;
      }
    }
    await this.trim();
    // Also while nothing is delivered: consumers whose filter passed nothing move on, and old records go.
    this.trimTimer = setInterval(() => this.trimSoon(), this.options.trimIntervalMs ?? 10_000);
    this.trimTimer.unref();
  }

  private trimSoon(): void {
    if (!this.closed) this.trimming ??= this.trim().finally(() => (this.trimming = undefined));
  }

  /**
   * Subscribes a consumer; with a journal, it first gets the records after
   * its checkpoint (all those retained, if it has none: TRIM_HORIZON).
   */
  async subscribe(consumer: LocalStreamConsumer): Promise<void> {
    if (!this.tables.has(consumer.table)) throw new Error(`table ${consumer.table} has no stream`);
    const state: ConsumerState = { consumer, queue: [], loading: Boolean(this.store), seen: '' };
    this.states.push(state);
    this.journalling.add(consumer.table);
    if (!this.store) return;
    const from = this.checkpoints.get(consumer.name)?.sequence ?? '';
    const partitionKey = this.tables.get(consumer.table)!.partitionKey.name;
    const backlog: StreamRecord[] = [];
    const oldest = this.retentionHorizon();
    for await (const [, value] of this.store.range({ gt: recordKey(consumer.table, from), lt: `${recordKey(consumer.table, '')}\xff` })) {
      const record = value as unknown as StreamRecord;
      if (record.dynamodb.ApproximateCreationDateTime >= oldest && passes(consumer, record, partitionKey)) backlog.push(record);
    }
    // Records committed while the backlog was read are in both: each once, in sequence order.
    const bySequence = new Map([...backlog, ...state.queue].map((r) => [sequenceOf(r), r]));
    state.queue = [...bySequence.keys()].sort().map((s) => bySequence.get(s)!);
    state.loading = false;
    if (state.queue.length > 0) this.kick(state);
  }

  /** The records of one atomic unit's item changes (DynaliteCore.onItemChange): journalled in its batch, delivered once written. */
  prepare(changes: readonly ItemChange[]): { ops: LevelOp[]; committed(): void } {
    const records = changes.flatMap((change) => {
      const record = this.recordOf(change);
      return record ? [{ table: change.table, record }] : [];
    });
    return {
      ops: this.store ? records.map(({ table, record }) => ({ type: 'put', key: recordKey(table, sequenceOf(record)), value: record })) : [],
      committed: () => {
        for (const { table, record } of records) this.deliver(table, record);
      },
    };
  }

  private recordOf({ table, oldItem, newItem }: ItemChange): StreamRecord | undefined {
    const definition = this.tables.get(table);
    if (!definition || (!oldItem && !newItem)) return undefined;
    // A write that changes nothing writes no stream record, as on AWS.
    if (oldItem && newItem && JSON.stringify(oldItem) === JSON.stringify(newItem)) return undefined;
    // A record nobody reads is not kept.
    if (!this.journalling.has(table)) return undefined;
    const eventName: StreamEventName = !oldItem ? 'INSERT' : !newItem ? 'REMOVE' : 'MODIFY';
    const image = (newItem ?? oldItem) as Record<string, AttributeValue>;
    const keyNames = [definition.partitionKey.name, ...(definition.sortKey ? [definition.sortKey.name] : [])];
    const sequenceNumber = String(++this.sequence).padStart(SEQUENCE_DIGITS, '0');
    const region = this.options.region ?? 'local';
    return {
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
  }

  /** A written record to the consumers of its table (none once closed: the journal keeps it for the next run). */
  private deliver(table: string, record: StreamRecord): void {
    if (this.closed) return;
    const partitionKey = this.tables.get(table)!.partitionKey.name;
    for (const state of this.states) {
      if (state.consumer.table !== table) continue;
      state.seen = sequenceOf(record);
      if (!passes(state.consumer, record, partitionKey)) continue;
      state.queue.push(record);
      this.kick(state);
    }
  }

  /** How many records of `table` the journal holds (none in memory). */
  async journalled(table: string): Promise<number> {
    let count = 0;
    if (this.store) for await (const _ of this.store.range({ gt: recordKey(table, ''), lt: `${recordKey(table, '')}\xff` })) count++;
    return count;
  }

  /** Resolves once every record emitted so far has been delivered (or dead-lettered). */
  async idle(): Promise<void> {
    while (this.states.some((s) => s.running)) await Promise.all(this.states.map((s) => s.running));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.trimTimer) clearInterval(this.trimTimer);
    await Promise.all(this.states.map((s) => s.running));
    await this.trimming;
  }

  private kick(state: ConsumerState): void {
    if (state.running || state.loading) return;
    state.running = this.drain(state).finally(() => {
      state.running = undefined;
      if (state.queue.length > 0 && !this.closed) this.kick(state);
    });
  }

  /**
   * Stores the consumer's checkpoint after records left its queue: past all
   * its table's records it has seen if the queue is empty, else just before
   * the first record still queued.
   */
  private async checkpoint(state: ConsumerState, lastDone: string): Promise<void> {
    if (!this.store) return;
    const sequence = state.queue.length === 0 && state.seen > lastDone ? state.seen : lastDone;
    const checkpoint: Checkpoint = { table: state.consumer.table, sequence };
    this.checkpoints.set(state.consumer.name, checkpoint);
    await this.store.batch([{ type: 'put', key: CHECKPOINTS + state.consumer.name, value: checkpoint }]);
    if (Date.now() - this.lastTrim >= (this.options.trimIntervalMs ?? 10_000)) this.trimSoon();
  }

  private retentionHorizon(): number {
    return Math.floor((Date.now() - (this.options.retentionMs ?? DAY_MS)) / 1000);
  }

  /**
   * Deletes, per table, the records every consumer of it is past (a
   * consumer subscribed without a checkpoint is past none; one of an earlier
   * run keeps its own) and those older than the retention. First, an idle
   * consumer's checkpoint moves past the records its filter did not pass.
   */
  private async trim(): Promise<void> {
    if (!this.store) return;
    this.lastTrim = Date.now();
    for (const state of this.states) {
      const idle = !state.running && !state.loading && state.queue.length === 0;
      if (idle && state.seen > (this.checkpoints.get(state.consumer.name)?.sequence ?? '')) await this.checkpoint(state, state.seen);
    }
    const oldest = this.retentionHorizon();
    for (const table of this.tables.keys()) {
      const subscribed = this.states.filter((s) => s.consumer.table === table).map((s) => this.checkpoints.get(s.consumer.name)?.sequence ?? '');
      const passed = [...subscribed, ...[...this.checkpoints.values()].filter((c) => c.table === table).map((c) => c.sequence)];
      const everyonePast = passed.length > 0 ? passed.sort()[0]! : '';
      const ops: LevelOp[] = [];
      for await (const [key, value] of this.store.range({ gt: recordKey(table, ''), lt: `${recordKey(table, '')}\xff` })) {
        const record = value as unknown as StreamRecord;
        if (sequenceOf(record) > everyonePast && record.dynamodb.ApproximateCreationDateTime >= oldest) break;
        ops.push({ type: 'del', key });
      }
      if (ops.length > 0) await this.store.batch(ops);
    }
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
          await this.checkpoint(state, sequenceOf(batch.at(-1)!));
          size = consumer.batchSize;
          retries = 0;
          continue;
        }
        // An identifier that names no record of the batch fails the whole batch, as on AWS.
        const first = batch.findIndex((r) => failures.has(sequenceOf(r)));
        failedAt = first < 0 ? 0 : first;
        reason = 'partial batch failure';
      } catch (error) {
        failedAt = 0;
        reason = String(error);
        if (consumer.bisectOnError && batch.length > 1) size = Math.ceil(batch.length / 2);
      }
      if (failedAt > 0) {
        queue.splice(0, failedAt);
        await this.checkpoint(state, sequenceOf(batch[failedAt - 1]!));
        retries = 0;
      }
      if (++retries > consumer.maxRetries) {
        const dropped = queue.splice(0, Math.min(size, batch.length - failedAt));
        this.deadLetters.push({
          consumer: consumer.name,
          firstSequenceNumber: sequenceOf(dropped[0]!),
          lastSequenceNumber: sequenceOf(dropped.at(-1)!),
          batchSize: dropped.length,
          reason,
        });
        console.warn(`[embedded-dynamo] stream batch of ${consumer.name} dead-lettered after ${consumer.maxRetries} retries: ${reason}`);
        await this.checkpoint(state, sequenceOf(dropped.at(-1)!));
        size = consumer.batchSize;
        retries = 0;
        continue;
      }
      const delay = (this.options.retryDelayMs ?? 100) * 2 ** Math.min(retries - 1, 5);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
