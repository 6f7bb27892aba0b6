/**
 * The CDK stack, asserted against the route table and the table definitions
 * it is built from. Bundling is skipped (no esbuild run), so a synth takes
 * a second or two and needs no AWS account.
 */
import { existsSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { constructIdOf, MessengerStack, ROUTE_SELECTION_EXPRESSION } from '../lib/messenger-stack';
import { DEFAULT_MEMORY_MB, entryOf } from '../lib/route-function';
import { narrowedWrites, unionRoute } from '../lib/grants';
import { DEFAULT_SETTINGS } from '../lib/settings';
import { isFrameRoute, postsToConnections, routeKeyOf, routeOf, routes, type RouteDefinition } from '../lambdas/routes/table';
import { tables, type TableDefinition } from '../lambdas/storage/tables';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')).context as Record<string, unknown>;

/** The stack as `cdk synth` builds it (cdk.json's context), plus overrides, without bundling. */
function synth(context: Record<string, unknown> = {}, props: ConstructorParameters<typeof MessengerStack>[2] = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new MessengerStack(app, 'Messenger', props);
  return { stack, template: Template.fromStack(stack) };
}

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'];
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const mentions = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);

let stack: MessengerStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  ({ stack, template } = synth());
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** Resources of the WebSocket API only (the stack also has the file server's HTTP API). */
const webSocketApiId = () => ofType('AWS::ApiGatewayV2::Api').find(([, api]) => api.Properties.ProtocolType === 'WEBSOCKET')![0];
const ofWebSocketApi = (type: string) => ofType(type).filter(([, r]) => r.Properties.ApiId?.Ref === webSocketApiId());

/** Our route functions: the ones that carry the app's environment (CDK helper functions would not). */
/** Stream consumers and scheduled functions carry it too: test/stream-consumers-cdk.test.ts and test/cdk-sweeper.test.ts cover them. */
const isRouteFunction = (r: Resource) =>
  !!r.Properties.Environment?.Variables?.MANAGEMENT_ENDPOINT && !/^route \$(stream|schedule) /.test(String(r.Properties.Description));
const routeFunctions = () => ofType('AWS::Lambda::Function').filter(([, r]) => isRouteFunction(r));

function functionOf(route: RouteDefinition): [string, Resource] {
  const found = routeFunctions().filter(([, r]) => String(r.Properties.Description).startsWith(`route ${route.event}:`));
  expect(found, `functions of ${route.event}`).toHaveLength(1);
  return found[0]!;
}

function logicalIdOfTable(definition: TableDefinition): string {
  const found = ofType('AWS::DynamoDB::Table').filter(([, r]) =>
    r.Properties.KeySchema.some((k: any) => k.KeyType === 'HASH' && k.AttributeName === definition.partitionKey.name),
  );
  expect(found, `tables keyed by ${definition.partitionKey.name}`).toHaveLength(1);
  return found[0]![0];
}

const secretId = () => {
  const secrets = ofType('AWS::SecretsManager::Secret');
  expect(secrets).toHaveLength(1);
  return secrets[0]![0];
};

/** Every Allow statement of the policies attached to a route function's role. */
function statementsOf(route: RouteDefinition): Statement[] {
  const [, fn] = functionOf(route);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => s.Effect === 'Allow');
}

/** Actions a route may take on resources that mention `logicalId` (table, its indexes, the secret). */
/** The rate limiter's grant: UpdateItem on its users' bucket items only (`RATE#…` keys). */
const conditionOf = (s: Statement) => JSON.stringify((s as { Condition?: unknown }).Condition ?? null);
const isBucketGrant = (s: Statement) => conditionOf(s) === JSON.stringify({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } });
const LIVENESS_CONDITION = JSON.stringify({ 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['connectionId', 'expiresAt'] } });
const isLivenessGrant = (s: Statement) => conditionOf(s) === LIVENESS_CONDITION;

function actionsOn(route: RouteDefinition, logicalId: string, options: { bucketGrant?: boolean; livenessGrant?: boolean } = {}): Set<string> {
  return new Set(
    statementsOf(route)
      .filter((s) => asArray(s.Resource).some((r) => mentions(r, logicalId)))
      .filter((s) => options.bucketGrant === undefined || isBucketGrant(s) === options.bucketGrant)
      .filter((s) => options.livenessGrant === undefined || isLivenessGrant(s) === options.livenessGrant)
      .flatMap((s) => asArray(s.Action)),
  );
}

