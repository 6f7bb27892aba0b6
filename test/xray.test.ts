/**
 * X-Ray on the SDK clients (lambdas/xray.ts): the flag decides at build time
 * whether the X-Ray SDK is in a bundle at all, and at load time (unbundled,
 * as the local stack runs) whether the clients get its middleware. Without
 * AWS there is no trace daemon nor Lambda segment: the SDK runs with the
 * context-missing strategy IGNORE_ERROR, so a traced request still goes
 * through to the embedded DynamoDB.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bundlingFor, PROJECT_ROOT } from '../lib/route-function';
import { TRACING_ENVIRONMENT } from '../lib/tracing';
import { startEmbeddedDynamo } from '../local/embedded-dynamo';
import { tables } from '../lambdas/storage/tables';

const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';

async function bundleOfDeps(environment: Record<string, string>): Promise<string> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, 'lambdas', 'deps.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    define: bundlingFor(environment).define,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}

/** lambdas/deps.ts loaded afresh with TRACE_AWS_CLIENTS as given (the flag is read when lambdas/xray.ts loads). */
async function depsWith(flag: string | undefined) {
  vi.resetModules();
  vi.stubEnv('TRACE_AWS_CLIENTS', flag);
  vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
  const [deps, xray] = await Promise.all([import('../lambdas/deps'), import('../lambdas/xray')]);
  return { ...deps, tracingClients: xray.tracingClients };
}

const names = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('X-Ray on the SDK clients', { timeout: 60_000 }, () => {
  it('is in the bundle only when the function traces', async () => {
    const [plain, traced] = await Promise.all([bundleOfDeps({}), bundleOfDeps({ ...TRACING_ENVIRONMENT })]);
    expect(plain).not.toContain(XRAY_MIDDLEWARE);
    expect(traced).toContain(XRAY_MIDDLEWARE);
    // ~110 KB of X-Ray SDK (docs/benchmarks.md), none of it in the default bundle.
    expect(traced.length - plain.length).toBeGreaterThan(50_000);
  });

  it('wraps the DynamoDB and Management API clients when the flag is on, and not otherwise', async () => {
    const config = { region: 'local', dynamoEndpoint: 'http://127.0.0.1:1', managementEndpoint: 'http://127.0.0.1:1' };
    const off = await depsWith(undefined);
    expect(off.tracingClients).toBe(false);
    expect(names(off.createManagementClient(config))).not.toContain(XRAY_MIDDLEWARE);
    expect(names(off.createDynamoClient(config))).not.toContain(XRAY_MIDDLEWARE);

    const on = await depsWith('true');
    expect(on.tracingClients).toBe(true);
    expect(names(on.createManagementClient(config))).toContain(XRAY_MIDDLEWARE);
    // The document client shares the wrapped client's stack.
    expect(names(on.createDynamoClient(config))).toContain(XRAY_MIDDLEWARE);
  });

  it('a traced client still talks to DynamoDB without a segment (IGNORE_ERROR, as locally)', async () => {
    const dynamo = await startEmbeddedDynamo({ port: 0, sweepIntervalMs: 0, tables });
    try {
      const on = await depsWith('true');
      const db = on.createDynamoClient({ region: 'local', dynamoEndpoint: dynamo.endpoint });
      expect(names(db)).toContain(XRAY_MIDDLEWARE);
      const { TableNames } = await db.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(expect.arrayContaining(tables.map((t) => t.name)));
    } finally {
      await dynamo.close();
    }
  });
});
