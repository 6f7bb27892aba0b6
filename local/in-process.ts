/**
 * The default runtime: every route's handler module imported into this
 * process (fast, debuggable), each invocation run as its route's principal
 * so that the IAM check (local/iam.ts) sees which function is calling. The
 * check sits on the shared SDK clients: DynamoDB through a middleware, the
 * Management API at the pusher (the one way to reach it); both throw what
 * the SDK would throw for an IAM denial.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiServiceException } from '@aws-sdk/client-apigatewaymanagementapi';
import type { Deps } from '../lambdas/deps';
import { moduleOf, type RouteDefinition } from '../lambdas/routes/table';
import { MANAGE_CONNECTIONS, routeStatements, type GrantTargets } from '../lib/grants';
import type { PlannedFunction } from '../lib/routing';
import type { RouteHandler } from './gateway';
import { accessDeniedMessage, currentPrincipal, dynamoRequests, firstDenied, type Principal, type Request } from './iam';
import { LOCAL_ACCOUNT, LOCAL_REGION, localTableArn } from './template';

/** The local stand-ins' ARNs (table names are the definitions' names locally). */
const LOCAL_TARGETS: GrantTargets = {
  tableArn: localTableArn,
  connectionsArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:local/local/*/@connections/*`,
  secretArn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:TokenSecret`,
};

const connectionArn = (method: string, connectionId: string) =>
  `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:local/local/${method}/@connections/${connectionId}`;

export const principalOf = (route: RouteDefinition): Principal => ({
  name: `${moduleOf(route.event) || 'route'}-function`,
  statements: routeStatements(route, LOCAL_TARGETS),
});

/** A handler that runs as `route`'s function. */
export const runAs = <A extends unknown[], R>(route: RouteDefinition, handler: (...args: A) => R): ((...args: A) => R) => {
  const principal = principalOf(route);
  return (...args) => currentPrincipal.run(principal, () => handler(...args));
};

/** Route key → the handler of each planned function, running as that function. */
export async function inProcessHandlers(functions: readonly PlannedFunction[]): Promise<Map<string, RouteHandler>> {
  const handlers = new Map<string, RouteHandler>();
  for (const fn of functions) {
    const module = (await import(`../lambdas/routes/${fn.module}.ts`)) as { handler: RouteHandler };
    handlers.set(fn.routeKey, runAs(fn.route, module.handler));
  }
  return handlers;
}

/** lib-dynamodb command names → the DynamoDB operations they send. */
const OPERATIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};
const operationOf = (commandName: string) => {
  const name = commandName.replace(/Command$/, '');
  return OPERATIONS[name] ?? name;
};

function deny(principal: Principal, request: Request, service: 'dynamodb' | 'execute-api'): Error {
  const options = { name: 'AccessDeniedException', $fault: 'client' as const, message: accessDeniedMessage(principal, request) };
  return service === 'dynamodb'
    ? new DynamoDBServiceException({ ...options, $metadata: { httpStatusCode: 400 } })
    : new ApiGatewayManagementApiServiceException({ ...options, $metadata: { httpStatusCode: 403 } });
}

/** Installs the check on the in-process deps: calls made outside any route (tests, seeding) act as the operator. */
export function enforceIam(deps: Deps): void {
  deps.db.middlewareStack.add(
    (next, context) => async (args) => {
      const principal = currentPrincipal.getStore();
      if (principal) {
        const requests = dynamoRequests(operationOf(context.commandName ?? ''), args.input as Record<string, unknown>, LOCAL_TARGETS.tableArn);
        const denied = firstDenied(principal, requests);
        if (denied) throw deny(principal, denied, 'dynamodb');
      }
      return next(args);
    },
    { step: 'initialize', name: 'localIam', priority: 'high' },
  );
  const check = (method: string, connectionId: string) => {
    const principal = currentPrincipal.getStore();
    const request = { action: MANAGE_CONNECTIONS, resource: connectionArn(method, connectionId) };
    if (principal && firstDenied(principal, [request])) throw deny(principal, request, 'execute-api');
  };
  const { push } = deps;
  // Every post goes through `send` (toConnection included): checking it checks them all.
  const send = push.send.bind(push);
  const disconnect = push.disconnect.bind(push);
  push.send = async (connectionId, messages) => {
    check('POST', connectionId);
    return send(connectionId, messages);
  };
  push.disconnect = async (connectionId) => {
    check('DELETE', connectionId);
    return disconnect(connectionId);
  };
}
