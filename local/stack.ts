/**
 * The whole backend on this machine: embedded DynamoDB, the local gateway and
 * the functions, wired by environment variables exactly as the CDK stack
 * wires them, under the same IAM grants. Two runtimes:
 * - `in-process` (default): the handler modules of lambdas/ imported here;
 * - `bundles` (LOCAL_RUNTIME=bundles): the synthesized asset bundles, each
 *   function in isolates of its own, with the template's environment and
 *   policies (local/bundles.ts).
 * And two routings (ROUTING, lib/routing.ts), as `cdk deploy -c routing=…`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDeps, resetDeps } from '../lambdas/deps';
import { parseRateLimits, readConfig } from '../lambdas/config';
import { rateLimitedFrames, unlimitedFramesIn } from '../lambdas/routes/table';
import { tables } from '../lambdas/storage/tables';
import { consumerRoute, streamConsumers } from '../lambdas/streams/table';
import { jobRoute, scheduledJobs } from '../lambdas/scheduled/table';
import type { BatchResponse, StreamEvent } from '../lambdas/streams/records';
import { parseRouting, plannedFunctions, type Routing } from '../lib/routing';
import { startBundleFileServer, startBundleRuntime, type BundleRuntime } from './bundle-runtime';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { startFileServer, type LocalFileServer } from './file-server';
import { parseFaults } from './faults';
import { installInstanceKills, killable } from './instance-kills';
import { startGateway, type Gateway, type RouteHandler } from './gateway';
import { latencyModelFromEnv, type LatencyModel } from './latency-model';
import { enforceIam, inProcessHandlers, runAs } from './in-process';
import { ensureSynth } from './synth';

const RUNTIMES = ['in-process', 'bundles'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export function parseRuntime(value: string | undefined): Runtime {
  if (value === undefined || value === '') return 'in-process';
  if (!(RUNTIMES as readonly string[]).includes(value)) throw new Error(`LOCAL_RUNTIME must be one of ${RUNTIMES.join(', ')}, got ${value}`);
  return value as Runtime;
}

export interface LocalStackOptions {
  /** WebSocket + Management API port; 0 = any free port. @default 8080 */
  port?: number;
  /** Embedded DynamoDB port; 0 = any. @default port + 1 (0 when port is 0) */
  dynamoPort?: number;
  /** Interface to listen on. @default 127.0.0.1 */
  host?: string;
  /** Keep data on disk here; in memory when absent. */
  dataDir?: string;
  /** Extra environment for the handlers (SCRYPT_LOG_N, ALLOWED_ORIGINS, …). */
  env?: Record<string, string>;
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
  /** TTL sweep period of the embedded DynamoDB. @default 5000 */
  sweepIntervalMs?: number;
  /** File server port (protocol §7); 0 = any. @default $FILES_PORT, else port + 2 (0 when port is 0) */
  filesPort?: number;
  /** Largest upload to the file server, in bytes. @default $MAX_FILE_BYTES, else 25 MiB */
  maxFileBytes?: number;
  /** @default $LOCAL_RUNTIME, else 'in-process' */
  runtime?: Runtime;
  /** @default $ROUTING, else 'routes' */
  routing?: Routing;
  /** Period of the scheduled functions (the connection sweeper), as EventBridge runs them on AWS; 0 = off. @default 60000 */
  scheduledIntervalMs?: number;
  /** First retry delay of a failing stream batch. @default 100 */
  streamRetryDelayMs?: number;
  /**
   * Loses the `$disconnect` of the connections it answers true for (API
   * Gateway does not guarantee it): the route is not invoked.
   */
  losesDisconnect?: (connectionId: string) => boolean;
  /** The AWS latency model (local/latency-model.ts). @default from $LATENCY_MODEL, $LATENCY_MODEL_JSON, $LATENCY_MODEL_SEED: none */
  latency?: LatencyModel;
}

