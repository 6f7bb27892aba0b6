/**
 * The whole backend in one process: embedded DynamoDB, the local gateway and
 * the same handler modules that run on Lambda, wired by environment variables
 * exactly as the CDK stack wires them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resetDeps } from '../lambdas/deps';
import { readConfig } from '../lambdas/config';
import { moduleOf, routes } from '../lambdas/routes/table';
import { tables } from '../lambdas/storage/tables';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { startFileServer, type LocalFileServer } from './file-server';
import { startGateway, type Gateway, type RouteHandler } from './gateway';

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

export async function loadHandlers(): Promise<Map<string, RouteHandler>> {
  const handlers = new Map<string, RouteHandler>();
  for (const route of routes) {
    const module = (await import(`../lambdas/routes/${moduleOf(route.event)}.ts`)) as { handler: RouteHandler };
    handlers.set(route.event, module.handler);
  }
  return handlers;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const port = options.port ?? 8080;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const dynamo = await startEmbeddedDynamo({
    dataDir: options.dataDir,
    port: options.dynamoPort ?? (port === 0 ? 0 : port + 1),
    sweepIntervalMs: options.sweepIntervalMs ?? 5000,
    tables,
  });
  let gateway: Gateway;
  let files: LocalFileServer;
  try {
    gateway = await startGateway({
      port,
      host: options.host,
      handlers: await loadHandlers(),
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnectionMs: options.maxConnectionMs,
    });
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  try {
    const env = { ...process.env, ...options.env };
    files = await startFileServer({
      port: options.filesPort ?? (env.FILES_PORT ? Number(env.FILES_PORT) : port === 0 ? 0 : port + 2),
      dataDir: options.dataDir,
      maxBytes: options.maxFileBytes ?? (env.MAX_FILE_BYTES ? Number(env.MAX_FILE_BYTES) : undefined),
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
  return {
    url: gateway.url,
    managementEndpoint: gateway.managementEndpoint,
    dynamoEndpoint: dynamo.endpoint,
    dynamo,
    gateway,
    files,
    filesUrl: readConfig().filesUrl,
    async close() {
      await gateway.close();
      await files.close();
      await dynamo.close();
      // The next stack in this process (tests restart it) must not inherit this one's settings.
      restoreEnv();
      resetDeps();
    },
  };
}
