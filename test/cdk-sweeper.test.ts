/**
 * The connection sweeper in the CDK stack (lib/scheduled-jobs.ts): an
 * EventBridge rule every minute invoking its function, the `byExpiry` index
 * (keys only) it reads, and least privilege: Query on the index, conditional
 * DeleteItem on Connections, nothing on Data, no Scan. Bundling is skipped.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessengerStack } from '../lib/messenger-stack';

type Resource = { Type: string; Properties: Record<string, any> };
const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new MessengerStack(app, 'Messenger');
  return { stack, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Resource> };
};

let stack: MessengerStack;
let resources: Record<string, Resource>;
beforeAll(() => ({ stack, resources } = synth()));

const ofType = (res: Record<string, Resource>, type: string) => Object.entries(res).filter(([, r]) => r.Type === type);
const sweeperId = (s: MessengerStack) => s.getLogicalId(s.scheduled.functions.get('sweep-connections')!.node.defaultChild as never);

describe('connection sweeper on AWS', () => {
  it('indexes connections by shard and expiry, keys only', () => {
    const [, connections] = ofType(resources, 'AWS::DynamoDB::Table').find(([, t]) => t.Properties.KeySchema[0].AttributeName === 'connectionId')!;
    const index = connections.Properties.GlobalSecondaryIndexes.find((i: any) => i.IndexName === 'byExpiry');
    expect(index).toEqual({
      IndexName: 'byExpiry',
      KeySchema: [{ AttributeName: 'sweepShard', KeyType: 'HASH' }, { AttributeName: 'expiresAt', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('runs every minute from an EventBridge rule, with a 5-minute timeout', () => {
    const id = sweeperId(stack);
    const rules = ofType(resources, 'AWS::Events::Rule').filter(([, r]) => r.Properties.Targets?.some((t: any) => t.Arn?.['Fn::GetAtt']?.[0] === id));
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rules[0]![1].Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    expect(resources[id]!.Properties.Timeout).toBe(300);
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.FunctionName?.['Fn::GetAtt']?.[0] === id);
    expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
  });

  it('may Query byExpiry and delete connections, and nothing on Data; no Scan', () => {
    const role = (resources[sweeperId(stack)]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
    expect(actions).toContain('dynamodb:Query');
    expect(actions).toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:Scan');
    expect([...actions].filter((a) => a.startsWith('execute-api:') || a.startsWith('secretsmanager:') || a.includes('*'))).toEqual([]);
    const text = JSON.stringify(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:'))).map((s) => s.Resource));
    expect(text).toContain('/index/byExpiry');
    const dataTable = ofType(resources, 'AWS::DynamoDB::Table').find(([, t]) => t.Properties.KeySchema[0].AttributeName === 'pk')![0];
    expect(text).not.toContain(dataTable);
  });

  it('-c connectionSweepMinutes=5 runs it every 5 minutes; a bad value fails the synth', () => {
    const { stack: other, resources: res } = synth({ connectionSweepMinutes: '5' });
    const id = sweeperId(other);
    const rule = ofType(res, 'AWS::Events::Rule').find(([, r]) => r.Properties.Targets?.some((t: any) => t.Arn?.['Fn::GetAtt']?.[0] === id))!;
    expect(rule[1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(() => synth({ connectionSweepMinutes: '0' })).toThrow(/connectionSweepMinutes/);
  });
});
