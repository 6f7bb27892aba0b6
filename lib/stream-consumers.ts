/**
 * The stream consumers of lambdas/streams/table.ts on AWS: per consumer a
 * function bundled as the routes are, granted only its entry's access, fed
 * by an event source mapping on its table's stream (an event-name filter,
 * the entry's batch size, bisect on error, bounded retries, partial batch
 * responses) whose dropped batches go to an SQS dead-letter queue, with an
 * alarm as soon as that queue holds a message.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { tables as tableDefinitions, type TableDefinition } from '../lambdas/storage/tables';
import { consumerConstructId, consumerRoute, type StreamConsumerDefinition } from '../lambdas/streams/table';
import { PROJECT_ROOT, RouteFunction } from './route-function';
import { grantAccessEntry } from './table-access';

export interface StreamConsumersProps {
  consumers: readonly StreamConsumerDefinition[];
  tables: ReadonlyMap<TableDefinition['name'], Table>;
  environment: Readonly<Record<string, string>>;
  stage: WebSocketStage;
  logRetention: RetentionDays;
}

export interface StreamConsumer {
  fn: RouteFunction;
  deadLetters: Queue;
  deadLettersAlarm: Alarm;
}

function partitionKeyOf(consumer: StreamConsumerDefinition): string {
  return tableDefinitions.find((t) => t.name === consumer.table)!.partitionKey.name;
}

/** The mapping's filters: an event name, and per event name the partition key prefixes (one filter each, OR-ed). */
function eventFilters(consumer: StreamConsumerDefinition, partitionKey: string): Record<string, unknown>[] {
  if (!consumer.keyPrefixes) return [FilterCriteria.filter({ eventName: FilterRule.or(...consumer.eventNames) })];
  return consumer.eventNames.flatMap((eventName) => {
    const prefixes = consumer.keyPrefixes?.[eventName];
    if (!prefixes) return [FilterCriteria.filter({ eventName: FilterRule.isEqual(eventName) })];
    return prefixes.map((prefix) => FilterCriteria.filter({ eventName: FilterRule.isEqual(eventName), dynamodb: { Keys: { [partitionKey]: { S: FilterRule.beginsWith(prefix) } } } }));
  });
}

/** The construct id under the stack (local/bundle-runtime.ts finds the consumers' functions by it). */
export const STREAMS_CONSTRUCT_ID = 'Streams';

export class StreamConsumers extends Construct {
  readonly consumers: ReadonlyMap<string, StreamConsumer>;

  constructor(scope: Construct, id: string, props: StreamConsumersProps) {
    super(scope, id);
    const consumers = new Map<string, StreamConsumer>();
    for (const consumer of props.consumers) {
      const table = props.tables.get(consumer.table);
      if (!table?.tableStreamArn) throw new Error(`stream consumer ${consumer.module}: table ${consumer.table} has no stream`);
      const route = consumerRoute(consumer);
      const scope = new Construct(this, consumerConstructId(consumer));
      const fn = new RouteFunction(scope, 'Function', {
        route,
        entry: join(PROJECT_ROOT, 'lambdas', 'streams', `${consumer.module}.ts`),
        environment: props.environment,
        logRetention: props.logRetention,
      });
      grantAccessEntry(fn, `stream consumer ${consumer.module}`, consumer.access, props.tables, tableDefinitions);
      if (consumer.pushes) props.stage.grantManagementApiAccess(fn);

      const deadLetters = new Queue(scope, 'DeadLetters', {
        retentionPeriod: Duration.days(14),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      // Grants the function the stream reads (and nothing else on the stream) and the DLQ's SendMessage.
      fn.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: consumer.batchSize,
          bisectBatchOnError: consumer.bisectOnError,
          retryAttempts: consumer.maxRetries,
          reportBatchItemFailures: true,
          onFailure: new SqsDlq(deadLetters),
          filters: eventFilters(consumer, partitionKeyOf(consumer)),
        }),
      );
      const deadLettersAlarm = new Alarm(scope, 'DeadLettersAlarm', {
        alarmDescription: `Stream batches of ${consumer.module} dropped after ${consumer.maxRetries} retries: see its dead-letter queue and logs.`,
        metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      consumers.set(consumer.module, { fn, deadLetters, deadLettersAlarm });
    }
    this.consumers = consumers;
  }
}
