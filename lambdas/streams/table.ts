/**
 * Stream consumers, the route table's kind for DynamoDB Streams: one entry
 * per consumer function drives the CDK stack (stream, event source mapping,
 * DLQ, alarm, grants) and the local stack (the embedded DynamoDB's stream
 * delivery, the function's principal), so both derive it the same way.
 */
import type { RouteDefinition } from '../routes/table';
import type { TableDefinition } from '../storage/tables';
import type { StreamEventName } from './records';

export interface StreamConsumerDefinition {
  /** Function name stem and handler module `lambdas/streams/<module>.ts`. */
  module: string;
  /** The table whose stream it reads (the table must declare `stream`). */
  table: TableDefinition['name'];
  /** Only these records reach the function (an event filter: the others are not billed). */
  eventNames: readonly StreamEventName[];
  /** And of those, per event name, only records whose partition key starts with one of these (no entry: all). */
  keyPrefixes?: Partial<Record<StreamEventName, readonly string[]>>;
  /** Records per invocation at most. */
  batchSize: number;
  /** Retries of a failing batch before it goes to the dead-letter queue. */
  maxRetries: number;
  /** A failing batch is split in two and each half retried (isolates a poison record). */
  bisectOnError: boolean;
  /** What the function may do with each table (least privilege). */
  access: Partial<Record<TableDefinition['name'], 'read' | 'write'>>;
  /** Pushes through the Management API. */
  pushes: boolean;
  summary: string;
}

export const streamConsumers: readonly StreamConsumerDefinition[] = [
  {
    module: 'connection-removed',
    table: 'Connections',
    eventNames: ['REMOVE'],
    batchSize: 100,
    maxRetries: 5,
    bisectOnError: true,
    // Reads the contacts, leaves presence (Data), forgets connections a push finds gone (Connections).
    access: { Connections: 'write', Data: 'write' },
    pushes: true,
    summary: 'A connection item gone (TTL expiry, sweeper, or `$disconnect`): ends its presence; `offline` to contacts if it was the last.',
  },
  {
    module: 'offline-recipients',
    table: 'Data',
    eventNames: ['INSERT'],
    // Message copies only (lambdas/storage/messages.ts inboxKey): no other write of the Data table is billed.
    keyPrefixes: { INSERT: ['INBOX#'] },
    batchSize: 100,
    maxRetries: 5,
    bisectOnError: true,
    // Reads the recipients' presence items; publishes to EventBridge (granted in lib/offline-events.ts).
    access: { Data: 'read' },
    pushes: false,
    summary: 'A message copy stored: one event (user, dialog, message id; no content) per recipient with no live connection, for mobile push.',
  },
  {
    module: 'message-stored',
    table: 'Data',
    eventNames: ['INSERT', 'MODIFY', 'REMOVE'],
    // A message item written (new, or revised by `update message`); an outbox's expiry (the last chance, with the bodies in the old image).
    keyPrefixes: { INSERT: ['MSG#'], MODIFY: ['MSG#'], REMOVE: ['OUTBOX#'] },
    batchSize: 100,
    maxRetries: 10,
    bisectOnError: true,
    // Reads the message, outbox and copies, writes missing copies (Data); pushes them (reads and prunes Connections).
    access: { Connections: 'write', Data: 'write' },
    pushes: true,
    summary: 'A message item committed or revised (or its outbox expired): writes the copies its request did not, clears `pending`, pushes what it wrote.',
  },
  {
    module: 'members-changed',
    table: 'Data',
    eventNames: ['INSERT', 'MODIFY'],
    keyPrefixes: { INSERT: ['GROUP#', 'DIALOG#'], MODIFY: ['GROUP#', 'DIALOG#'] },
    batchSize: 100,
    maxRetries: 10,
    bisectOnError: true,
    access: { Data: 'write' },
    pushes: false,
    summary: 'A group item or dialog head written: puts and deletes the membership items its member change implies, where the request did not.',
  },
];

/** Pure: whether a record passes a consumer's filter (the local streams apply it as the event source mapping does on AWS). */
export const passesFilter = (consumer: Pick<StreamConsumerDefinition, 'eventNames' | 'keyPrefixes'>, eventName: StreamEventName, partitionKey: string): boolean =>
  consumer.eventNames.includes(eventName) && (consumer.keyPrefixes?.[eventName]?.some((p) => partitionKey.startsWith(p)) ?? true);

/** The consumer's construct id under the stack's `Streams` construct: `connection-removed` → `ConnectionRemoved`. */
export const consumerConstructId = (consumer: StreamConsumerDefinition): string =>
  consumer.module.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/** The consumer as a route definition, for what routes and consumers share (grants, the local principal). */
export const consumerRoute = (consumer: StreamConsumerDefinition): RouteDefinition => ({
  event: `$stream ${consumer.module}`,
  auth: false,
  access: consumer.access,
  pushes: consumer.pushes,
  summary: consumer.summary,
});
