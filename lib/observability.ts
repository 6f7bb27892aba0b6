/**
 * What wakes an operator and what they look at: alarms on the failures that
 * reach users (a function failing or throttled, API Gateway failing to reach
 * or run an integration, the file server answering 5xx, DynamoDB throttling
 * or failing) and one dashboard. Alarms notify an SNS topic when the stack is
 * given `alarmEmail`; docs/deploy.md says what to do for each.
 *
 * One alarm per function (errors + throttles in one expression) rather than
 * one per metric: an alarm costs $0.10 a month, and either way the function
 * is the thing to look at.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { PRICES } from '../bench/prices';

export interface ObservedFunction {
  /** Construct id part of its alarm. */
  readonly id: string;
  /** What it serves: the route's event, or `file server`. */
  readonly name: string;
  readonly fn: IFunction;
  readonly memoryMb: number;
}

export interface ObservabilityProps {
  readonly functions: readonly ObservedFunction[];
  readonly webSocketApiId: string;
  readonly stageName: string;
  readonly tables: ReadonlyMap<string, Table>;
  /** The file server's HTTP API and stage, if the stack has one. */
  readonly filesApi?: { apiId: string; stageName: string };
  /** Subscribe this address to the alarm topic. @default no topic */
  readonly alarmEmail?: string;
  /** Stream consumers: an iterator-age alarm each, and their dead-letter alarms notify the same topic. */
  readonly streamConsumers?: readonly { id: string; name: string; fn: IFunction; deadLettersAlarm: Alarm }[];
}

/** A stream consumer this far behind its stream is not keeping up (presence would lag by as much). */
const ITERATOR_AGE_ALARM_MS = 60_000;

const FIVE_MINUTES = Duration.minutes(5);

/** A price in a metric math expression: plain decimals (the expression language has no exponent). */
const decimal = (x: number): string => x.toFixed(16).replace(/0+$/, '');

/** DynamoDB operations the handlers use: SystemErrors exists only per operation, and an alarm may combine at most 10 metrics. */
export const DYNAMODB_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'] as const;

