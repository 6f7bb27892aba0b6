/**
 * The whole deployment, built from the route table and the table
 * definitions: one DynamoDB table per definition, one WebSocket route and one
 * Lambda function per route entry, each function granted only what its
 * entry's `access` says. Adding a frame to the route table adds its route,
 * function and grants here without touching this file.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  WebSocketApi,
  WebSocketIntegrationType,
  WebSocketRoute,
  WebSocketRouteIntegration,
  WebSocketStage,
  type WebSocketRouteIntegrationBindOptions,
  type WebSocketRouteIntegrationConfig,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { postsToConnections, routes as routeTable, type RouteDefinition } from '../lambdas/routes/table';
import { tables as tableDefinitions, type KeyAttribute, type TableDefinition } from '../lambdas/storage/tables';
import { streamConsumers } from '../lambdas/streams/table';
import { accessLogs, ApiGatewayAccountRole, WEBSOCKET_ACCESS_LOG_FIELDS } from './access-logs';
import { CustomDomain } from './domains';
import { FILE_SERVER_MEMORY_MB, FileStorage } from './file-storage';
import { narrowedWrites } from './grants';
import { acknowledgeNagFindings } from './nag';
import { Observability } from './observability';
import { DEFAULT_MEMORY_MB, RouteFunction } from './route-function';
import { applyRouteLimits } from './route-limits';
import { STREAMS_CONSTRUCT_ID, StreamConsumers } from './stream-consumers';
import { OfflineEvents } from './offline-events';
import { SCHEDULED_CONSTRUCT_ID, ScheduledJobs } from './scheduled-jobs';
import { scheduledJobs } from '../lambdas/scheduled/table';
import { constructIdOf, plannedFunctions, type PlannedFunction } from './routing';
import { readSettings, type Settings } from './settings';
import { grantAccessEntry } from './table-access';
import { TRACING_ENVIRONMENT, traceFunctions } from './tracing';

/** `route selection expression`: the frame's `event` field picks the route. */
export const ROUTE_SELECTION_EXPRESSION = '$request.body.event';

/** Length of the generated token signing secret (HS256 key; alphanumerics ≈ 381 bits). */
export const TOKEN_SECRET_LENGTH = 64;

export { constructIdOf } from './routing';

export interface MessengerStackProps extends StackProps {
  /** @default the route table */
  routes?: readonly RouteDefinition[];
  /** @default the table definitions */
  tables?: readonly TableDefinition[];
  /** @default read from context (see lib/settings.ts) */
  settings?: Settings;
}

const attribute = ({ name, type }: KeyAttribute): Attribute => ({
  name,
  type: type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
});

export { DYNAMODB_ACTIONS } from './grants';

/**
 * A Lambda proxy integration without the invoke permission that
 * WebSocketLambdaIntegration adds per route, whose source ARN ends in the
 * route key (`…/*auth by credentials`): whether a space there works is
 * undocumented. The stack grants each function one permission for its stage
 * instead (`…/<api>/<stage>/*`).
 */
class LambdaProxyIntegration extends WebSocketRouteIntegration {
  constructor(
    id: string,
    private readonly handler: IFunction,
  ) {
    super(id);
  }

  bind(options: WebSocketRouteIntegrationBindOptions): WebSocketRouteIntegrationConfig {
    const uri = Stack.of(options.route).formatArn({
      service: 'apigateway',
      account: 'lambda',
      resource: 'path/2015-03-31/functions',
      resourceName: `${this.handler.functionArn}/invocations`,
    });
    return { type: WebSocketIntegrationType.AWS_PROXY, uri };
  }
}

export class MessengerStack extends Stack {
  readonly tables: ReadonlyMap<TableDefinition['name'], Table>;
  readonly definitions: readonly TableDefinition[];
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly tokenSecret: Secret;
  readonly functions: ReadonlyMap<string, RouteFunction>;
  readonly observability: Observability;
  /** The stack's own file server, unless context `filesUrl` names another. */
  readonly files?: FileStorage;
  readonly streams: StreamConsumers;
  /** The bus of offline-recipient events and its grant (lib/offline-events.ts). */
  readonly offlineEvents?: OfflineEvents;
  /** Functions run on a schedule: the connection sweeper (lib/scheduled-jobs.ts). */
  readonly scheduled: ScheduledJobs;

