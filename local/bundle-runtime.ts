/**
 * Wires the bundle runtime: reads the functions of the synthesized stack
 * (local/stack.ts synthesizes it first when stale), gives each the environment its template gives it
 * (table names, endpoints and the secret's ARN resolved to the local
 * stand-ins) plus what Lambda itself sets (region, credentials of its own
 * role, function name), and serves the AWS APIs they call on a local
 * endpoint that enforces each role's policies (local/aws-endpoint.ts).
 */
import { consumerConstructId, streamConsumers } from '../lambdas/streams/table';
import { jobConstructId, scheduledJobs } from '../lambdas/scheduled/table';
import { deliverLocally, targetEnvelope } from '../lambdas/notifications/offline-events';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { HttpApiResult } from '../lambdas/files/aws-handler';
import type { FileStore } from '../lambdas/files/server';
import type { RouteResponse } from '../lambdas/middleware/aws-event';
import { MANAGE_CONNECTIONS } from '../lib/grants';
import { constructIdOf, plannedFunctions, type Routing } from '../lib/routing';
import { startLocalAws, type LocalAws } from './aws-endpoint';
import { BundleFunction } from './bundles';
import { killPoint, type Faults } from './faults';
import { DiskFileStore, MemoryFileStore, type LocalFileServer } from './file-server';
import { startLocalHttpApi, type CorsConfiguration } from './http-api';
import type { RouteHandler } from './gateway';
import { accessDeniedMessage, accessKeyOf, firstDenied, type Principal } from './iam';
import { managementError, type ManagementRefusal } from './management-errors';
import { localS3 } from './s3';
import { LOCAL_ACCOUNT, LOCAL_REGION, readSynthesizedStack, tableNameFromPath, type Resource, type SynthesizedFunction } from './template';

/**
 * The file server as deployed: its HTTP API (local/http-api.ts) in front of
 * the file server's bundle, whose S3 calls reach the local store.
 * `files` is the function, known once the runtime has started.
 */
export async function startBundleFileServer(
  assembly: string,
  options: { port: number; host?: string; dataDir?: string },
  files: () => BundleFunction,
): Promise<LocalFileServer> {
  const store = options.dataDir ? await DiskFileStore.open(join(options.dataDir, 'files')) : new MemoryFileStore();
  const api = await startLocalHttpApi({ port: options.port, host: options.host, ...fileApiOf(assembly), invoke: (event) => files().invoke(event) as Promise<HttpApiResult> });
  return { url: api.url, port: api.port, store, close: api.close };
}

/** The file server's construct (lib/file-storage.ts in the stack). */
const FILES_CONSTRUCT_ID = 'Files';

/** The file server's HTTP API as the template defines it: its route keys and CORS configuration. */
function fileApiOf(assembly: string): { routeKeys: string[]; cors?: CorsConfiguration } {
  const { resources } = readSynthesizedStack(assembly, { tableNameOf: (_, r) => tableNameFromPath(r) });
  const [apiId, api] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties!.ProtocolType === 'HTTP') ?? [];
  if (!apiId) throw new Error(`${assembly} has no HTTP API for the file server`);
  const routeKeys = Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties!.ApiId?.Ref === apiId)
    .map((r) => String(r.Properties!.RouteKey));
  return { routeKeys, cors: api!.Properties!.CorsConfiguration as CorsConfiguration | undefined };
}

export interface BundleRuntimeOptions {
  routing: Routing;
  /** The cloud assembly (ensureSynth). */
  assembly: string;
  dynamoEndpoint: string;
  managementEndpoint: string;
  filesUrl: string;
  tokenSecret: string;
  /** Local overrides on top of the template's environment (SCRYPT_LOG_N, LOG_LEVEL, …). */
  env: Record<string, string>;
  /** The files bucket's objects (the local file store), and overrides for the file server's function only. */
  fileStore: FileStore;
  filesEnv: Record<string, string>;
  /** Waited by each new instance after its import: the platform's part of a cold start (the latency model's). */
  coldStart?: () => Promise<void>;
  /** The fault mode: `killInstance` terminates route functions' workers mid-invocation. */
  faults?: Faults;
}

export interface BundleRuntime {
  /** By route key. */
  functions: ReadonlyMap<string, BundleFunction>;
  handlers: ReadonlyMap<string, RouteHandler>;
  /** The file server's function (behind local/http-api.ts). */
  files: BundleFunction;
  /** The stream consumers' functions, by module (lambdas/streams/table.ts). */
  consumers: ReadonlyMap<string, BundleFunction>;
  /** The scheduled functions, by module (lambdas/scheduled/table.ts). */
  jobs: ReadonlyMap<string, BundleFunction>;
  aws: LocalAws;
  /** The Management API's IAM check for a signed request (`resource` as execute-api names it). */
  authorizeManagement(req: IncomingMessage, method: string, connectionId: string): ManagementRefusal | undefined;
  close(): Promise<void>;
}

