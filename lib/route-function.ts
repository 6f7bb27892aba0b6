/**
 * The Lambda function of one route: a NodejsFunction with the project's
 * defaults fixed, so the stack only says which route it is and what it may
 * touch. Every function is bundled by esbuild from `lambdas/routes/<module>.ts`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functionRole } from './function-role';
import { moduleOf, type RouteDefinition } from '../lambdas/routes/table';

/** The repository root: where package-lock.json and lambdas/ live. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Newest Node.js runtime of aws-cdk-lib; one line to change. */
export const ROUTE_RUNTIME = Runtime.NODEJS_24_X;

/** API Gateway's integration timeout: a function running longer could never answer. */
export const ROUTE_TIMEOUT = Duration.seconds(29);

/** @see RouteDefinition.memoryMb */
export const DEFAULT_MEMORY_MB = 256;

/**
 * ESM output has no `require`; esbuild's shim for bundled CommonJS code that
 * requires Node built-ins throws without one, so the bundle defines it.
 */
const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Credential providers of the SDK's default chain that a function never
 * reaches: Lambda gives every function its role's credentials in the
 * environment, the chain's first link (`fromEnv`), and the chain loads each
 * later link by a dynamic `import()` only when the links before it failed.
 * Left out of the bundles, they take with them the STS/SSO clients they
 * build on (@aws-sdk/nested-clients): ~90 KB of every bundle, a fifth
 * (docs/benchmarks.md, "Cold start"). Were one ever reached, its import
 * would fail with the package's name. The container and instance metadata
 * providers stay (small, and also what the SDK's defaults mode reads).
 */
export const NEVER_ON_LAMBDA = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
] as const;

/**
 * How every function of the stack is bundled (route functions and the file
 * server alike): one definition, so a bundle cannot miss the banner.
 */
const TRACE_FLAG = 'process.env.TRACE_AWS_CLIENTS';

export const BUNDLING: Readonly<BundlingOptions> = Object.freeze({
  format: OutputFormat.ESM,
  // ESM builds of dependencies (the AWS SDK ships both) tree-shake better.
  mainFields: ['module', 'main'],
  banner: REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.EXTERNAL,
  sourcesContent: false,
  // The SDK versions the lockfile pins (and the tests ran), not whichever the runtime carries.
  bundleAwsSDK: true,
  externalModules: [...NEVER_ON_LAMBDA],
  tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
  // lambdas/xray.ts: off unless bundlingFor says otherwise, and then the X-Ray SDK is not in the bundle at all.
  define: { [TRACE_FLAG]: '""' },
});

/**
 * A function's bundling: BUNDLING, with the tracing flag of its environment
 * fixed at build time (lib/tracing.ts sets it), so only traced stacks bundle
 * the X-Ray SDK.
 */
export function bundlingFor(environment: Readonly<Record<string, string>>): BundlingOptions {
  return { ...BUNDLING, define: { [TRACE_FLAG]: JSON.stringify(environment.TRACE_AWS_CLIENTS ?? '') } };
}

export const entryOf = (route: RouteDefinition, module = moduleOf(route.event)): string => join(PROJECT_ROOT, 'lambdas', 'routes', `${module}.ts`);

export interface RouteFunctionProps {
  route: RouteDefinition;
  /** Handler module (lambdas/routes/<module>.ts). @default the route's own */
  module?: string;
  /** The handler file, for functions that are not routes (stream consumers). @default from `module` */
  entry?: string;
  /** @default ROUTE_TIMEOUT (functions API Gateway does not wait for may run longer) */
  timeout?: Duration;
  /** Environment shared by every route function (copied, never mutated). */
  environment: Readonly<Record<string, string>>;
  logRetention: RetentionDays;
}

export class RouteFunction extends NodejsFunction {
  readonly route: RouteDefinition;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    const entry = props.entry ?? entryOf(props.route, props.module);
    if (!existsSync(entry)) throw new Error(`route ${props.route.event}: handler module ${entry} does not exist`);
    // Our own log group: retention without the LogRetention custom-resource function.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    super(scope, id, {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: ROUTE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.route.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? ROUTE_TIMEOUT,
      description: `route ${props.route.event}: ${props.route.summary}`.slice(0, 256),
      logGroup,
      role: functionRole(scope, `${id}Role`, logGroup),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: bundlingFor(props.environment),
    });
    this.route = props.route;
  }
}