export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic?: Topic;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const api = (metricName: string, statistic = 'Sum', extra: Record<string, string> = {}) =>
      new Metric({ namespace: 'AWS/ApiGateway', metricName, statistic, period: FIVE_MINUTES, dimensionsMap: { ApiId: props.webSocketApiId, Stage: props.stageName, ...extra } });

    if (props.alarmEmail) {
      this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Messenger alarms', enforceSSL: true });
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    }

    for (const consumer of props.streamConsumers ?? []) {
      this.alarm(`${consumer.id}IteratorAge`, {
        metric: consumer.fn.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: ITERATOR_AGE_ALARM_MS,
        description: `Stream consumer ${consumer.name} is over a minute behind its stream: see its errors and throttles.`,
      });
      this.notify(consumer.deadLettersAlarm);
    }

    for (const { id: functionId, name, fn } of props.functions) {
      this.alarm(`${functionId}Function`, {
        metric: new MathExpression({
          expression: 'errors + throttles',
          usingMetrics: { errors: fn.metricErrors({ period: FIVE_MINUTES }), throttles: fn.metricThrottles({ period: FIVE_MINUTES }) },
          label: `${name}: errors + throttles`,
          period: FIVE_MINUTES,
        }),
        threshold: 1,
        description: `${name}: the function failed (crash, timeout, out of memory) or was throttled. Its log group shows the failure; throttles mean concurrency ran out.`,
      });
    }
    this.alarm('ApiIntegrationErrors', {
      metric: api('IntegrationError'),
      threshold: 5,
      description: 'WebSocket API: integrations answered with an error (a function failed or timed out). Look at the function alarms and the access log (integrationError).',
    });
    this.alarm('ApiExecutionErrors', {
      metric: api('ExecutionError'),
      threshold: 5,
      description: 'WebSocket API: API Gateway could not run an integration (its 5xx). Check the access log (error, integrationError) and the AWS Health dashboard.',
    });
    if (props.filesApi) {
      this.alarm('FilesServerErrors', {
        metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: '5xx', statistic: 'Sum', period: FIVE_MINUTES, dimensionsMap: { ApiId: props.filesApi.apiId, Stage: props.filesApi.stageName } }),
        threshold: 5,
        description: 'File server: 5xx answers. Its function log and the file server access log say which requests.',
      });
    }
    for (const [name, table] of props.tables) {
      this.alarm(`${name}TableThrottles`, {
        metric: new MathExpression({
          expression: 'reads + writes',
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
            writes: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: FIVE_MINUTES }),
          },
          label: `${name}: throttle events`,
          period: FIVE_MINUTES,
        }),
        threshold: 1,
        description: `DynamoDB ${name}: requests throttled (a hot partition, or the on-demand limit of the table). Frames retry, then answer something went wrong.`,
      });
      this.alarm(`${name}TableSystemErrors`, {
        metric: table.metricSystemErrorsForOperations({ operations: [...DYNAMODB_OPERATIONS] as never[], period: FIVE_MINUTES }),
        threshold: 1,
        description: `DynamoDB ${name}: the service failed requests (its 5xx). Nothing to fix on our side; check the AWS Health dashboard if it persists.`,
      });
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const byRoute = (make: (f: ObservedFunction, i: number) => IMetric) => props.functions.map(make);
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '# Messenger\nFrames, latency, errors, connections, DynamoDB and an estimated cost (list prices of bench/prices.ts). Alarms: docs/deploy.md.', width: 24, height: 2 }),
      new GraphWidget({
        title: 'Frames per second by route',
        width: 12,
        left: byRoute(({ name, fn }, i) => new MathExpression({ expression: `n${i} / PERIOD(n${i})`, usingMetrics: { [`n${i}`]: fn.metricInvocations({ period: Duration.minutes(1) }) }, label: name, period: Duration.minutes(1) })),
      }),
      new GraphWidget({
        title: 'Latency: integration p50 / p99 (ms)',
        width: 12,
        left: [api('IntegrationLatency', 'p50'), api('IntegrationLatency', 'p99')],
        right: byRoute(({ name, fn }) => fn.metricDuration({ statistic: 'p99', label: `${name} p99` })),
      }),
      new GraphWidget({
        title: 'Errors',
        width: 12,
        left: [api('ClientError'), api('IntegrationError'), api('ExecutionError')],
        right: byRoute(({ name, fn }) => fn.metricErrors({ label: name })),
      }),
      new GraphWidget({ title: 'Connections and messages', width: 12, left: [api('ConnectCount')], right: [api('MessageCount')] }),
      new GraphWidget({
        title: 'DynamoDB consumed units',
        width: 12,
        left: [...props.tables].flatMap(([name, table]) => [
          table.metricConsumedReadCapacityUnits({ label: `${name} read` }),
          table.metricConsumedWriteCapacityUnits({ label: `${name} write` }),
        ]),
      }),
      new SingleValueWidget({ title: 'Estimated cost, USD per hour (last hour)', width: 12, metrics: [this.costPerHour(props)] }),
    );
  }

  /** Lambda GB-seconds and requests, WebSocket messages and DynamoDB units at list prices; connection minutes and storage are left out. */
  private costPerHour(props: ObservabilityProps): MathExpression {
    const hour = { period: Duration.hours(1), statistic: 'Sum' };
    const usingMetrics: Record<string, IMetric> = {};
    const lambda: string[] = [];
    props.functions.forEach(({ fn, memoryMb }, i) => {
      usingMetrics[`d${i}`] = fn.metricDuration(hour);
      usingMetrics[`i${i}`] = fn.metricInvocations(hour);
      lambda.push(`d${i} * ${decimal(((memoryMb / 1024) * PRICES.lambdaGbSecond) / 1000)} + i${i} * ${decimal(PRICES.lambdaRequest / 1e6)}`);
    });
    usingMetrics.m = new Metric({ namespace: 'AWS/ApiGateway', metricName: 'MessageCount', dimensionsMap: { ApiId: props.webSocketApiId, Stage: props.stageName }, ...hour });
    const dynamo: string[] = [];
    [...props.tables.values()].forEach((table, i) => {
      usingMetrics[`r${i}`] = table.metricConsumedReadCapacityUnits(hour);
      usingMetrics[`w${i}`] = table.metricConsumedWriteCapacityUnits(hour);
      dynamo.push(`r${i} * ${decimal(PRICES.readUnit / 1e6)} + w${i} * ${decimal(PRICES.writeUnit / 1e6)}`);
    });
    const terms = [...lambda, `m * ${decimal(PRICES.websocketMessage / 1e6)}`, ...dynamo].map((t) => `FILL(${t}, 0)`);
    return new MathExpression({ expression: terms.join(' + '), usingMetrics, label: 'USD per hour', period: Duration.hours(1) });
  }

  private alarm(id: string, options: { metric: IMetric; threshold: number; description: string }): void {
    this.notify(
      new Alarm(this, id, {
        metric: options.metric,
        threshold: options.threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: options.description,
      }),
    );
  }

  /** Every alarm of the stack notifies the topic (when there is one) of trouble and of recovery. */
  private notify(alarm: Alarm): void {
    if (this.topic) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(alarm);
  }
}
