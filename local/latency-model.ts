/**
 * The AWS latency model of the local stack: per call, a delay standing for
 * what AWS adds where the local stack adds (almost) nothing — API Gateway to
 * Lambda and back for each frame, each DynamoDB operation by kind, each
 * PostToConnection, and the platform's share of a cold start (bundle
 * runtime: the bundle's own import is real and comes on top). Each delay is
 * drawn from a lognormal distribution with the given p50 and p95, from a
 * seeded generator, so a run's p95 means something and can be replayed.
 *
 *   LATENCY_MODEL=aws npm start
 *   LATENCY_MODEL=aws LATENCY_MODEL_JSON='{"dynamo":{"Query":{"p50":8,"p95":20}}}' LATENCY_MODEL_SEED=7 npm start
 *
 * The defaults and their sources are in docs/benchmarks.md ("AWS latency
 * model"). Values are milliseconds. Network time between a client and API
 * Gateway is not modeled: it is the client's, not the backend's.
 */
import { seededRandom } from './seeded-random';

export interface Spread {
  p50: number;
  p95: number;
}

export const DYNAMO_OPERATIONS = [
  'GetItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'TransactGetItems',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
] as const;

export interface LatencySettings {
  /** API Gateway receives a frame → the route's function starts handling it (routing, Lambda invoke). */
  gatewayToLambda: Spread;
  /** The function returns its route response → API Gateway sends it on the socket. */
  lambdaToGateway: Spread;
  /** One PostToConnection (or DeleteConnection) request of the Management API, as the function waits for it. */
  postToConnection: Spread;
  /** The platform's part of a cold start (sandbox, code download, runtime start), before the bundle's import. */
  coldStart: Spread;
  /** One DynamoDB request as the SDK waits for it, by operation; `other` for the rest (DescribeTable, …). */
  dynamo: Record<(typeof DYNAMO_OPERATIONS)[number] | 'other', Spread>;
}

/** Published figures, or estimates within them where none is per operation (docs/benchmarks.md cites each). */
export const AWS_LATENCY: LatencySettings = {
  gatewayToLambda: { p50: 8, p95: 20 },
  lambdaToGateway: { p50: 4, p95: 10 },
  postToConnection: { p50: 10, p95: 25 },
  coldStart: { p50: 150, p95: 400 },
  dynamo: {
    GetItem: { p50: 4, p95: 9 },
    Query: { p50: 5, p95: 12 },
    Scan: { p50: 8, p95: 25 },
    BatchGetItem: { p50: 6, p95: 14 },
    TransactGetItems: { p50: 8, p95: 18 },
    PutItem: { p50: 6, p95: 14 },
    UpdateItem: { p50: 6, p95: 14 },
    DeleteItem: { p50: 6, p95: 14 },
    BatchWriteItem: { p50: 9, p95: 22 },
    TransactWriteItems: { p50: 14, p95: 35 },
    other: { p50: 6, p95: 15 },
  },
};

export type LatencyKind = Exclude<keyof LatencySettings, 'dynamo'>;

export interface LatencyModel {
  /** Off: no delay (a bench sets up its data first, then turns it on). @default true */
  active: boolean;
  readonly settings: LatencySettings;
  /** Waits one delay of `kind`; at once when inactive. */
  wait(kind: LatencyKind): Promise<void>;
  /** A DynamoDB request's delay, by operation name. */
  waitDynamo(operation: string): Promise<void>;
  /** One draw of a distribution, in ms (for tests and reports). */
  sample(spread: Spread): number;
}

/** z of the 95th percentile of a standard normal. */
const Z95 = 1.6448536269514722;

function checkSpread(where: string, spread: unknown): Spread {
  const { p50, p95 } = (spread ?? {}) as Partial<Spread>;
  if (typeof p50 !== 'number' || typeof p95 !== 'number' || !(p50 >= 0) || !(p95 >= p50)) {
    throw new Error(`LATENCY_MODEL_JSON: ${where} must be { p50, p95 } with 0 <= p50 <= p95, got ${JSON.stringify(spread)}`);
  }
  return { p50, p95 };
}

/** The defaults with `overrides` (a partial LatencySettings, e.g. from LATENCY_MODEL_JSON) on top, checked. */
export function latencySettings(overrides: unknown = {}): LatencySettings {
  const given = (overrides ?? {}) as Partial<Record<keyof LatencySettings, unknown>> & { dynamo?: Record<string, unknown> };
  const known = new Set(Object.keys(AWS_LATENCY));
  for (const key of Object.keys(given)) if (!known.has(key)) throw new Error(`LATENCY_MODEL_JSON: unknown key ${key} (known: ${[...known].join(', ')})`);
  const dynamoKeys = new Set(Object.keys(AWS_LATENCY.dynamo));
  for (const key of Object.keys(given.dynamo ?? {})) if (!dynamoKeys.has(key)) throw new Error(`LATENCY_MODEL_JSON: unknown DynamoDB operation ${key}`);
  const pick = (key: LatencyKind) => checkSpread(key, given[key] ?? AWS_LATENCY[key]);
  return {
    gatewayToLambda: pick('gatewayToLambda'),
    lambdaToGateway: pick('lambdaToGateway'),
    postToConnection: pick('postToConnection'),
    coldStart: pick('coldStart'),
    dynamo: Object.fromEntries(
      Object.entries(AWS_LATENCY.dynamo).map(([op, spread]) => [op, checkSpread(`dynamo.${op}`, given.dynamo?.[op] ?? spread)]),
    ) as LatencySettings['dynamo'],
  };
}

export function createLatencyModel(settings: LatencySettings, seed = 1): LatencyModel {
  const random = seededRandom(seed);
  const normal = () => {
    // Box–Muller; 1 - u keeps the logarithm finite.
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const sample = ({ p50, p95 }: Spread) => (p50 === 0 ? 0 : p50 * Math.exp((Math.log(p95 / p50) / Z95) * normal()));
  const sleep = (spread: Spread) => new Promise<void>((resolve) => setTimeout(resolve, sample(spread)));
  const model: LatencyModel = {
    active: true,
    settings,
    sample,
    wait: (kind) => (model.active ? sleep(settings[kind]) : Promise.resolve()),
    waitDynamo: (operation) => {
      if (!model.active) return Promise.resolve();
      return sleep(settings.dynamo[operation as keyof LatencySettings['dynamo']] ?? settings.dynamo.other);
    },
  };
  return model;
}

/** From the environment: LATENCY_MODEL (`aws`, or empty/`none` for no model), LATENCY_MODEL_JSON, LATENCY_MODEL_SEED. */
export function latencyModelFromEnv(env: NodeJS.ProcessEnv): LatencyModel | undefined {
  const name = env.LATENCY_MODEL ?? '';
  if (name === '' || name === 'none') return undefined;
  if (name !== 'aws') throw new Error(`LATENCY_MODEL must be aws or none, got ${name}`);
  let overrides: unknown = {};
  try {
    overrides = env.LATENCY_MODEL_JSON ? JSON.parse(env.LATENCY_MODEL_JSON) : {};
  } catch (error) {
    throw new Error(`LATENCY_MODEL_JSON is not JSON: ${String(error)}`);
  }
  return createLatencyModel(latencySettings(overrides), Number(env.LATENCY_MODEL_SEED ?? 1));
}