describe('WebSocket API', () => {
  it('selects routes on the frame event', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
    expect(ROUTE_SELECTION_EXPRESSION).toBe('$request.body.event');
  });

  it('has exactly one route per route table entry, keyed by routeKeyOf(event)', () => {
    const keys = ofWebSocketApi('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(routes.map((r) => routeKeyOf(r.event)).sort());
    expect(keys).toEqual(expect.arrayContaining(['$connect', '$disconnect', '$default', 'auth by credentials', 'who am i']));
  });

  it('integrates each route with its own function', () => {
    const integrations = Object.fromEntries(ofType('AWS::ApiGatewayV2::Integration'));
    for (const route of routes) {
      const [routeId, apiRoute] = ofWebSocketApi('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKeyOf(route.event))!;
      const integrationId = apiRoute.Properties.Target['Fn::Join'][1][1].Ref as string;
      const integration = integrations[integrationId]!;
      expect(integration.Properties.IntegrationType, routeId).toBe('AWS_PROXY');
      expect(mentions(integration.Properties.IntegrationUri, functionOf(route)[0]), `${route.event} → its function`).toBe(true);
    }
  });

  it('answers every frame (and $default) on the route response: two-way routes', () => {
    const responses = ofType('AWS::ApiGatewayV2::RouteResponse');
    for (const route of routes) {
      const [routeId, apiRoute] = ofWebSocketApi('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKeyOf(route.event))!;
      const twoWay = isFrameRoute(route) || route.event === '$default';
      const own = responses.filter(([, r]) => r.Properties.RouteId.Ref === routeId);
      expect(own, `route responses of ${route.event}`).toHaveLength(twoWay ? 1 : 0);
      if (twoWay) {
        expect(own[0]![1].Properties.RouteResponseKey).toBe('$default');
        expect(apiRoute.Properties.RouteResponseSelectionExpression).toBe('$default');
      }
    }
    expect(responses).toHaveLength(routes.filter(isFrameRoute).length + 1);
  });

  it('deploys a stage with default route throttling', () => {
    expect(ofWebSocketApi('AWS::ApiGatewayV2::Stage')).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: DEFAULT_SETTINGS.stageName,
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.throttleRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.throttleBurstLimit,
      },
    });
  });

  it('takes throttling and stage name from context (strings, as -c gives them)', () => {
    const { template: custom } = synth({ throttleRateLimit: '50', throttleBurstLimit: '75', stageName: 'dev' });
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 },
    });
    expect(() => synth({ throttleBurstLimit: 'lots' })).toThrow(/throttleBurstLimit/);
  });
});

