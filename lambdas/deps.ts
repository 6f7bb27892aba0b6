/**
 * The one place that decides local vs AWS: clients are built from Config
 * (endpoints set locally, absent on AWS) and memoised per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { readConfig, type Config } from './config';
import { connectionEnded } from './domain/presence';
import { recordDynamoRequest } from './metrics';
import { createPusher, type Pusher } from './push';

export interface Deps {
  config: Config;
  db: DynamoDBDocumentClient;
  push: Pusher;
  now: () => Date;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const READS_WITHOUT_CAPACITY = new Set(['DescribeTableCommand', 'DescribeTimeToLiveCommand', 'ListTablesCommand', 'CreateTableCommand']);

export function createDynamoClient(config: Pick<Config, 'region' | 'dynamoEndpoint'>): DynamoDBDocumentClient {
  const local = config.dynamoEndpoint !== undefined;
  const client = new DynamoDBClient({
    region: config.region,
    ...(local ? { endpoint: config.dynamoEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  // Ask every request for its consumed capacity (free), and count it for the frame's log line.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      const command = context.commandName ?? '';
      if (!READS_WITHOUT_CAPACITY.has(command)) input.ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      recordDynamoRequest(command, (result.output as { ConsumedCapacity?: never }).ConsumedCapacity);
      return result;
    },
    { step: 'initialize', name: 'frameCost' },
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createManagementClient(config: Pick<Config, 'region' | 'managementEndpoint' | 'dynamoEndpoint'>) {
  const local = config.dynamoEndpoint !== undefined;
  return new ApiGatewayManagementApiClient({
    region: config.region,
    endpoint: config.managementEndpoint,
    ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

export function createDeps(config: Config): Deps {
  const db = createDynamoClient(config);
  const deps: Deps = {
    config,
    db,
    push: createPusher({ db, config, management: createManagementClient(config) }),
    now: () => new Date(),
  };
  // A connection found gone during a push leaves presence (and its user may go offline).
  deps.push.onGone = (connection) => connectionEnded(deps, connection);
  return deps;
}

let memo: Deps | undefined;

export function getDeps(): Deps {
  memo ??= createDeps(readConfig());
  return memo;
}

/** The local stack calls this after it has set the environment (tests restart it). */
export function resetDeps(): void {
  memo = undefined;
}
