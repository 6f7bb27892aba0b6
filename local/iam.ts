/**
 * IAM, enforced locally: a function may call only what its role's policy
 * statements allow, evaluated as IAM does (an explicit Deny wins, otherwise
 * some Allow must match action and resource; `*` and `?` are wildcards).
 * The bundle runtime takes the statements from the synthesized template; the
 * in-process runtime builds the same statements from the route table
 * (lib/grants.ts), so both refuse what AWS would refuse.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PolicyStatement } from '../lib/grants';
import { LOCAL_ACCOUNT } from './template';

export interface Principal {
  /** The function (role) name, for the error message. */
  name: string;
  statements: readonly PolicyStatement[];
}

export interface Request {
  action: string;
  resource: string;
}

// Compiled once per pattern: the check runs on every SDK call of every invocation.
const compiled = new Map<string, RegExp>();
const globToRegExp = (pattern: string, flags = ''): RegExp => {
  const key = `${flags}/${pattern}`;
  let regExp = compiled.get(key);
  if (!regExp) {
    regExp = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
    compiled.set(key, regExp);
  }
  return regExp;
};

const matches = (statement: PolicyStatement, { action, resource }: Request) =>
  statement.actions.some((a) => globToRegExp(a, 'i').test(action)) && statement.resources.some((r) => globToRegExp(r).test(resource));

function isAllowed(principal: Principal, request: Request): boolean {
  if (principal.statements.some((s) => s.effect === 'Deny' && matches(s, request))) return false;
  return principal.statements.some((s) => s.effect === 'Allow' && matches(s, request));
}

/** The first request the principal may not make, or undefined. */
export const firstDenied = (principal: Principal, requests: readonly Request[]): Request | undefined =>
  requests.find((request) => !isAllowed(principal, request));

/** IAM's wording, as the SDK surfaces it in the exception's message. */
export const accessDeniedMessage = (principal: Principal, { action, resource }: Request): string =>
  `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${principal.name}/${principal.name} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

/** The access key of a SigV4-signed request (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export const accessKeyOf = (authorization: string | undefined): string | undefined => /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];

/** DynamoDB operations (JSON protocol names) → the IAM requests they make: batch and transaction items are authorised one by one. */
export function dynamoRequests(operation: string, input: Record<string, any>, tableArn: (table: string) => string): Request[] {
  const on = (action: string, table: string, index?: string): Request => ({
    action: `dynamodb:${action}`,
    resource: index ? `${tableArn(table)}/index/${index}` : tableArn(table),
  });
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys(input.RequestItems ?? {}).map((table) => on(operation, table));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return (input.TransactItems ?? []).flatMap((item: Record<string, { TableName: string }>) =>
        Object.entries(item).map(([kind, body]) => on(TRANSACT_ACTIONS[kind] ?? kind, body.TableName)),
      );
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    default:
      return [on(operation, input.TableName, input.IndexName)];
  }
}

const TRANSACT_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

/** The in-process runtime's caller: the function whose handler is running (set around each invocation). */
export const currentPrincipal = new AsyncLocalStorage<Principal>();