export interface LocalStack {
  url: string;
  managementEndpoint: string;
  dynamoEndpoint: string;
  dynamo: EmbeddedDynamo;
  gateway: Gateway;
  /** The file server; `filesUrl` is what `storage urls` are built from. */
  files: LocalFileServer;
  filesUrl: string;
  runtime: Runtime;
  routing: Routing;
  /** The API Gateway routes this stack serves, one function each. */
  routeKeys: string[];
  /** Bundle runtime only: the functions, their instances and cold starts. */
  bundles?: BundleRuntime;
  /** The AWS latency model, when on: `active = false` pauses it. */
  latency?: LatencyModel;
  close(): Promise<void>;
}

/** Local signing key: random per in-memory run, kept beside the data otherwise so tokens survive a restart. */
function tokenSecret(dataDir: string | undefined): string {
  if (!dataDir) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'token-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Sets environment variables; returns a function that puts the previous values back. */
function setEnv(values: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/**
 * The stream consumers: in-process, each as its function's principal; in the
 * bundle runtime, their synthesized bundles.
 */
async function subscribeStreamConsumers(dynamo: EmbeddedDynamo, bundles: BundleRuntime | undefined): Promise<void> {
  for (const consumer of streamConsumers) {
    let handler: (event: StreamEvent) => Promise<BatchResponse>;
    const bundle = bundles?.consumers.get(consumer.module);
    if (bundle) {
      handler = async (event) => (await bundle.invoke(event)) as BatchResponse;
    } else {
      const module = (await import(`../lambdas/streams/${consumer.module}.ts`)) as { handler: typeof handler };
      handler = runAs(consumerRoute(consumer), module.handler);
    }
    await dynamo.streams.subscribe({ ...consumer, name: consumer.module, handler });
  }
}

/**
 * The scheduled functions (lambdas/scheduled/table.ts) every `intervalMs`:
 * in-process as their function's principal, or their bundles; a run never
 * overlaps the previous one, and a failure is logged (the next run comes).
 * Returns a function that stops them and waits for a run in progress.
 */
async function startScheduledJobs(bundles: BundleRuntime | undefined, intervalMs: number): Promise<() => Promise<void>> {
  if (intervalMs <= 0) return async () => {};
  const runs: (() => Promise<unknown>)[] = [];
  for (const job of scheduledJobs) {
    const bundle = bundles?.jobs.get(job.module);
    if (bundle) {
      runs.push(() => bundle.invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }));
    } else {
      const module = (await import(`../lambdas/scheduled/${job.module}.ts`)) as { handler: () => Promise<unknown> };
      runs.push(runAs(jobRoute(job), module.handler));
    }
  }
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= Promise.all(runs.map((run) => run().catch((error: unknown) => console.warn('[local] scheduled job failed:', error))))
      .then(() => {})
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const port = options.port ?? 8080;
  const runtime = options.runtime ?? parseRuntime(process.env.LOCAL_RUNTIME);
  const routing = options.routing ?? parseRouting(process.env.ROUTING, 'ROUTING');
  const planned = plannedFunctions(routing);
  // This stack's settings: its own env over the process's.
  const env = { ...process.env, ...options.env };
  const unlimited = unlimitedFramesIn(parseRateLimits(env.RATE_LIMITS));
  if (unlimited.length > 0) throw new Error(`RATE_LIMITS names frames that take no bucket: ${unlimited.join(', ')} (limited: ${rateLimitedFrames.join(', ')})`);
  // Bundle runtime: filled once the endpoints its functions call are known (before any client can connect).
  const handlers = runtime === 'in-process' ? await inProcessHandlers(planned) : new Map<string, RouteHandler>();
  let bundles: BundleRuntime | undefined;
  const assembly = runtime === 'bundles' ? await ensureSynth(routing === 'dispatcher' ? { context: { routing: 'dispatcher' } } : {}) : undefined;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const latency = options.latency ?? latencyModelFromEnv(env);
  const faults = parseFaults(env.FAULTS, Number(env.FAULTS_SEED ?? 1));
  const dynamo = await startEmbeddedDynamo({
    latency,
    faults,
    dataDir: options.dataDir,
    port: options.dynamoPort ?? (port === 0 ? 0 : port + 1),
    sweepIntervalMs: options.sweepIntervalMs ?? 5000,
    tables,
    streams: { retryDelayMs: options.streamRetryDelayMs },
  });
  let gateway: Gateway;
  let files: LocalFileServer;
  try {
    gateway = await startGateway({
      port,
      host: options.host,
      handlers,
      authorizeManagement: (req, method, connectionId) => bundles?.authorizeManagement(req, method, connectionId),
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnectionMs: options.maxConnectionMs,
      losesDisconnect: options.losesDisconnect,
      faults,
      latency,
    });
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  const filesPort = options.filesPort ?? (env.FILES_PORT ? Number(env.FILES_PORT) : port === 0 ? 0 : port + 2);
  const maxFileBytes = options.maxFileBytes ?? (env.MAX_FILE_BYTES ? Number(env.MAX_FILE_BYTES) : undefined);
  try {
    files = assembly
      ? await startBundleFileServer(assembly, { port: filesPort, host: options.host, dataDir: options.dataDir }, () => bundles!.files)
      : await startFileServer({
          port: filesPort,
          dataDir: options.dataDir,
          maxBytes: maxFileBytes,
          allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
        });
  } catch (error) {
    await gateway.close();
    await dynamo.close();
    throw error;
  }
  const restoreEnv = setEnv({
    CONNECTIONS_TABLE: 'Connections',
    DATA_TABLE: 'Data',
    CHUNKS_TABLE: 'Chunks',
    AWS_REGION: 'local',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    MANAGEMENT_ENDPOINT: gateway.managementEndpoint,
    TOKEN_SECRET: tokenSecret(options.dataDir),
    // The real file server; `env.FILES_URL` overrides it (e.g. a public URL in front of it).
    FILES_URL: files.url,
    ...options.env,
  });
  resetDeps();
  readConfig(); // fail now, not on the first frame
  enforceIam(getDeps());
  if (runtime === 'in-process') {
    installInstanceKills(faults, getDeps());
    for (const [routeKey, handler] of handlers) handlers.set(routeKey, killable(handler));
  }
  if (assembly) {
    try {
      bundles = await startBundleRuntime({
        routing,
        assembly,
        dynamoEndpoint: dynamo.endpoint,
        managementEndpoint: gateway.managementEndpoint,
        filesUrl: files.url,
        tokenSecret: process.env.TOKEN_SECRET!,
        coldStart: latency && (() => latency.wait('coldStart')),
        faults,
        env: options.env ?? {},
        fileStore: files.store,
        // The template's limit and origins unless this stack is given others.
        filesEnv: {
          ...(maxFileBytes !== undefined ? { MAX_FILE_BYTES: String(maxFileBytes) } : {}),
          ...(env.ALLOWED_ORIGINS !== undefined ? { ALLOWED_ORIGINS: env.ALLOWED_ORIGINS } : {}),
        },
      });
    } catch (error) {
      await gateway.close();
      await files.close();
      await dynamo.close();
      restoreEnv();
      throw error;
    }
    for (const [routeKey, handler] of bundles.handlers) handlers.set(routeKey, handler);
  }
  await subscribeStreamConsumers(dynamo, bundles);
  const stopScheduledJobs = await startScheduledJobs(bundles, options.scheduledIntervalMs ?? 60_000);
  return {
    runtime,
    routing,
    routeKeys: planned.map((p) => p.routeKey),
    bundles,
    latency,
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    dynamoEndpoint: dynamo.endpoint,
    dynamo,
    gateway,
    files,
    filesUrl: readConfig().filesUrl,
    async close() {
      await stopScheduledJobs();
      // First: the consumers' functions go away below; the records of the closing connections are journalled on disk (delivered at the next start) or dropped in memory.
      await dynamo.streams.close();
      await gateway.close();
      await bundles?.close();
      await files.close();
      await dynamo.close();
      // The next stack in this process (tests restart it) must not inherit this one's settings.
      restoreEnv();
      resetDeps();
    },
  };
}