describe('functions', () => {
  it('has one function per route and no other function of ours', () => {
    expect(routeFunctions()).toHaveLength(routes.length);
    for (const route of routes) functionOf(route);
    expect(stack.functions.size).toBe(routes.length);
  });

  it('names constructs after the event, readably and uniquely', () => {
    expect(constructIdOf('auth by credentials')).toBe('AuthByCredentials');
    expect(constructIdOf('who am i')).toBe('WhoAmI');
    expect(constructIdOf('$default')).toBe('OnDefault');
    for (const route of routes) expect(functionOf(route)[0]).toMatch(new RegExp(`^${constructIdOf(route.event)}Function[0-9A-F]{8}$`));
    const ping = routeOf('ping');
    expect(() => synth({}, { routes: [ping, { ...ping, event: 'Ping' }] })).toThrow(/construct id Ping/);
  });

  it('bundles lambdas/routes/<module>.ts of each route', () => {
    for (const route of routes) expect(existsSync(entryOf(route)), entryOf(route)).toBe(true);
  });

  it('runs Node.js 22 or newer on arm64 with the route memory and a 29 s timeout', () => {
    for (const route of routes) {
      const [id, fn] = functionOf(route);
      const major = Number(/^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime)?.[1]);
      expect(major, id).toBeGreaterThanOrEqual(22);
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.Handler, id).toBe('index.handler');
      expect(fn.Properties.MemorySize, id).toBe(route.memoryMb ?? DEFAULT_MEMORY_MB);
      expect(fn.Properties.Timeout, id).toBe(29);
    }
    expect(functionOf(routeOf('auth by credentials'))[1].Properties.MemorySize).toBe(1024);
  });

  it('logs to a log group with retention', () => {
    for (const route of routes) {
      const [id, fn] = functionOf(route);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroupId]?.Properties.RetentionInDays, id).toBe(DEFAULT_SETTINGS.logRetentionDays);
    }
  });

  it('sets the environment lambdas/config.ts reads', () => {
    const apiId = ofType('AWS::ApiGatewayV2::Api').find(([, api]) => api.Properties.ProtocolType === 'WEBSOCKET')![0];
    const filesApiId = ofType('AWS::ApiGatewayV2::Api').find(([, api]) => api.Properties.ProtocolType === 'HTTP')![0];
    for (const route of routes) {
      const [id, fn] = functionOf(route);
      const env = fn.Properties.Environment.Variables as Record<string, any>;
      for (const definition of tables) expect(env[definition.envVar], `${id} ${definition.envVar}`).toEqual({ Ref: logicalIdOfTable(definition) });
      const endpoint = env.MANAGEMENT_ENDPOINT['Fn::Join'][1] as unknown[];
      expect(endpoint[0], id).toBe('https://');
      expect(endpoint).toContainEqual({ Ref: apiId });
      expect(endpoint.at(-1)).toBe(`/${DEFAULT_SETTINGS.stageName}`);
      expect(env.TOKEN_SECRET_ARN, id).toEqual({ Ref: secretId() });
      // The stack's own file server: its HTTP API's URL.
      expect(JSON.stringify(env.FILES_URL), id).toContain(filesApiId);
      expect(env.ALLOWED_ORIGINS, id).toBe('');
      expect(env.NODE_OPTIONS, id).toBe('--enable-source-maps');
    }
  });

  it('takes allowedOrigins and filesUrl from context', () => {
    const { template: custom } = synth({ allowedOrigins: 'https://a.example, https://b.example', filesUrl: 'https://files.example.com/' });
    const fns = Object.values(custom.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { MANAGEMENT_ENDPOINT: Match.anyValue() } } } }));
    expect(fns.filter((fn) => isRouteFunction(fn as Resource))).toHaveLength(routes.length);
    for (const fn of fns) {
      expect(fn.Properties.Environment.Variables.ALLOWED_ORIGINS).toBe('https://a.example,https://b.example');
      expect(fn.Properties.Environment.Variables.FILES_URL).toBe('https://files.example.com/');
    }
    expect(() => synth({ filesUrl: 'files' })).toThrow(/filesUrl/);
  });
});

describe('tables', () => {
  it('creates one table per definition', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', tables.length);
  });

  it.each(tables.map((t) => [t.name, t] as const))('%s: keys, indexes, TTL, PITR, on demand, retained', (_name, definition) => {
    const table = resources[logicalIdOfTable(definition)]!;
    const keySchema = [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
    ];
    expect(table.Properties.KeySchema).toEqual(keySchema);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: definition.ttlAttribute, Enabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    const indexes = (table.Properties.GlobalSecondaryIndexes ?? []) as any[];
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(definition.indexes.map((i) => i.name).sort());
    for (const index of definition.indexes) {
      const found = indexes.find((i) => i.IndexName === index.name);
      expect(found.KeySchema[0]).toEqual({ AttributeName: index.partitionKey.name, KeyType: 'HASH' });
      const type = table.Properties.AttributeDefinitions.find((a: any) => a.AttributeName === index.partitionKey.name)?.AttributeType;
      expect(type).toBe(index.partitionKey.type);
    }
  });
});

