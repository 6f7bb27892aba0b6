/**
 * cdk-nag's AwsSolutions pack on the synthesized stack, with each option the
 * stack takes: no finding may stand unless lib/nag.ts acknowledges it with a
 * reason. cdk-nag 3 is a CDK validation plugin, but CDK does not yet hand
 * plugins the construct tree, so the test runs the pack on the app directly.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { MessengerStack } from '../lib/messenger-stack';

const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

function findings(context: Record<string, unknown>): string[] {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new MessengerStack(app, 'Messenger');
  Template.fromStack(stack); // synthesize first: aspects and lazy values are in place
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} on ${r.resourceLogicalId ?? r.templatePath}`));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    expect(findings({})).toEqual([]);
  });

  it('finds nothing unacknowledged with the options set', () => {
    expect(findings({ stage: 'staging', apiGatewayCloudWatchRole: 'true', alarmEmail: 'ops@example.com', tracing: 'true', allowedOrigins: 'https://app.example.com' })).toEqual([]);
    expect(
      findings({
        stageName: 'beta',
        domainName: 'chat.example.com',
        certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab',
        filesDomainName: 'files.example.com',
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'example.com',
      }),
    ).toEqual([]);
  });

  it('does report a finding nobody acknowledged (the check can fail)', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const stack = new MessengerStack(app, 'Messenger');
    // A role with the managed basic execution policy: what every function had before lib/function-role.ts.
    new Role(stack, 'Unreviewed', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    Template.fromStack(stack);
    const names = new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName);
    expect(names.some((n) => n.startsWith('AwsSolutions-IAM4'))).toBe(true);
  });
});
