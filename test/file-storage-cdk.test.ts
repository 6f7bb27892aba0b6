/** The file-storage construct, synthesized in a stack of its own (bundling skipped) and checked with Template assertions. */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FileStorage, MAX_LAMBDA_FILE_BYTES, type FileStorageProps } from '../lib/file-storage';

function synth(props?: FileStorageProps) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FileStorageTest', { env: { account: '123456789012', region: 'eu-central-1' } });
  const files = new FileStorage(stack, 'Files', props);
  return { files, template: Template.fromStack(stack) };
}

describe('FileStorage', () => {
  const { template } = synth();

  it('keeps the bucket private, encrypted and retained', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    });
  });

  it('refuses requests without TLS, and grants nobody public access', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('serves the four routes of protocol §7 from one function', () => {
    for (const routeKey of ['GET /get/{id}', 'POST /putRaw/{id}', 'POST /put/{id}', 'GET /delete/{id}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 4);
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('answers CORS preflights and throttles on the $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: { AllowOrigins: ['*'], AllowMethods: Match.arrayWith(['GET', 'POST', 'OPTIONS']), AllowHeaders: ['*'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it('configures the function with the bucket and the size limit', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ FILES_BUCKET: { Ref: Match.stringLikeRegexp('FilesBucket') }, MAX_FILE_BYTES: String(4 * 1024 * 1024) }) },
    });
  });

  it('grants the function object access and nothing wider', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('outputs the FILES_URL', () => {
    const outputs = template.findOutputs('*');
    const files = Object.entries(outputs).find(([name]) => name.includes('FilesUrl'));
    expect(files).toBeDefined();
    expect(JSON.stringify(files![1].Value)).toContain('execute-api');
  });

  it('keeps deleted versions for a while when versioned', () => {
    const versioned = synth({ versioned: true, noncurrentVersionDays: 7, removalPolicy: RemovalPolicy.DESTROY }).template;
    versioned.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } })]) },
      },
    });
  });

  it('limits CORS to the given origins', () => {
    const limited = synth({ allowedOrigins: ['https://app.example'] }).template;
    limited.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example'] }) });
    limited.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: 'https://app.example' }) },
    });
  });

  it('refuses a size limit the Lambda payload cannot carry', () => {
    expect(() => synth({ maxFileBytes: MAX_LAMBDA_FILE_BYTES + 1 })).toThrow(/maxFileBytes/);
    expect(() => synth({ maxFileBytes: 0 })).toThrow(/maxFileBytes/);
    expect(synth({ maxFileBytes: MAX_LAMBDA_FILE_BYTES }).files.maxFileBytes).toBe(MAX_LAMBDA_FILE_BYTES);
  });
});
