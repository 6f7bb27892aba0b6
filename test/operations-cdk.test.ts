/**
 * What the stack gives its operators, asserted on the synthesized template
 * (bundling skipped): access logs, execution roles, and each option of
 * lib/settings.ts that adds operations resources.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WEBSOCKET_ACCESS_LOG_FIELDS } from '../lib/access-logs';
import { MessengerStack } from '../lib/messenger-stack';

const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

function synth(context: Record<string, unknown> = {}, id = 'Messenger') {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new MessengerStack(app, id);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, { Type: string; Properties: any; DeletionPolicy?: string }> };
}

const { template, resources } = synth();
const ofType = (all: typeof resources, type: string) => Object.entries(all).filter(([, r]) => r.Type === type);

describe('access logs', () => {
  it('logs every WebSocket request as one JSON line with the correlation fields', () => {
    const stage = ofType(resources, 'AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.StageName === 'prod')![1];
    const settings = stage.Properties.AccessLogSettings;
    const fields = JSON.parse(settings.Format);
    expect(fields).toEqual(WEBSOCKET_ACCESS_LOG_FIELDS);
    for (const field of ['requestId', 'connectionId', 'routeKey', 'status', 'integrationLatency', 'integrationError']) expect(fields).toHaveProperty(field);
    const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
    expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
    expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
    expect(stage.Properties.DefaultRouteSettings.DetailedMetricsEnabled).toBe(true);
  });

  it('logs the file server requests too', () => {
    const stage = ofType(resources, 'AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.StageName === '$default')![1];
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('leaves the account CloudWatch role alone unless asked, and sets it (retained) when asked', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const withRole = synth({ apiGatewayCloudWatchRole: 'true' });
    const [[, account]] = ofType(withRole.resources, 'AWS::ApiGateway::Account') as [[string, any]];
    expect(account.DeletionPolicy).toBe('Retain');
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(JSON.stringify(withRole.resources[roleId]!.Properties.ManagedPolicyArns)).toContain('AmazonAPIGatewayPushToCloudWatchLogs');
    expect(() => synth({ apiGatewayCloudWatchRole: 'yes' })).toThrow(/apiGatewayCloudWatchRole must be true or false/);
  });
});

describe('execution roles', () => {
  it('give each function its own log group through an inline policy, no managed policy', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(30);
    for (const [id, fn] of functions) {
      const role = resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      expect(statements, id).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } },
      ]);
    }
  });
});

