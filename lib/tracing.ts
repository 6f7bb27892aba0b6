/**
 * Optional X-Ray active tracing (`-c tracing=true`): each function samples
 * its invocations into X-Ray (cold start, handler time, overhead). The role
 * gets the two X-Ray write actions, which take no resource ARN. Off by
 * default: traces cost ($5 per million recorded after the free tier) and the
 * frame line already has latency and DynamoDB cost per frame.
 * TRACING_ENVIRONMENT goes into every function's environment (and, through
 * lib/route-function.ts, into its bundle): the SDK clients get X-Ray
 * subsegments (lambdas/xray.ts), so a trace shows each DynamoDB request and
 * each push.
 */
import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';

/** The flag lambdas/xray.ts reads. */
export const TRACING_ENVIRONMENT = { TRACE_AWS_CLIENTS: 'true' } as const;

export function traceFunctions(functions: readonly LambdaFunction[]): void {
  for (const fn of functions) {
    (fn.node.defaultChild as CfnFunction).tracingConfig = { mode: 'Active' };
    fn.addToRolePolicy(new PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS documents * only).',
    });
  }
}
