/**
 * Reads a synthesized stack (cdk.out) the way CloudFormation and Lambda would
 * use it: every function with its asset bundle, handler, timeout, environment
 * and its role's policy statements, CloudFormation intrinsics resolved against
 * the local stand-ins (table names, ARNs, endpoint URLs).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyStatement } from '../lib/grants';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

/** A local table's ARN: one spelling for the template's resolver and both runtimes' IAM checks. */
export const localTableArn = (table: string): string => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${table}`;

type Json = unknown;
export interface Resource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
}


export interface SynthesizedFunction {
  logicalId: string;
  /** The construct path: `Messenger/WhoAmI/Function/Resource`. */
  path: string;
  /** The bundle Lambda loads: `<asset dir>/index.mjs`. */
  entry: string;
  handlerName: string;
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  statements: PolicyStatement[];
}

/** What the local stack stands in for each kind of resource; `urlOfApi`: an API's local base URL (none: its URLs stay as synthesized). */
export interface LocalResources {
  tableNameOf(logicalId: string, resource: Resource): string;
  urlOfApi?(logicalId: string, resource: Resource): string | undefined;
}

export interface SynthesizedStack {
  functions: SynthesizedFunction[];
  resources: Record<string, Resource>;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Table name from the construct path: `Messenger/DataTable/Resource` → `Data` (the table definitions' names). */
export const tableNameFromPath = (resource: Resource): string => {
  const id = String(resource.Metadata?.['aws:cdk:path'] ?? '').split('/')[1] ?? '';
  return id.replace(/Table$/, '');
};

function arnOf(resource: Resource, physicalId: string): string {
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
      return localTableArn(physicalId);
    case 'AWS::SecretsManager::Secret':
      return physicalId;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${physicalId}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${physicalId}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${physicalId}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${physicalId}`;
    default:
      return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${physicalId}`;
  }
}

type Template = { Resources: Record<string, Resource> };
const parsedTemplates = new Map<string, { mtimeMs: number; template: Template }>();

/** The template parsed once per synthesis: the file server and the routes' runtime both read it at start-up. */
function templateAt(file: string): Template {
  const { mtimeMs } = statSync(file);
  const known = parsedTemplates.get(file);
  if (known?.mtimeMs === mtimeMs) return known.template;
  const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
  parsedTemplates.set(file, { mtimeMs, template });
  return template;
}

export function readSynthesizedStack(assemblyDir: string, local: LocalResources, stackName = 'Messenger'): SynthesizedStack {
  const resources = templateAt(join(assemblyDir, `${stackName}.template.json`)).Resources;

  const physicalId = (logicalId: string): string => {
    const resource = resources[logicalId];
    if (!resource) throw new Error(`template has no resource ${logicalId}`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return local.tableNameOf(logicalId, resource);
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${logicalId}`;
      default:
        // API ids, bucket names: lower case, as AWS's are.
        return logicalId.toLowerCase();
    }
  };

  const pseudo: Record<string, string> = {
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
  };

  const resolve = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const node = value as Record<string, Json>;
    if ('Ref' in node) {
      const name = node.Ref as string;
      return pseudo[name] ?? physicalId(name);
    }
    if ('Fn::GetAtt' in node) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [string, string];
      // A table's stream: its ARN as the local stream names it (local/dynamo/streams.ts).
      if (attribute === 'StreamArn' && resources[logicalId]?.Type === 'AWS::DynamoDB::Table') {
        return `${arnOf(resources[logicalId], physicalId(logicalId))}/stream/local`;
      }
      if (attribute !== 'Arn') throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
      return arnOf(resources[logicalId]!, physicalId(logicalId));
    }
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, Json[]];
      return parts.map(resolve).join(separator);
    }
    if ('Fn::Sub' in node) {
      return String(node['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? physicalId(name));
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };

  /** An execute-api URL of this stack (`https://<api>.execute-api.local.amazonaws.com/prod`) → the local server standing in for it. */
  const localUrl = (value: string): string => {
    const match = /^(?:https|wss):\/\/([a-z0-9]+)\.execute-api\.[^/]+\.amazonaws\.com(\/.*)?$/.exec(value);
    if (!match) return value;
    const api = Object.entries(resources).find(([logicalId, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && logicalId.toLowerCase() === match[1]);
    const base = api && local.urlOfApi?.(...api);
    return base ? `${base.replace(/\/$/, '')}${match[2] ?? ''}` : value;
  };

  const statementsOf = (roleLogicalId: string): PolicyStatement[] =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && asArray(r.Properties!.Roles).some((role: any) => role?.Ref === roleLogicalId))
      .flatMap((r) => asArray(r.Properties!.PolicyDocument.Statement as any[]))
      .map((s) => ({ effect: s.Effect, actions: asArray(s.Action as string | string[]), resources: asArray(s.Resource as Json).map(resolve) }));

  const functions = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]): SynthesizedFunction => {
      const p = r.Properties!;
      const asset = r.Metadata?.['aws:asset:path'];
      if (typeof asset !== 'string') throw new Error(`function ${logicalId} has no asset in the cloud assembly`);
      const [file, handlerName] = String(p.Handler).split('.') as [string, string];
      const variables = (p.Environment?.Variables ?? {}) as Record<string, Json>;
      return {
        logicalId,
        path: r.Metadata!['aws:cdk:path'],
        entry: join(assemblyDir, asset, `${file}.mjs`),
        handlerName,
        runtime: p.Runtime,
        memoryMb: p.MemorySize ?? 128,
        timeoutSeconds: p.Timeout ?? 3,
        environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, localUrl(resolve(v))])),
        statements: statementsOf(p.Role['Fn::GetAtt'][0]),
      };
    });
  return { functions, resources };
}
