/**
 * API Gateway access logs: one JSON line per request (per WebSocket message
 * and connect / disconnect), in a log group of its own with the stack's
 * retention. CloudWatch Logs Insights reads the fields without parsing
 * (docs/deploy.md has the queries).
 *
 * WebSocket (and REST) stages write access logs through the account's
 * API Gateway CloudWatch role, one per account and region, which a stack
 * should not change behind the account's back: `ApiGatewayAccountRole` sets
 * it only when asked (context `apiGatewayCloudWatchRole=true`). HTTP APIs
 * (the file server) log without it.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, type IAccessLogSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Fields of a WebSocket access log line: who, which route, how it ended and how long the function took. */
export const WEBSOCKET_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
} as const;

/** Fields of a file server access log line. */
export const HTTP_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
} as const;

export function accessLogs(scope: Construct, id: string, fields: Readonly<Record<string, string>>, retention: RetentionDays): IAccessLogSettings {
  const logGroup = new LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });
  return { destination: new LogGroupLogDestination(logGroup), format: AccessLogFormat.custom(JSON.stringify(fields)) };
}

/** The account-level role API Gateway writes WebSocket access logs with (AWS::ApiGateway::Account). */
export class ApiGatewayAccountRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes access and execution logs of every API in this account and region with this role.',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-wide API Gateway logging role serves every API of the account, whose log groups this stack cannot list; AWS maintains this policy for exactly this role.',
    });
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: this.role.roleArn });
    // Removing the stack leaves the account's setting and its role in place: other APIs of the account may log through them.
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
