/**
 * A Lambda execution role that may write to its own log group and nothing
 * else yet: an inline policy in place of the managed
 * AWSLambdaBasicExecutionRole, whose `logs:*` actions apply to every log
 * group of the account (cdk-nag AwsSolutions-IAM4). The log group exists
 * before the function (the stack creates it), so CreateLogGroup is not granted.
 * Grants added later (tables, secret, Management API) land in the role's
 * default policy as usual.
 */
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export function functionRole(scope: Construct, id: string, logGroup: ILogGroup): Role {
  return new Role(scope, id, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: {
      Logs: new PolicyDocument({
        // The log group's ARN ends in `:*`, which covers its log streams.
        statements: [new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
      }),
    },
  });
}
