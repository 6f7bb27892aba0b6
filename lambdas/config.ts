/**
 * Configuration, read from the environment once per container. The local
 * stack sets the same variables that the CDK stack sets on every function.
 */
import type { BucketLimit } from './storage/rate-limits';

export interface Config {
  connectionsTable: string;
  dataTable: string;
  /** Pieces of chunked client frames (docs/protocol.md, Chunked frames). */
  chunksTable: string;
  /** How long a chunked client frame may take to arrive whole. @default 120 */
  chunkTtlSeconds: number;
  region: string;
  /** Set locally: the embedded DynamoDB. Absent on AWS. */
  dynamoEndpoint?: string;
  /** Management API endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}, or the local gateway). */
  managementEndpoint: string;
  /** HMAC key for tokens, given directly (local) ... */
  tokenSecret?: string;
  /** ... or as a Secrets Manager secret (AWS). */
  tokenSecretArn?: string;
  /** @default 30 days; sliding: every rotation starts it again. */
  tokenTtlSeconds: number;
  /** @default 2 h 5 min: API Gateway closes a connection after 2 h. */
  connectionTtlSeconds: number;
  /**
   * A connection silent this long counts as gone (its item expires; the
   * stream consumer ends its presence). @default 600: API Gateway's idle timeout.
   */
  connectionIdleSeconds: number;
  /**
   * Slack of the expiry past the idle timeout: a frame refreshes the expiry
   * only when less than `connectionIdleSeconds` of it is left, so at most one
   * write per connection per this many seconds. @default 60
   */
  connectionRefreshSeconds: number;
  /** log2 of scrypt's N. @default 17 (OWASP); tests use less. */
  scryptLogN: number;
  /** Failed logins per account before `too many attempts`. @default 10 */
  loginMaxFailures: number;
  /** How long failures are counted and a lock lasts. @default 900 */
  loginWindowSeconds: number;
  /** Allowed `Origin`s for browsers; empty = any. */
  allowedOrigins: string[];
  /** Base URL of the file server; `storage urls` are derived from it. */
  filesUrl: string;
  /** Pushes sent in parallel at most. @default 16 */
  pushConcurrency: number;
  /**
   * How long the bodies of a message are kept beside it for the stream
   * consumer to finish its copies if the request dies (their expiry is the
   * last resort of that repair: docs/access-patterns.md). @default 60
   */
  outboxTtlSeconds: number;
  /**
   * The stream consumer leaves a message this young to the request still
   * writing its copies; older and still pending, it finishes them. @default 2000
   */
  deliveryGraceMs: number;
  /**
   * Overrides of the per-user token buckets the route table gives the frames
   * that cost (`rateLimit`), by frame name (`RATE_LIMITS`: JSON, e.g.
   * `{"new message":{"burst":5,"intervalMs":1000}}`), or `off` for none.
   */
  rateLimits: Readonly<Record<string, BucketLimit>> | 'off';
  /** EventBridge bus (name or ARN) for offline-recipient events (AWS); absent: local log line + webhook. */
  offlineEventBus?: string;
  /** Local only: each offline-recipient event is POSTed here as JSON (lambdas/notifications/offline-events.ts). */
  offlineWebhookUrl?: string;
}

/** `RATE_LIMITS`: JSON overrides by frame name, `off`, or none. */
export function parseRateLimits(raw: string | undefined): Record<string, BucketLimit> | 'off' {
  if (raw === undefined || raw.trim() === '') return {};
  if (raw.trim() === 'off') return 'off';
  const given = JSON.parse(raw) as Record<string, BucketLimit>;
  for (const [frame, limit] of Object.entries(given)) {
    if (!Number.isSafeInteger(limit?.burst) || limit.burst < 1 || !Number.isSafeInteger(limit?.intervalMs) || limit.intervalMs < 1) {
      throw new Error(`RATE_LIMITS: ${frame} needs a positive integer burst and intervalMs`);
    }
  }
  return given;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (!env.TOKEN_SECRET && !env.TOKEN_SECRET_ARN) throw new Error('set TOKEN_SECRET or TOKEN_SECRET_ARN');
  return {
    connectionsTable: required(env, 'CONNECTIONS_TABLE'),
    dataTable: required(env, 'DATA_TABLE'),
    chunksTable: required(env, 'CHUNKS_TABLE'),
    chunkTtlSeconds: integer(env, 'CHUNK_TTL_SECONDS', 120),
    region: env.AWS_REGION ?? 'local',
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    managementEndpoint: required(env, 'MANAGEMENT_ENDPOINT'),
    tokenSecret: env.TOKEN_SECRET || undefined,
    tokenSecretArn: env.TOKEN_SECRET_ARN || undefined,
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', 30 * 24 * 3600),
    connectionTtlSeconds: integer(env, 'CONNECTION_TTL_SECONDS', 2 * 3600 + 300),
    connectionIdleSeconds: integer(env, 'CONNECTION_IDLE_SECONDS', 600),
    connectionRefreshSeconds: integer(env, 'CONNECTION_REFRESH_SECONDS', 60),
    scryptLogN: integer(env, 'SCRYPT_LOG_N', 17),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 10),
    loginWindowSeconds: integer(env, 'LOGIN_WINDOW_SECONDS', 900),
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    filesUrl: required(env, 'FILES_URL').replace(/\/?$/, '/'),
    pushConcurrency: integer(env, 'PUSH_CONCURRENCY', 16),
    outboxTtlSeconds: integer(env, 'OUTBOX_TTL_SECONDS', 60),
    deliveryGraceMs: integer(env, 'DELIVERY_GRACE_MS', 2000),
    rateLimits: parseRateLimits(env.RATE_LIMITS),
    offlineEventBus: env.OFFLINE_EVENT_BUS || undefined,
    offlineWebhookUrl: env.OFFLINE_WEBHOOK_URL || undefined,
  };
}

/** What the file server needs to check the capabilities in `storage urls` (the file Lambda has no other settings of the frames). */
export type FileAuthorityConfig = Pick<Config, 'dataTable' | 'region' | 'dynamoEndpoint' | 'tokenSecret' | 'tokenSecretArn'>;

export function readFileAuthorityConfig(env: NodeJS.ProcessEnv = process.env): FileAuthorityConfig {
  if (!env.TOKEN_SECRET && !env.TOKEN_SECRET_ARN) throw new Error('set TOKEN_SECRET or TOKEN_SECRET_ARN');
  return {
    dataTable: required(env, 'DATA_TABLE'),
    region: env.AWS_REGION ?? 'local',
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    tokenSecret: env.TOKEN_SECRET || undefined,
    tokenSecretArn: env.TOKEN_SECRET_ARN || undefined,
  };
}
