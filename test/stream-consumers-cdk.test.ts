/**
 * The stream consumers in the CDK stack (lib/stream-consumers.ts), asserted
 * against lambdas/streams/table.ts: the Connections table's stream, the
 * event source mapping's settings, the dead-letter queue and its alarm, and
 * least privilege. Bundling is skipped, as in cdk.test.ts.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessengerStack } from '../lib/messenger-stack';
import { streamConsumers } from '../lambdas/streams/table';
import { tables } from '../lambdas/storage/tables';

type Resource = { Type: string; Properties: Record<string, any> };
const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

let template: Template;
let resources: Record<string, Resource>;
let stack: MessengerStack;
beforeAll(() => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  stack = new MessengerStack(app, 'Messenger');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
const consumer = streamConsumers.find((c) => c.module === 'connection-removed')!;

describe('stream consumers on AWS', () => {
  it('streams the tables that declare a stream (Connections, Data) with both images, and no other table', () => {
    const streamed = ofType('AWS::DynamoDB::Table').filter(([, t]) => t.Properties.StreamSpecification);
    const declared = tables.filter((t) => t.stream);
    expect(declared.map((t) => t.name).sort()).toEqual(['Connections', 'Data']);
    expect(streamed.map(([, t]) => t.Properties.KeySchema[0].AttributeName).sort()).toEqual(declared.map((t) => t.partitionKey.name).sort());
    for (const [, t] of streamed) expect(t.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('filters the message consumer to message INSERTs and MODIFYs and outbox expiries by key prefix', () => {
    const { fn } = stack.streams.consumers.get('message-stored')!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fn) },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'MSG#' }] } } } }) },
          { Pattern: JSON.stringify({ eventName: ['MODIFY'], dynamodb: { Keys: { pk: { S: [{ prefix: 'MSG#' }] } } } }) },
          { Pattern: JSON.stringify({ eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } } }) },
        ],
      },
    });
  });

  it('maps the stream to the consumer with the entry\'s batch size, bisection, bounded retries, partial batch responses, a REMOVE filter and an SQS DLQ', () => {
    const { fn, deadLetters } = stack.streams.consumers.get('connection-removed')!;
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(streamConsumers.length);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fn) },
      EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
      BatchSize: consumer.batchSize,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: consumer.maxRetries,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['REMOVE'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(deadLetters), 'Arn'] } } },
    });
    expect(consumer.maxRetries).toBeGreaterThan(0);
    expect(consumer.maxRetries).toBeLessThanOrEqual(10);
  });

  it('alarms as soon as the dead-letter queue holds a message', () => {
    const { deadLetters } = stack.streams.consumers.get('connection-removed')!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(deadLetters), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
  });

  it('grants the consumer its entry\'s table actions, its stream\'s reads, the DLQ send and the Management API, and no Scan', () => {
    const { fn } = stack.streams.consumers.get('connection-removed')!;
    const role = (resources[logicalId(fn)]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const actions = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem']) expect(actions).toContain(action);
    for (const action of ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams']) expect(actions).toContain(action);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).toContain('execute-api:ManageConnections');
    expect(actions).not.toContain('dynamodb:Scan');
    expect([...actions].filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect([...actions].filter((a) => a.includes('*'))).toEqual([]);
  });

  describe('offline-recipient events', () => {
    const rolePolicyActions = (fn: { node: { defaultChild?: unknown } }) => {
      const role = (resources[logicalId(fn)]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      return ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    };

    it('maps only INSERT records of message copies (key prefix INBOX#) of the Data table to the consumer', () => {
      const { fn } = stack.streams.consumers.get('offline-recipients')!;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(fn) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'INBOX#' }] } } } }) }] },
      });
    });

    it('publishes to the stack\'s own bus by default, with events:PutEvents on that bus only, named in OFFLINE_EVENT_BUS', () => {
      const { fn } = stack.streams.consumers.get('offline-recipients')!;
      const buses = ofType('AWS::Events::EventBus');
      expect(buses).toHaveLength(1);
      const [busId] = buses[0]!;
      expect(resources[logicalId(fn)]!.Properties.Environment.Variables.OFFLINE_EVENT_BUS).toEqual({ Ref: busId });
      expect(template.toJSON().Outputs.OfflineEventsBusName.Value).toEqual({ Ref: busId });
      const statements = rolePolicyActions(fn);
      const puts = statements.filter((s) => [s.Action].flat().includes('events:PutEvents'));
      expect(puts).toHaveLength(1);
      expect(puts[0]!.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
      const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
      // Reads presence only: no table writes, no pushes.
      for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'execute-api:ManageConnections']) expect(actions).not.toContain(action);
      expect(actions).toContain('dynamodb:BatchGetItem');
      // No other function may publish.
      const publishers = ofType('AWS::IAM::Policy').filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).some((s) => [s.Action].flat().includes('events:PutEvents')),
      );
      expect(publishers).toHaveLength(1);
    });

    it('-c offlineEventBus=default publishes to the account\'s default bus and creates none', () => {
      const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], offlineEventBus: 'default' } });
      const other = new MessengerStack(app, 'Messenger');
      const json = Template.fromStack(other).toJSON();
      const res = json.Resources as Record<string, Resource>;
      expect(Object.values(res).filter((r) => r.Type === 'AWS::Events::EventBus')).toEqual([]);
      const { fn } = other.streams.consumers.get('offline-recipients')!;
      const id = other.getLogicalId(fn.node.defaultChild as never);
      expect(res[id]!.Properties.Environment.Variables.OFFLINE_EVENT_BUS).toBe('default');
      const put = Object.values(res)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .find((s) => [s.Action].flat().includes('events:PutEvents'));
      expect(JSON.stringify(put!.Resource)).toContain(':event-bus/default');
    });
  });
});