  constructor(scope: Construct, id: string, props: MessengerStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? readSettings(this.node);
    const routes = props.routes ?? routeTable;
    const definitions = (this.definitions = props.tables ?? tableDefinitions);

    this.tables = new Map(definitions.map((definition) => [definition.name, this.table(definition)]));

    this.tokenSecret = new Secret(this, 'TokenSecret', {
      description: 'HMAC key that signs login tokens (HS256).',
      generateSecretString: { passwordLength: TOKEN_SECRET_LENGTH, excludePunctuation: true, includeSpace: false },
    });

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${this.stackName}-api`,
      description: 'Messenger WebSocket API: one route per frame.',
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: settings.stageName,
      autoDeploy: true,
      throttle: { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit },
      accessLogSettings: accessLogs(this, 'AccessLogs', WEBSOCKET_ACCESS_LOG_FIELDS, settings.logRetentionDays),
      detailedMetricsEnabled: true,
    });
    if (settings.apiGatewayCloudWatchRole) this.stage.node.addDependency(new ApiGatewayAccountRole(this, 'ApiGatewayAccount'));
    const domain = settings.domain && new CustomDomain(this, 'Domain', { ...settings.domain, api: this.api, stage: this.stage, serves: 'the WebSocket API' });

    if (!settings.filesUrl) {
      this.files = new FileStorage(this, 'Files', {
        logins: { table: this.tables.get('Data')!, tokenSecret: this.tokenSecret },
        ...(settings.allowedOrigins.length ? { allowedOrigins: settings.allowedOrigins } : {}),
        logRetention: settings.logRetentionDays,
        domain: settings.filesDomain,
      });
    }

    const environment: Readonly<Record<string, string>> = Object.freeze({
      ...Object.fromEntries(definitions.map((definition) => [definition.envVar, this.tables.get(definition.name)!.tableName])),
      MANAGEMENT_ENDPOINT: this.stage.callbackUrl,
      // Every function: lambdas/config.ts requires it. Only tokenSecret routes may read the secret (IAM below).
      TOKEN_SECRET_ARN: this.tokenSecret.secretArn,
      FILES_URL: settings.filesUrl ?? this.files!.url,
      ALLOWED_ORIGINS: settings.allowedOrigins.join(','),
      // The frame lines' EMF metrics (lambdas/emf.ts) land under the stack's name: stages do not mix.
      METRICS_NAMESPACE: this.stackName,
      ...(settings.tracing ? TRACING_ENVIRONMENT : {}),
    });

    const functions = new Map<string, RouteFunction>();
    const ids = new Map<string, string>();
    for (const planned of plannedFunctions(settings.routing, routes)) {
      const constructId = constructIdOf(planned.routeKey);
      const clash = ids.get(constructId);
      if (clash !== undefined) throw new Error(`routes ${clash} and ${planned.routeKey} would share the construct id ${constructId}`);
      ids.set(constructId, planned.routeKey);
      functions.set(planned.routeKey, this.route(constructId, planned, environment, settings));
    }
    this.functions = functions;
    this.streams = new StreamConsumers(this, STREAMS_CONSTRUCT_ID, {
      consumers: streamConsumers.filter((c) => this.tables.has(c.table)),
      tables: this.tables,
      environment,
      stage: this.stage,
      logRetention: settings.logRetentionDays,
    });
    const offlinePublisher = this.streams.consumers.get('offline-recipients');
    if (offlinePublisher) this.offlineEvents = new OfflineEvents(this, 'OfflineEvents', { bus: settings.offlineEventBus, publisher: offlinePublisher.fn });
    this.scheduled = new ScheduledJobs(this, SCHEDULED_CONSTRUCT_ID, {
      jobs: scheduledJobs,
      tables: this.tables,
      environment,
      logRetention: settings.logRetentionDays,
      everyMinutes: settings.connectionSweepMinutes ? { 'sweep-connections': settings.connectionSweepMinutes } : {},
    });
    const jobs = [...this.scheduled.functions].map(([module, fn]) => ({ id: `Scheduled${constructIdOf(module)}`, name: `scheduled ${module}`, fn }));
    const consumers = [...this.streams.consumers].map(([module, consumer]) => ({ id: `Stream${constructIdOf(module)}`, name: `stream ${module}`, ...consumer }));
    if (settings.tracing) traceFunctions([...functions.values(), ...consumers.map((c) => c.fn), ...jobs.map((j) => j.fn), ...(this.files ? [this.files.handler] : [])]);
    applyRouteLimits(this.stage, functions, routes, {
      loginThrottle: { rateLimit: settings.loginThrottleRateLimit, burstLimit: settings.loginThrottleBurstLimit },
      reservedConcurrency: settings.reservedConcurrency,
    });

    this.observability = new Observability(this, 'Observability', {
      functions: [
        ...[...functions].map(([event, fn]) => ({ id: constructIdOf(event), name: event, fn, memoryMb: fn.route.memoryMb ?? DEFAULT_MEMORY_MB })),
        ...consumers.map(({ id, name, fn }) => ({ id, name, fn, memoryMb: fn.route.memoryMb ?? DEFAULT_MEMORY_MB })),
        ...jobs.map(({ id, name, fn }) => ({ id, name, fn, memoryMb: fn.route.memoryMb ?? DEFAULT_MEMORY_MB })),
        ...(this.files ? [{ id: 'Files', name: 'file server', fn: this.files.handler, memoryMb: FILE_SERVER_MEMORY_MB }] : []),
      ],
      streamConsumers: consumers,
      webSocketApiId: this.api.apiId,
      stageName: settings.stageName,
      tables: this.tables,
      filesApi: this.files && { apiId: this.files.api.apiId, stageName: this.files.stage.stageName },
      alarmEmail: settings.alarmEmail,
    });

    new CfnOutput(this, 'WebSocketUrl', {
      value: domain ? `wss://${domain.domainName}` : this.stage.url,
      description: domain ? 'Clients connect here: the custom domain (the stage URL answers too).' : 'Clients connect here (wss://).',
    });
    new CfnOutput(this, 'ManagementEndpoint', { value: this.stage.callbackUrl, description: 'API Gateway Management API (PostToConnection).' });
    for (const [name, table] of this.tables) {
      new CfnOutput(this, `${name}TableName`, { value: table.tableName, description: `DynamoDB table ${name}.` });
    }
    if (this.offlineEvents) {
      new CfnOutput(this, 'OfflineEventsBusName', { value: this.offlineEvents.bus.eventBusName, description: 'EventBridge bus of offline-recipient events (rules for APNs / FCM go here).' });
    }
    new CfnOutput(this, 'TokenSecretArn', { value: this.tokenSecret.secretArn, description: 'Token signing key (Secrets Manager).' });
    acknowledgeNagFindings(this, { api: this.api, stageName: settings.stageName, tokenSecret: this.tokenSecret, files: this.files, streams: this.streams });
  }

  private table(definition: TableDefinition): Table {
    const table = new Table(this, `${definition.name}Table`, {
      partitionKey: attribute(definition.partitionKey),
      sortKey: definition.sortKey && attribute(definition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: definition.ttlAttribute,
      ...(definition.stream ? { stream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: index.projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
      });
    }
    return table;
  }

  private route(id: string, { routeKey, module, route }: PlannedFunction, environment: Readonly<Record<string, string>>, settings: Settings): RouteFunction {
    const scope = new Construct(this, id);
    const fn = new RouteFunction(scope, 'Function', { route, module, environment, logRetention: settings.logRetentionDays });

    grantAccessEntry(fn, `route ${route.event}`, route.access, this.tables, this.definitions);
    if (route.tokenSecret) this.tokenSecret.grantRead(fn);
    for (const write of narrowedWrites(route)) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [...write.actions],
          resources: [this.tables.get(write.table)!.tableArn],
          conditions: structuredClone(write.conditions),
        }),
      );
    }
    if (postsToConnections(route)) this.stage.grantManagementApiAccess(fn);
    fn.addPermission('InvokeFromStage', {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: this.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `${this.stage.stageName}/*` }),
    });

    new WebSocketRoute(scope, 'Route', {
      webSocketApi: this.api,
      routeKey,
      integration: new LambdaProxyIntegration('Integration', fn),
      // Two-way: the handler's result is the ack. `$connect` / `$disconnect` answer nobody.
      returnResponse: routeKey !== '$connect' && routeKey !== '$disconnect',
    });
    return fn;
  }
}
