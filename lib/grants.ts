/**
 * What each function may do, from its route table entry: the one definition
 * behind the CDK stack's grants and the in-process runtime's IAM check
 * (local/iam.ts). No CDK import, so the local stack can load it cheaply.
 */
import { postsToConnections, type RouteDefinition } from '../lambdas/routes/table';
import { BUCKET_KEY_PREFIX } from '../lambdas/storage/rate-limits';
import { tables as tableDefinitions } from '../lambdas/storage/tables';
import { FAMILY_KEY_PREFIX } from '../lambdas/storage/token-families';

export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

/**
 * The DynamoDB actions a route may use, by access level: the item and query
 * operations the handlers call (TransactWriteItems is authorised per item
 * action). Narrower than grantReadData / grantReadWriteData, which also allow
 * Scan and the stream reads: no request path scans (architecture.md), and IAM
 * enforces it.
 */
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];

export const DYNAMODB_ACTIONS: Readonly<Record<'read' | 'write', readonly string[]>> = {
  read: READ_ACTIONS,
  write: [...READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
};

export const MANAGE_CONNECTIONS = 'execute-api:ManageConnections';
export const GET_SECRET_VALUE = 'secretsmanager:GetSecretValue';

/** ARNs of the resources routes are granted on. */
export interface GrantTargets {
  tableArn(table: string): string;
  /** `arn:…:execute-api:<region>:<account>:<api>/<stage>/*\/@connections/*` */
  connectionsArn: string;
  secretArn: string;
}

/** The statements of one route's role: as CDK grants them (table and its indexes; the stage's connections; the secret). */
export function routeStatements(route: RouteDefinition, targets: GrantTargets): PolicyStatement[] {
  // As lib/table-access.ts grants them: the level's actions on the table, Query alone on each of its indexes by name.
  const statements: PolicyStatement[] = [];
  for (const [table, level] of Object.entries(route.access)) {
    const actions = DYNAMODB_ACTIONS[level!];
    statements.push({ effect: 'Allow', actions: [...actions], resources: [targets.tableArn(table)] });
    const indexes = tableDefinitions.find((d) => d.name === table)?.indexes ?? [];
    if (indexes.length && actions.includes('dynamodb:Query')) {
      statements.push({ effect: 'Allow', actions: ['dynamodb:Query'], resources: indexes.map((i) => `${targets.tableArn(table)}/index/${i.name}`) });
    }
  }
  // The local check evaluates no conditions: it sees these writes unnarrowed.
  for (const write of narrowedWrites(route)) statements.push({ effect: 'Allow', actions: [...write.actions], resources: [targets.tableArn(write.table)] });
  if (postsToConnections(route)) statements.push({ effect: 'Allow', actions: [MANAGE_CONNECTIONS], resources: [targets.connectionsArn] });
  if (route.tokenSecret) statements.push({ effect: 'Allow', actions: [GET_SECRET_VALUE, 'secretsmanager:DescribeSecret'], resources: [targets.secretArn] });
  return statements;
}

/** A session frame whose Connections access is read-only still writes its connection's expiry. */
export const refreshesLiveness = (route: RouteDefinition): boolean => route.auth && route.access.Connections === 'read';

/** An access granted only under an IAM condition that confines it to what it touches (a read-only route's write; the file server's read). */
export interface NarrowedGrant {
  table: 'Data' | 'Connections';
  actions: readonly string[];
  conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** The one definition of these writes: the stack grants them with their conditions, the local check without. */
export function narrowedWrites(route: RouteDefinition): NarrowedGrant[] {
  const writes: NarrowedGrant[] = [];
  // A rate-limited frame without write access to Data writes its user's buckets (storage/rate-limits.ts), and nothing else.
  if (route.rateLimit && route.access.Data !== 'write') {
    writes.push({ table: 'Data', actions: ['dynamodb:UpdateItem'], conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${BUCKET_KEY_PREFIX}*`] } } });
  }
  // A session frame refreshes its connection's expiry (storage/connections.ts refreshLiveness), and writes nothing else there.
  if (refreshesLiveness(route)) {
    writes.push({ table: 'Connections', actions: ['dynamodb:UpdateItem'], conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['connectionId', 'expiresAt'] } } });
  }
  return writes;
}

/** The file server checks a capability's login (lambdas/files/authority.ts): GetItem of token families, nothing else of Data. */
export const FILE_SERVER_READ: NarrowedGrant = {
  table: 'Data',
  actions: ['dynamodb:GetItem'],
  conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${FAMILY_KEY_PREFIX}*`] } },
};

/** One function serving several routes (the dispatcher) is granted the union of theirs. */
export function unionRoute(event: string, routes: readonly RouteDefinition[], summary: string): RouteDefinition {
  const access: RouteDefinition['access'] = {};
  for (const route of routes) {
    for (const [table, level] of Object.entries(route.access) as [keyof RouteDefinition['access'], 'read' | 'write'][]) {
      if (access[table] !== 'write') access[table] = level;
    }
  }
  return {
    event,
    auth: false,
    access,
    pushes: routes.some(postsToConnections),
    tokenSecret: routes.some((r) => r.tokenSecret),
    // Any limited route writes buckets: kept, so a union without Data write still gets the narrowed bucket write.
    rateLimit: routes.find((r) => r.rateLimit)?.rateLimit,
    memoryMb: Math.max(...routes.map((r) => r.memoryMb ?? 0)) || undefined,
    summary,
  };
}