describe('least privilege', () => {
  it('grants each route exactly the table access its entry names, indexes included', () => {
    for (const route of routes) {
      for (const definition of tables) {
        const tableId = logicalIdOfTable(definition);
        const actions = actionsOn(route, tableId, { bucketGrant: false, livenessGrant: false });
        const access = route.access[definition.name];
        const label = `${route.event} on ${definition.name}`;
        if (!access) {
          expect([...actions], label).toEqual([]);
          continue;
        }
        for (const action of READ_ACTIONS) expect(actions.has(action), `${label}: ${action}`).toBe(true);
        for (const action of WRITE_ACTIONS) expect(actions.has(action), `${label}: ${action}`).toBe(access === 'write');
        expect(actions.has('dynamodb:Scan'), `${label}: no Scan`).toBe(false);
        for (const index of definition.indexes) {
          const onIndex = statementsOf(route).filter((s) => asArray(s.Resource).some((r) => mentions(r, tableId) && JSON.stringify(r).includes(`/index/${index.name}"`)));
          expect(onIndex.flatMap((s) => asArray(s.Action)), `${label}: Query on index ${index.name}`).toContain('dynamodb:Query');
        }
        const wildcard = statementsOf(route).some((s) => asArray(s.Resource).some((r) => mentions(r, tableId) && JSON.stringify(r).includes('/index/*')));
        expect(wildcard, `${label}: no grant on every index`).toBe(false);
      }
    }
  });

  it('lets session routes that only read Connections update their connection\'s expiry, nothing else', () => {
    const connectionsId = logicalIdOfTable(tables.find((t) => t.name === 'Connections')!);
    for (const route of routes) {
      const expected = route.auth && route.access.Connections === 'read' ? ['dynamodb:UpdateItem'] : [];
      expect([...actionsOn(route, connectionsId, { livenessGrant: true })], route.event).toEqual(expected);
    }
    expect(routes.filter((r) => r.auth && r.access.Connections === 'read').length).toBeGreaterThan(5);
  });

  it('lets rate-limited read-only routes update their users\' buckets, nothing else', () => {
    const dataId = logicalIdOfTable(tables.find((t) => t.name === 'Data')!);
    for (const route of routes) {
      const expected = route.rateLimit && route.access.Data !== 'write' ? ['dynamodb:UpdateItem'] : [];
      expect([...actionsOn(route, dataId, { bucketGrant: true })], route.event).toEqual(expected);
    }
    expect(routes.filter((r) => r.rateLimit && r.access.Data !== 'write').map((r) => r.event)).toEqual(['find contacts']);
  });

  it('grants a function serving several routes (the dispatcher) the bucket write of any limited one', () => {
    const readOnly = unionRoute('$default', [routeOf('who am i'), routeOf('find contacts')], 'test');
    expect(readOnly.access.Data).toBe('read');
    expect(narrowedWrites(readOnly).map((w) => w.conditions)).toContainEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } });
    expect(narrowedWrites(unionRoute('$default', [routeOf('who am i'), routeOf('ping')], 'test')).some((w) => w.table === 'Data')).toBe(false);
  });

  it('gives who am i no write action on the data table', () => {
    const route = routeOf('who am i');
    expect(route.access.Data).toBe('read');
    const actions = actionsOn(route, logicalIdOfTable(tables.find((t) => t.name === 'Data')!));
    expect(actions.has('dynamodb:GetItem')).toBe(true);
    expect([...actions].filter((a) => WRITE_ACTIONS.includes(a) || a === 'dynamodb:*')).toEqual([]);
  });

  it('lets only tokenSecret routes read the token secret', () => {
    const readers = routes.filter((route) => actionsOn(route, secretId()).has('secretsmanager:GetSecretValue')).map((r) => r.event);
    const expected = routes.filter((r) => r.tokenSecret).map((r) => r.event);
    expect(expected.length).toBeGreaterThan(0);
    expect(readers.sort()).toEqual(expected.sort());
    // And nothing else in the stack can read it but the file server (it checks the capabilities of storage urls).
    const everyReader = ofType('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => asArray(s.Resource).some((r) => mentions(r, secretId()))),
    );
    expect(everyReader).toHaveLength(expected.length + 1);
    expect(everyReader.filter(([id]) => id.startsWith('FilesHandler'))).toHaveLength(1);
  });

  it('generates a 64-character token secret', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  it('lets the routes that push or answer frames (which may be chunked) manage connections of this stage, and no others', () => {
    const apiId = ofType('AWS::ApiGatewayV2::Api')[0]![0];
    for (const route of routes) {
      const manage = statementsOf(route).filter((s) => asArray(s.Action).includes('execute-api:ManageConnections'));
      expect(manage, route.event).toHaveLength(postsToConnections(route) ? 1 : 0);
      if (postsToConnections(route)) {
        const arn = JSON.stringify(manage[0]!.Resource);
        expect(mentions(manage[0]!.Resource, apiId)).toBe(true);
        expect(arn).toContain(`/${DEFAULT_SETTINGS.stageName}/*/@connections/*`);
      }
    }
    expect(statementsOf(routeOf('$default'))).toEqual([]);
  });
});

