/**
 * Deployment settings, read from CDK context in one place (`cdk.json`,
 * `cdk.context.json` or `-c key=value`). Values given with `-c` arrive as
 * strings, values in JSON files keep their JSON type: both are accepted.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseRouting, type Routing } from './routing';
import type { DomainSettings, HostedZoneSettings } from './domains';

export interface Settings {
  /** Stage name: the last path segment of the `wss://` URL and of the Management API endpoint. @default 'prod' */
  stageName: string;
  /** Browser `Origin`s `$connect` accepts; empty = any (native apps send none). @default [] */
  allowedOrigins: string[];
  /** Base URL of an external file server (FILES_URL). Unset: the stack deploys its own (lib/file-storage.ts). */
  filesUrl?: string;
  /** Stage default route throttling: steady requests per second. @default 500 */
  throttleRateLimit: number;
  /** Stage default route throttling: burst bucket size. @default 1000 */
  throttleBurstLimit: number;
  /** CloudWatch Logs retention of every function's log group, in days. @default 30 */
  logRetentionDays: RetentionDays;
  /** `routes`: one route and function per frame; `dispatcher`: `$connect` / `$disconnect` / `$default` only (lib/routing.ts). @default 'routes' */
  routing: Routing;
  /**
   * Set the account's API Gateway CloudWatch role (AWS::ApiGateway::Account),
   * which WebSocket access logs need; leave it false where the account has one. @default false
   */
  apiGatewayCloudWatchRole: boolean;
  /** Throttle of each login frame (the frames without a session). @default 50 per second, burst 100 */
  loginThrottleRateLimit: number;
  loginThrottleBurstLimit: number;
  /** Reserved concurrency by route event, e.g. `-c reservedConcurrency='{"new message":50}'`. @default none */
  reservedConcurrency: Record<string, number>;
  /** X-Ray active tracing of every function. @default false */
  tracing: boolean;
  /** Alarm notifications go to an SNS topic with this address subscribed. @default no topic */
  alarmEmail?: string;
  /**
   * EventBridge bus of offline-recipient events (lib/offline-events.ts): `custom` (the stack's own),
   * `default` (the account's default bus) or the name of an existing bus. @default 'custom'
   */
  offlineEventBus: string;
  /** Period of the connection sweeper (lambdas/scheduled/sweep-connections.ts), minutes. @default the entry's (1) */
  connectionSweepMinutes?: number;
  /** Custom domain of the WebSocket API (`domainName`, `certificateArn`, optional `hostedZoneId` + `hostedZoneName`). */
  domain?: DomainSettings;
  /** Custom domain of the file server (`filesDomainName`, `filesCertificateArn` or else `certificateArn`, the same zone). */
  filesDomain?: DomainSettings;
}

/** The placeholder until the stack has its own file server: `.invalid` never resolves. */

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  stageName: 'prod',
  allowedOrigins: [],
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
  logRetentionDays: RetentionDays.ONE_MONTH,
  routing: 'routes',
  apiGatewayCloudWatchRole: false,
  loginThrottleRateLimit: 50,
  loginThrottleBurstLimit: 100,
  reservedConcurrency: {},
  tracing: false,
  offlineEventBus: 'custom',
});

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function positiveNumber(node: Node, key: string, { integer = false } = {}): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) {
    throw new Error(`context ${key} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function flag(node: Node, key: string): boolean | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

function origins(node: Node): string[] | undefined {
  const value: unknown = node.tryGetContext('allowedOrigins');
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list || list.some((o) => typeof o !== 'string')) throw new Error(`context allowedOrigins must be a comma-separated string or a list of strings, got ${JSON.stringify(value)}`);
  return (list as string[]).map((o) => o.trim()).filter(Boolean);
}

function url(node: Node, key: string): string | undefined {
  const value = text(node, key);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`context ${key} must be an absolute URL, got ${value}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`context ${key} must be an http(s) URL, got ${value}`);
  return value;
}

function retention(node: Node): RetentionDays | undefined {
  const days = positiveNumber(node, 'logRetentionDays', { integer: true });
  if (days === undefined) return undefined;
  const allowed = Object.values(RetentionDays).filter((d): d is RetentionDays => typeof d === 'number');
  if (!allowed.includes(days)) throw new Error(`context logRetentionDays must be one of ${allowed.join(', ')}, got ${days}`);
  return days;
}

function stageName(node: Node): string | undefined {
  const value = text(node, 'stageName');
  if (value !== undefined && !/^[A-Za-z0-9_]{1,128}$/.test(value)) throw new Error(`context stageName must be letters, digits or _, got ${value}`);
  return value;
}

function reservedConcurrency(node: Node): Record<string, number> | undefined {
  let value: unknown = node.tryGetContext('reservedConcurrency');
  if (value === undefined || value === null) return undefined;
  const refuse = () => new Error(`context reservedConcurrency must be a JSON object of route event → positive integer, got ${JSON.stringify(value)}`);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw refuse();
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse();
  const entries = Object.entries(value);
  if (entries.some(([, n]) => typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)) throw refuse();
  return Object.fromEntries(entries) as Record<string, number>;
}

function email(node: Node, key: string): string | undefined {
  const value = text(node, key);
  if (value !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`context ${key} must be an email address, got ${value}`);
  return value;
}

