/**
 * The file server of protocol §7 on AWS: a private, encrypted S3 bucket behind
 * an HTTP API whose four routes run one small Lambda (lambdas/files/aws-handler.ts)
 * with the same rules as the local server. The stack passes `url` to the
 * frame functions as FILES_URL; `storage urls` are derived from it. Uploads
 * and deletes carry a login's capability, which the Lambda checks with the
 * token secret and one GetItem of the login's token family (`logins`).
 *
 * Why a Lambda that proxies the bytes (and not redirects to presigned S3 URLs):
 * the protocol fixes the client side — it POSTs the file to `{putRaw}<uuid>`.
 * A redirect cannot carry that upload (S3 takes presigned uploads as PUT, or
 * as POST only with its own form fields; a 307 keeps the method and a
 * streamed body cannot be replayed), so uploads must pass through something
 * that accepts the POST; and every stored file then fits in one Lambda
 * response, so downloads need no redirect either. The price is the Lambda
 * payload limit: 6 MB per invocation, with binary bodies base64-encoded
 * (4/3), which caps a file at MAX_LAMBDA_FILE_BYTES. docs/files.md discusses
 * the ways past it.
 */
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FILE_SERVER_READ } from './grants';
import { Architecture, type Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { accessLogs, HTTP_ACCESS_LOG_FIELDS } from './access-logs';
import { CustomDomain, type DomainSettings } from './domains';
import { functionRole } from './function-role';
import { BUNDLING, PROJECT_ROOT, ROUTE_RUNTIME } from './route-function';

/**
 * Largest file the Lambda can take: the 6 MB (6,291,456 bytes) invocation
 * payload holds the base64 body (4/3 of the file) plus the event around it
 * (headers ≤ 10 KB on an HTTP API); 4.25 MiB leaves ~350 KB for that.
 */
export const MAX_LAMBDA_FILE_BYTES = 4.25 * 1024 * 1024;

export const FILE_SERVER_MEMORY_MB = 512;

export interface FileStorageProps {
  /** Where capabilities are checked: the table holding the token families (`Data`) and the token signing secret. */
  readonly logins: { readonly table: ITable; readonly tokenSecret: ISecret };
  /** Largest upload (request body) in bytes; at most MAX_LAMBDA_FILE_BYTES. @default 4 MiB */
  readonly maxFileBytes?: number;
  /** Browser origins allowed by CORS. @default ['*'] (no credentials are involved) */
  readonly allowedOrigins?: string[];
  /** Keep previous versions of deleted files for `noncurrentVersionDays`. @default false */
  readonly versioned?: boolean;
  /** With `versioned`: days a deleted file can still be restored. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** What `cdk destroy` does to the bucket (it holds user files). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Rate limit of the file API (requests per second, burst). @default { rateLimit: 200, burstLimit: 400 } */
  readonly throttle?: ThrottleSettings;
  /** Retention of the function's log and the access log. @default one month */
  readonly logRetention?: RetentionDays;
  /** A custom domain for the file server; `url` is then `https://<domain>/`. @default the execute-api URL */
  readonly domain?: DomainSettings;
  /** @default the route functions' runtime (the newest Node.js of aws-cdk-lib) */
  readonly runtime?: Runtime;
}


export class FileStorage extends Construct {
  readonly bucket: Bucket;
  readonly handler: NodejsFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** Base URL of the file server, ending in `/`: pass it as FILES_URL. */
  readonly url: string;
  readonly maxFileBytes: number;

  constructor(scope: Construct, id: string, props: FileStorageProps) {
    super(scope, id);
    this.maxFileBytes = props.maxFileBytes ?? 4 * 1024 * 1024;
    if (!Number.isSafeInteger(this.maxFileBytes) || this.maxFileBytes <= 0 || this.maxFileBytes > MAX_LAMBDA_FILE_BYTES) {
      throw new Error(`maxFileBytes must be a positive integer ≤ ${MAX_LAMBDA_FILE_BYTES} (Lambda payload limit)`);
    }
    const allowedOrigins = props.allowedOrigins ?? ['*'];

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.versioned
          ? [{ id: 'expire-deleted-files', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30), expiredObjectDeleteMarker: true }]
          : []),
      ],
    });

    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logGroup = new LogGroup(this, 'Logs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    this.handler = new NodejsFunction(this, 'Handler', {
      entry: join(PROJECT_ROOT, 'lambdas', 'files', 'aws-handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: props.runtime ?? ROUTE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: FILE_SERVER_MEMORY_MB,
      timeout: Duration.seconds(20),
      description: 'File server (protocol §7): get / putRaw / put / delete over S3',
      environment: {
        FILES_BUCKET: this.bucket.bucketName,
        MAX_FILE_BYTES: String(this.maxFileBytes),
        ALLOWED_ORIGINS: allowedOrigins.includes('*') ? '' : allowedOrigins.join(','),
        DATA_TABLE: props.logins.table.tableName,
        TOKEN_SECRET_ARN: props.logins.tokenSecret.secretArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
      logGroup,
      role: functionRole(this, 'HandlerRole', logGroup),
      // The routes' bundling: ESM with the `require` banner (the S3 client requires node:https).
      bundling: BUNDLING,
    });
    // Least privilege: objects read / written / deleted, and ListBucket so a missing key is a 404, not a 403.
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    this.handler.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    // Capabilities: the signing secret, and GetItem on token families only.
    props.logins.tokenSecret.grantRead(this.handler);
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: [...FILE_SERVER_READ.actions], resources: [props.logins.table.tableArn], conditions: structuredClone(FILE_SERVER_READ.conditions) }),
    );

    // One `$default` route: every path and method reaches the function, which answers 400 / 404 / 405 exactly as
    // the local server does (per-action routes would leave API Gateway answering 404 to a wrong method or a bad id).
    this.api = new HttpApi(this, 'Api', {
      description: 'Messenger file server (protocol §7)',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Files', this.handler),
      corsPreflight: {
        allowOrigins: allowedOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
        allowHeaders: ['*'],
        maxAge: Duration.minutes(10),
      },
    });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 200, burstLimit: 400 },
      accessLogSettings: accessLogs(this, 'AccessLogs', HTTP_ACCESS_LOG_FIELDS, retention),
      detailedMetricsEnabled: true,
    });
    this.stage = stage;

    if (props.domain) new CustomDomain(this, 'Domain', { ...props.domain, api: this.api, stage, serves: 'the file server' });
    // The $default stage: https://{api}.execute-api.{region}.{suffix}/
    this.url = props.domain ? `https://${props.domain.domainName}/` : stage.url;
    new CfnOutput(this, 'FilesUrl', { value: this.url, description: 'FILES_URL: base of the storage urls (protocol §7)' });
  }
}
