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
import { isLoginRoute } from '../lib/route-limits';
import { stackIdentity } from '../lib/settings';
import { routes } from '../lambdas/routes/table';
import { tables } from '../lambdas/storage/tables';
import { streamConsumers } from '../lambdas/streams/table';

const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

function synth(context: Record<string, unknown> = {}, id = 'Messenger') {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new MessengerStack(app, id);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, { Type: string; Properties: any; DeletionPolicy?: string; DependsOn?: string[] }> };
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


describe('stages', () => {
  it('names the stack after the stage: Messenger, or Messenger-<stage> with -c stage=…', () => {
    expect(stackIdentity(new App().node)).toEqual({ stackName: 'Messenger', stage: undefined });
    expect(stackIdentity(new App({ context: { stage: 'staging' } }).node)).toEqual({ stackName: 'Messenger-staging', stage: 'staging' });
    expect(stackIdentity(new App({ context: { stage: 'staging', stackName: 'Chat-test' } }).node).stackName).toBe('Chat-test');
    expect(() => stackIdentity(new App({ context: { stage: 'my stage' } }).node)).toThrow(/context stage must be/);
  });

  it('gives a staging stack its own API stage and no fixed physical name, so it deploys beside production', () => {
    const staging = synth({ stage: 'staging' }, 'Messenger-staging');
    const stage = ofType(staging.resources, 'AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.StageName !== '$default')![1];
    expect(stage.Properties.StageName).toBe('staging');
    expect(ofType(staging.resources, 'AWS::Lambda::Function').length).toBe(ofType(resources, 'AWS::Lambda::Function').length);
    expect(ofType(staging.resources, 'AWS::DynamoDB::Table').length).toBe(ofType(resources, 'AWS::DynamoDB::Table').length);
    // Names an account holds once: none is set, so CloudFormation derives each from the stack name.
    const named: Record<string, string> = {
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::IAM::Role': 'RoleName',
    };
    for (const [id, r] of Object.entries(staging.resources)) {
      if (named[r.Type]) expect(r.Properties?.[named[r.Type]!], id).toBeUndefined();
    }
    const api = ofType(staging.resources, 'AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'WEBSOCKET')![1];
    expect(api.Properties.Name).toBe('Messenger-staging-api');
  });
});

describe('custom domains', () => {
  const CERT = 'arn:aws:acm:eu-central-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';
  const FILES_CERT = 'arn:aws:acm:eu-central-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

  it('has none by default', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  it('maps the WebSocket API and the file server to their domains, with alias records in the given zone', () => {
    const { template: t, resources: r } = synth({
      domainName: 'chat.example.com',
      certificateArn: CERT,
      filesDomainName: 'files.example.com',
      filesCertificateArn: FILES_CERT,
      hostedZoneId: 'Z0123456789ABC',
      hostedZoneName: 'example.com',
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'chat.example.com',
      DomainNameConfigurations: [{ CertificateArn: CERT, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'files.example.com', DomainNameConfigurations: [{ CertificateArn: FILES_CERT, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }] });
    const mappings = ofType(r, 'AWS::ApiGatewayV2::ApiMapping').map(([, m]) => m.Properties);
    expect(mappings).toHaveLength(2);
    const apiOf = (protocol: string) => ofType(r, 'AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === protocol)![0];
    expect(mappings.map((m) => m.ApiId.Ref).sort()).toEqual([apiOf('WEBSOCKET'), apiOf('HTTP')].sort());
    const records = ofType(r, 'AWS::Route53::RecordSet').map(([, rs]) => `${rs.Properties.Type} ${rs.Properties.Name} ${rs.Properties.HostedZoneId}`);
    expect(records.sort()).toEqual(
      ['A chat.example.com.', 'AAAA chat.example.com.', 'A files.example.com.', 'AAAA files.example.com.'].map((x) => `${x} Z0123456789ABC`).sort(),
    );
    // Clients are told the custom names: the wss:// output, and FILES_URL of every function.
    expect(t.toJSON().Outputs.WebSocketUrl.Value).toBe('wss://chat.example.com');
    const filesUrls = new Set(ofType(r, 'AWS::Lambda::Function').map(([, f]) => f.Properties.Environment.Variables.FILES_URL).filter(Boolean));
    expect([...filesUrls]).toEqual(['https://files.example.com/']);
  });

  it('without a zone, prints where the CNAME should point; one certificate may serve both names', () => {
    const { resources: r, template: t } = synth({ domainName: 'chat.example.com', certificateArn: CERT, filesDomainName: 'files.example.com' });
    expect(ofType(r, 'AWS::Route53::RecordSet')).toEqual([]);
    const certs = ofType(r, 'AWS::ApiGatewayV2::DomainName').map(([, d]) => d.Properties.DomainNameConfigurations[0].CertificateArn);
    expect(certs).toEqual([CERT, CERT]);
    const outputs = Object.keys(t.toJSON().Outputs);
    expect(outputs.filter((o) => o.includes('DnsTarget'))).toHaveLength(2);
  });

  it('refuses incomplete or contradictory domain settings, naming the key', () => {
    expect(() => synth({ domainName: 'chat.example.com' })).toThrow(/domainName needs certificateArn/);
    expect(() => synth({ domainName: 'Chat Example', certificateArn: CERT })).toThrow(/context domainName must be a lower-case DNS name/);
    expect(() => synth({ domainName: 'chat.example.com', certificateArn: 'arn:aws:iam::1:role/x' })).toThrow(/certificateArn must be an ACM certificate ARN/);
    expect(() => synth({ domainName: 'chat.example.com', certificateArn: CERT, hostedZoneId: 'Z1' })).toThrow(/hostedZoneId and hostedZoneName go together/);
    expect(() => synth({ domainName: 'chat.other.org', certificateArn: CERT, hostedZoneId: 'Z1', hostedZoneName: 'example.com' })).toThrow(/not in the hosted zone/);
    expect(() => synth({ filesDomainName: 'files.example.com', certificateArn: CERT, filesUrl: 'https://cdn.example.com/' })).toThrow(/filesUrl says there is none/);
  });
});

describe('alarms and dashboard', () => {
  it('alarms when any stream consumer falls a minute behind its stream', () => {
    const ages = ofType(resources, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'IteratorAge');
    expect(ages).toHaveLength(streamConsumers.length);
    for (const [, age] of ages) expect(age.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 60_000 });
  });

  const alarms = () => ofType(resources, 'AWS::CloudWatch::Alarm').map(([id, a]) => ({ id, ...a.Properties }));
  const metricsOf = (alarm: any): any[] => (alarm.Metrics ?? []).filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
  const functionIds = () => ofType(resources, 'AWS::Lambda::Function').map(([id]) => id);

  it('alarms on each function failing or being throttled', () => {
    for (const fnId of functionIds()) {
      const own = alarms().filter((a) => metricsOf(a).some((m) => m.Dimensions?.[0]?.Value?.Ref === fnId));
      expect(own, fnId).toHaveLength(1);
      expect(metricsOf(own[0]).map((m) => m.MetricName).sort(), fnId).toEqual(['Errors', 'Throttles']);
      expect(own[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    }
  });

  it('alarms on WebSocket integration and execution errors, file server 5xx, and DynamoDB throttles and system errors of each table', () => {
    const byMetric = (name: string) => alarms().filter((a) => a.MetricName === name || metricsOf(a).some((m) => m.MetricName === name));
    expect(byMetric('IntegrationError')).toHaveLength(1);
    expect(byMetric('ExecutionError')).toHaveLength(1);
    expect(byMetric('5xx')).toHaveLength(1);
    expect(byMetric('ReadThrottleEvents')).toHaveLength(tables.length);
    expect(byMetric('WriteThrottleEvents')).toHaveLength(tables.length);
    const systemErrors = byMetric('SystemErrors');
    expect(systemErrors).toHaveLength(tables.length);
    expect(metricsOf(systemErrors[0]).length).toBeLessThanOrEqual(10); // CloudWatch's limit of metrics per alarm
    for (const a of alarms()) expect(String(a.AlarmDescription).length, `${a.id} says what to do`).toBeGreaterThan(60);
  });

  it('notifies nobody unless alarmEmail is given; then every alarm and its recovery go to one topic with the address subscribed', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of alarms()) expect(a.AlarmActions, a.id).toBeUndefined();
    const withEmail = synth({ alarmEmail: 'ops@example.com' });
    withEmail.template.resourceCountIs('AWS::SNS::Topic', 1);
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const topicId = ofType(withEmail.resources, 'AWS::SNS::Topic')[0]![0];
    const notified = ofType(withEmail.resources, 'AWS::CloudWatch::Alarm');
    expect(notified.length).toBe(alarms().length);
    for (const [id, a] of notified) {
      expect(a.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
    }
    expect(() => synth({ alarmEmail: 'ops at example' })).toThrow(/alarmEmail must be an email address/);
  });

  it('draws one dashboard: frames by route, latency percentiles, errors, connections, DynamoDB units and cost per hour', () => {
    const dashboards = ofType(resources, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // The body is a Fn::Join of literals and tokens; the literal parts carry the titles and expressions.
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    for (const title of ['Frames per second by route', 'Latency: integration p50 / p99', 'Errors', 'Connections and messages', 'DynamoDB consumed units', 'Estimated cost, USD per hour']) {
      expect(body).toContain(title);
    }
    for (const route of routes) expect(body, route.event).toContain(JSON.stringify(`"label":"${route.event}"`).slice(1, -1));
    expect(body).toContain('p99');
    expect(body).toContain('ConsumedWriteCapacityUnits');
    expect(body).not.toMatch(/\de-\d/); // prices written as plain decimals: metric math has no exponent
  });
});

describe('route limits', () => {
  const wsStage = (r: typeof resources) => ofType(r, 'AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.StageName !== '$default')![1] as { Properties: any; DependsOn?: string[] };

  it('throttles the login frames tighter than the stage default, with detailed metrics on every route', () => {
    const stage = wsStage(resources);
    const logins = routes.filter(isLoginRoute).map((r) => r.event);
    expect(logins.sort()).toEqual(['auth by credentials', 'auth by token', 'subscribe']);
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual(logins);
    for (const key of logins) {
      expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DetailedMetricsEnabled: true });
    }
    // Deployed after those routes: CloudFormation refuses settings of a route it has not created.
    const loginRouteIds = ofType(resources, 'AWS::ApiGatewayV2::Route').filter(([, r]) => logins.includes(r.Properties.RouteKey)).map(([id]) => id);
    expect(loginRouteIds).toHaveLength(3);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(loginRouteIds));
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000, DetailedMetricsEnabled: true });
    const tuned = wsStage(synth({ loginThrottleRateLimit: '5', loginThrottleBurstLimit: '10' }).resources);
    expect(tuned.Properties.RouteSettings['auth by token']).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
  });

  it('reserves concurrency only for the routes named, and refuses an unknown route or a bad number', () => {
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const { resources: r } = synth({ reservedConcurrency: '{"new message": 50, "auth by credentials": 10}' });
    const reserved = Object.fromEntries(
      ofType(r, 'AWS::Lambda::Function')
        .filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined)
        .map(([, fn]) => [String(fn.Properties.Description).split(':')[0], fn.Properties.ReservedConcurrentExecutions]),
    );
    expect(reserved).toEqual({ 'route new message': 50, 'route auth by credentials': 10 });
    expect(synth({ reservedConcurrency: { ping: 2 } }).resources).toBeDefined(); // cdk.json gives an object
    expect(() => synth({ reservedConcurrency: '{"no such frame": 5}' })).toThrow(/names "no such frame", which is no route/);
    expect(() => synth({ reservedConcurrency: '{"ping": 0}' })).toThrow(/reservedConcurrency must be/);
    expect(() => synth({ reservedConcurrency: 'ping=5' })).toThrow(/reservedConcurrency must be/);
  });
});

describe('tracing', () => {
  it('is off by default, and -c tracing=true traces every function with the X-Ray write actions on its role', () => {
    for (const [id, fn] of ofType(resources, 'AWS::Lambda::Function')) expect(fn.Properties.TracingConfig, id).toBeUndefined();
    const traced = synth({ tracing: 'true' }).resources;
    const functions = ofType(traced, 'AWS::Lambda::Function');
    expect(functions.length).toBe(ofType(resources, 'AWS::Lambda::Function').length);
    const policies = ofType(traced, 'AWS::IAM::Policy');
    for (const [id, fn] of functions) {
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const actions = policies
        .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
      expect(actions, id).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    }
    expect(() => synth({ tracing: 'on' })).toThrow(/tracing must be true or false/);
  });

  it('sets TRACE_AWS_CLIENTS on every function built from lambdas/ (routes and stream consumers) only with tracing', () => {
    const ours = (all: typeof resources) => ofType(all, 'AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Environment?.Variables?.METRICS_NAMESPACE);
    expect(ours(resources).length).toBeGreaterThan(routes.length);
    for (const [id, fn] of ours(resources)) expect(fn.Properties.Environment.Variables, id).not.toHaveProperty('TRACE_AWS_CLIENTS');
    const traced = ours(synth({ tracing: 'true' }).resources);
    expect(traced.length).toBe(ours(resources).length);
    for (const [id, fn] of traced) expect(fn.Properties.Environment.Variables.TRACE_AWS_CLIENTS, id).toBe('true');
  });
});