function domainName(node: Node, key: string): string | undefined {
  const value = text(node, key);
  if (value !== undefined && !/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/.test(value)) throw new Error(`context ${key} must be a lower-case DNS name, got ${value}`);
  return value;
}

function certificateArn(node: Node, key: string): string | undefined {
  const value = text(node, key);
  if (value !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(value)) throw new Error(`context ${key} must be an ACM certificate ARN, got ${value}`);
  return value;
}

function hostedZone(node: Node): HostedZoneSettings | undefined {
  const hostedZoneId = text(node, 'hostedZoneId');
  const zoneName = domainName(node, 'hostedZoneName');
  if ((hostedZoneId === undefined) !== (zoneName === undefined)) throw new Error('context hostedZoneId and hostedZoneName go together');
  return hostedZoneId && zoneName ? { hostedZoneId, zoneName } : undefined;
}

function domains(node: Node, filesUrl: string | undefined): Pick<Settings, 'domain' | 'filesDomain'> {
  const zone = hostedZone(node);
  const name = domainName(node, 'domainName');
  const certificate = certificateArn(node, 'certificateArn');
  const filesName = domainName(node, 'filesDomainName');
  const filesCertificate = certificateArn(node, 'filesCertificateArn') ?? certificate;
  if (name && !certificate) throw new Error('context domainName needs certificateArn (an ACM certificate in the stack\'s region)');
  if (filesName && !filesCertificate) throw new Error('context filesDomainName needs filesCertificateArn or certificateArn');
  if (filesName && filesUrl) throw new Error('context filesDomainName names the stack\'s own file server; filesUrl says there is none');
  if (zone && !name && !filesName) throw new Error('context hostedZoneId is only for domainName / filesDomainName records');
  for (const n of [name, filesName]) {
    if (n && zone && n !== zone.zoneName && !n.endsWith(`.${zone.zoneName}`)) throw new Error(`context: ${n} is not in the hosted zone ${zone.zoneName}`);
  }
  return {
    domain: name ? { domainName: name, certificateArn: certificate!, zone } : undefined,
    filesDomain: filesName ? { domainName: filesName, certificateArn: filesCertificate!, zone } : undefined,
  };
}

function eventBusName(node: Node): string | undefined {
  const value = text(node, 'offlineEventBus');
  if (value !== undefined && !/^[A-Za-z0-9._\-/]{1,256}$/.test(value)) throw new Error(`context offlineEventBus must be custom, default or an event bus name, got ${value}`);
  return value;
}

/** The deployment stage (`-c stage=staging`): one letter, then letters or digits, so it fits a stack name and an API stage name. */
function deploymentStage(node: Node): string | undefined {
  const value = text(node, 'stage');
  if (value !== undefined && !/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(value)) throw new Error(`context stage must be a letter then letters or digits (at most 32), got ${value}`);
  return value;
}

/** The stack to deploy into. No two stages share a resource: every physical name is generated from the stack's. */
export const BASE_STACK_NAME = 'Messenger';

/**
 * The stack's name: context `stackName`, else `Messenger-<stage>` for
 * `-c stage=…`, else `Messenger` (the name of a deployment made before stages existed).
 */
export function stackIdentity(node: Node): { stackName: string; stage?: string } {
  const stage = deploymentStage(node);
  const stackName = text(node, 'stackName') ?? (stage ? `${BASE_STACK_NAME}-${stage}` : BASE_STACK_NAME);
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) throw new Error(`context stackName must be a CloudFormation stack name, got ${stackName}`);
  return { stackName, stage };
}

/** Settings from context, defaults for what is absent; a malformed value fails the synth with its key named. */
export function readSettings(node: Node): Settings {
  const filesUrl = url(node, 'filesUrl');
  return {
    stageName: stageName(node) ?? deploymentStage(node) ?? DEFAULT_SETTINGS.stageName,
    allowedOrigins: origins(node) ?? [...DEFAULT_SETTINGS.allowedOrigins],
    filesUrl,
    throttleRateLimit: positiveNumber(node, 'throttleRateLimit') ?? DEFAULT_SETTINGS.throttleRateLimit,
    throttleBurstLimit: positiveNumber(node, 'throttleBurstLimit', { integer: true }) ?? DEFAULT_SETTINGS.throttleBurstLimit,
    logRetentionDays: retention(node) ?? DEFAULT_SETTINGS.logRetentionDays,
    routing: parseRouting(text(node, 'routing'), 'context routing'),
    apiGatewayCloudWatchRole: flag(node, 'apiGatewayCloudWatchRole') ?? DEFAULT_SETTINGS.apiGatewayCloudWatchRole,
    loginThrottleRateLimit: positiveNumber(node, 'loginThrottleRateLimit') ?? DEFAULT_SETTINGS.loginThrottleRateLimit,
    loginThrottleBurstLimit: positiveNumber(node, 'loginThrottleBurstLimit', { integer: true }) ?? DEFAULT_SETTINGS.loginThrottleBurstLimit,
    reservedConcurrency: reservedConcurrency(node) ?? {},
    tracing: flag(node, 'tracing') ?? DEFAULT_SETTINGS.tracing,
    alarmEmail: email(node, 'alarmEmail'),
    offlineEventBus: eventBusName(node) ?? DEFAULT_SETTINGS.offlineEventBus,
    connectionSweepMinutes: positiveNumber(node, 'connectionSweepMinutes', { integer: true }),
    ...domains(node, filesUrl),
  };
}
