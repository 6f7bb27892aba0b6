/**
 * The cdk-nag (AwsSolutions pack) findings this stack keeps on purpose, each
 * acknowledged on the resources it concerns with its reason. Everything else
 * the pack reports is a defect: test/nag.test.ts runs the pack on the
 * synthesized stack, with every option, and fails on any finding not
 * acknowledged here.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import type { FileStorage } from './file-storage';
import type { StreamConsumers } from './stream-consumers';

export interface NagSubject {
  readonly api: IConstruct;
  readonly stageName: string;
  readonly tokenSecret: IConstruct;
  readonly files?: FileStorage;
  readonly streams?: StreamConsumers;
}

const logicalIdOf = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

export function acknowledgeNagFindings(stack: Stack, subject: NagSubject): void {
  Validations.of(subject.tokenSecret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The token signing key is not rotated on a schedule: every login token (30 days, renewed on each auth by token) is signed with it, ' +
      'and a new key would log every user out. A suspected leak is answered by replacing the key by hand (docs/deploy.md), which ends every login on purpose.',
  });

  // Connection ids are only known at run time; the grant is already limited to this API, this stage and @connections.
  Validations.of(stack).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalIdOf(subject.api)}>/${subject.stageName}/*/@connections/*]`,
    reason: 'Pushes and closes go to connections by id, known only at run time; the grant names this API and stage, and only the @connections resource.',
  });

  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof CfnRoute)) continue;
    const ofFiles = subject.files !== undefined && construct.node.path.startsWith(subject.files.node.path + '/');
    Validations.of(construct).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: ofFiles
        ? 'Protocol §7 fixes the file URLs the clients use: a file is reached by its random UUID (a capability URL), with no credentials, and its content is end-to-end encrypted.'
        : 'The protocol authenticates in its frames (auth by credentials / auth by token) on an open connection; every frame route that needs a session checks it in its middleware chain.',
    });
  }

  for (const { fn, deadLetters } of subject.streams?.consumers.values() ?? []) {
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, which Lambda\'s event source mapping needs, has no resource narrower than *; the stream reads themselves name the table\'s stream.',
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of a stream consumer; a message in it raises an alarm.',
    });
  }

  if (subject.files) {
    Validations.of(subject.files.handler.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(subject.files.bucket)}.Arn>/*]`,
      reason: 'Files are objects keyed by their UUIDs, created at run time: the function reads, writes and deletes objects of this one bucket.',
    });
    Validations.of(subject.files.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Every request reaches the bucket through the file server, whose access log records it (method, path, status, request id); S3 server access logs would repeat them.',
    });
  }
}