describe('outputs', () => {
  it('prints the wss:// URL, the management endpoint and the table names', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: any }>;
    const apiId = ofType('AWS::ApiGatewayV2::Api')[0]![0];
    const url = outputs.WebSocketUrl!.Value['Fn::Join'][1] as unknown[];
    expect(url[0]).toBe('wss://');
    expect(url).toContainEqual({ Ref: apiId });
    expect(url.at(-1)).toBe(`/${DEFAULT_SETTINGS.stageName}`);
    expect(outputs.ManagementEndpoint!.Value['Fn::Join'][1][0]).toBe('https://');
    for (const definition of tables) {
      expect(outputs[`${definition.name}TableName`]?.Value).toEqual({ Ref: logicalIdOfTable(definition) });
    }
  });
});

describe('invoke permissions', () => {
  it('lets API Gateway invoke each route function through one permission for the stage, no route key in its source ARN', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => mentions(p.Properties.SourceArn, webSocketApiId()));
    for (const route of routes) {
      const [fnId] = functionOf(route);
      const own = permissions.filter(([, p]) => mentions(p.Properties.FunctionName, fnId));
      expect(own, route.event).toHaveLength(1);
      const sourceArn = own[0]![1].Properties.SourceArn['Fn::Join'][1] as unknown[];
      expect(sourceArn.at(-1)).toBe(`/${DEFAULT_SETTINGS.stageName}/*`);
      expect(JSON.stringify(sourceArn)).not.toContain(route.event);
      expect(own[0]![1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    }
  });
});

describe('routing=dispatcher', () => {
  const dispatcher = synth({ routing: 'dispatcher' });
  const json = dispatcher.template.toJSON().Resources as Record<string, Resource>;
  const of = (type: string) => Object.entries(json).filter(([, r]) => r.Type === type);
  const functions = of('AWS::Lambda::Function').filter(([, r]) => isRouteFunction(r));
  const fnOf = (routeKey: string) => functions.find(([, r]) => String(r.Properties.Description).startsWith(`route ${routeKey}:`))!;
  const policyOf = (routeKey: string) => {
    const roleId = fnOf(routeKey)[1].Properties.Role['Fn::GetAtt'][0] as string;
    return of('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  };

  it('has only $connect, $disconnect and $default, each with its function', () => {
    const apiId = of('AWS::ApiGatewayV2::Api').find(([, api]) => api.Properties.ProtocolType === 'WEBSOCKET')![0];
    const keys = of('AWS::ApiGatewayV2::Route')
      .filter(([, r]) => r.Properties.ApiId?.Ref === apiId)
      .map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(['$connect', '$default', '$disconnect']);
    expect(functions).toHaveLength(3);
    expect(String(fnOf('$default')[1].Properties.Description)).toContain('routing=dispatcher');
  });

  it('gives $default the union of the frames\' grants: write on both tables, pushes, the secret, the largest memory', () => {
    const statements = policyOf('$default');
    const actions = new Set(statements.flatMap((s) => asArray(s.Action)));
    for (const action of [...WRITE_ACTIONS, ...READ_ACTIONS, 'execute-api:ManageConnections', 'secretsmanager:GetSecretValue']) expect(actions).toContain(action);
    expect(fnOf('$default')[1].Properties.MemorySize).toBe(Math.max(...routes.filter(isFrameRoute).map((r) => r.memoryMb ?? DEFAULT_MEMORY_MB)));
    // $connect keeps its own narrow grant.
    expect(new Set(policyOf('$connect').flatMap((s) => asArray(s.Action))).has('execute-api:ManageConnections')).toBe(false);
  });

  it('refuses an unknown routing', () => {
    expect(() => synth({ routing: 'per-frame' })).toThrow(/routing must be one of routes, dispatcher/);
  });
});