export async function startBundleRuntime(options: BundleRuntimeOptions): Promise<BundleRuntime> {
  const { assembly } = options;
  const isWebSocketApi = (r: Resource) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties!.ProtocolType === 'WEBSOCKET';
  const { functions, resources } = readSynthesizedStack(assembly, {
    tableNameOf: (_, r) => tableNameFromPath(r),
    urlOfApi: (_, r) => (isWebSocketApi(r) ? options.managementEndpoint : options.filesUrl),
  });
  // The Management API's ARN prefix, as execute-api names it (the API id is lower case on AWS).
  const webSocketApiId = Object.entries(resources).find(([, r]) => isWebSocketApi(r))?.[0].toLowerCase();

  const byConstructId = new Map(functions.map((fn) => [fn.path.split('/')[1], fn]));
  const planned = plannedFunctions(options.routing).map((p) => {
    const fn = byConstructId.get(constructIdOf(p.routeKey));
    if (!fn) throw new Error(`${assembly} has no function for route ${p.routeKey} (routing ${options.routing}): synthesize again`);
    return { routeKey: p.routeKey, fn };
  });

  const accessKeyOfFunction = (fn: SynthesizedFunction) => `LOCAL${fn.logicalId}`;
  const principals = new Map<string, Principal>(functions.map((fn) => [accessKeyOfFunction(fn), { name: `${fn.logicalId}Role`, statements: fn.statements }]));
  const secretArns = new Set(functions.map((fn) => fn.environment.TOKEN_SECRET_ARN).filter((arn): arn is string => Boolean(arn)));
  const filesFunction = byConstructId.get(FILES_CONSTRUCT_ID);
  if (!filesFunction?.environment.FILES_BUCKET) throw new Error(`${assembly} has no file server function (${FILES_CONSTRUCT_ID})`);
  const aws = await startLocalAws({
    dynamoEndpoint: options.dynamoEndpoint,
    principals,
    secrets: new Map([...secretArns].map((arn) => [arn, options.tokenSecret])),
    s3: localS3(new Map([[filesFunction.environment.FILES_BUCKET, options.fileStore]])),
    // Every bus's events go where the in-process runtime sends them: a log line and OFFLINE_WEBHOOK_URL.
    events: (entry) => deliverLocally(options.env.OFFLINE_WEBHOOK_URL, targetEnvelope(entry.Source, entry.DetailType, JSON.parse(entry.Detail), LOCAL_REGION)),
  });

  const environmentOf = (fn: SynthesizedFunction, overrides: Record<string, string>) => (): Record<string, string> => ({
    ...fn.environment,
    // What the Lambda runtime sets: region, the role's (here: the function's own) credentials, identity, UTC.
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: accessKeyOfFunction(fn),
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    TZ: ':UTC',
    // Local: every AWS SDK client of the function reaches the local services.
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...overrides,
  });

  const kills = options.faults && killPoint(options.faults);
  const bundleFunctions = new Map(
    planned.map(({ routeKey, fn }) => [routeKey, new BundleFunction(fn, environmentOf(fn, options.env), { platformStart: options.coldStart, killAfterMs: kills })]),
  );
  const files = new BundleFunction(filesFunction, environmentOf(filesFunction, options.filesEnv), { platformStart: options.coldStart });
  // Under the stack's Streams construct (lib/stream-consumers.ts; not imported: it loads the CDK).
  const consumers = new Map(
    streamConsumers.map((consumer) => {
      const fn = functions.find((f) => f.path.split('/').slice(1, 3).join('/') === `Streams/${consumerConstructId(consumer)}`);
      if (!fn) throw new Error(`${assembly} has no function for stream consumer ${consumer.module}: synthesize again`);
      return [consumer.module, new BundleFunction(fn, environmentOf(fn, options.env), { platformStart: options.coldStart })] as const;
    }),
  );
  // Under the stack's Scheduled construct (lib/scheduled-jobs.ts).
  const jobs = new Map(
    scheduledJobs.map((job) => {
      const fn = functions.find((f) => f.path.split('/').slice(1, 3).join('/') === `Scheduled/${jobConstructId(job)}`);
      if (!fn) throw new Error(`${assembly} has no function for scheduled job ${job.module}: synthesize again`);
      return [job.module, new BundleFunction(fn, environmentOf(fn, options.env), { platformStart: options.coldStart })] as const;
    }),
  );
  return {
    consumers,
    jobs,
    functions: bundleFunctions,
    handlers: new Map([...bundleFunctions].map(([routeKey, fn]) => [routeKey, (event, context) => fn.invoke(event, context) as Promise<RouteResponse>])),
    files,
    aws,
    authorizeManagement(req, method, connectionId) {
      const principal = principals.get(accessKeyOf(req.headers.authorization) ?? '');
      const request = {
        action: MANAGE_CONNECTIONS,
        resource: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${webSocketApiId}/${managementStage(req)}/${method}/@connections/${connectionId}`,
      };
      if (!principal || !firstDenied(principal, [request])) return undefined;
      return managementError(403, 'AccessDeniedException', accessDeniedMessage(principal, request));
    },
    async close() {
      await Promise.all([...bundleFunctions.values(), files, ...consumers.values(), ...jobs.values()].map((fn) => fn.close()));
      await aws.close();
    },
  };
}

/** The stage segment of a Management API path (`/prod/@connections/…`), as execute-api ARNs name it. */
const managementStage = (req: IncomingMessage): string => /^\/([^/@]+)\/@connections\//.exec(req.url ?? '')?.[1] ?? 'local';
