/**
 * The AWS latency model (local/latency-model.ts) and the per-frame count of
 * sequential DynamoDB round trips (lambdas/frame-cost.ts): the distribution's
 * percentiles, the settings' checks, and that the stack waits each modeled
 * delay where AWS would spend it — API Gateway's legs, each DynamoDB request,
 * each Management API call, a bundle instance's cold start.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoRequestStarted, measureFrame } from '../lambdas/frame-cost';
import { BundleFunction } from '../local/bundles';
import { AWS_LATENCY, createLatencyModel, latencyModelFromEnv, latencySettings, type LatencySettings } from '../local/latency-model';
import type { SynthesizedFunction } from '../local/template';
import { TestClient } from './support/client';
import { recordFrames } from './support/frame-costs';
import { getDeps } from '../lambdas/deps';
import type { LocalStack } from '../local/stack';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const at = (xs: number[], p: number) => xs[Math.floor(p * xs.length)]!;

describe('the latency model', () => {
  it('draws delays whose p50 and p95 are the configured ones, the same for the same seed', () => {
    const model = createLatencyModel(latencySettings(), 7);
    const draws = sorted(Array.from({ length: 20_000 }, () => model.sample({ p50: 10, p95: 30 })));
    expect(at(draws, 0.5)).toBeGreaterThan(9.5);
    expect(at(draws, 0.5)).toBeLessThan(10.5);
    expect(at(draws, 0.95)).toBeGreaterThan(28);
    expect(at(draws, 0.95)).toBeLessThan(32);
    expect(draws[0]).toBeGreaterThan(0);
    const again = createLatencyModel(latencySettings(), 7);
    const replay = sorted(Array.from({ length: 20_000 }, () => again.sample({ p50: 10, p95: 30 })));
    expect(replay).toEqual(draws);
    expect(model.sample({ p50: 0, p95: 0 })).toBe(0);
    expect(model.sample({ p50: 5, p95: 5 })).toBe(5);
  });

  it('takes partial overrides over the defaults and refuses what it cannot use', () => {
    const settings = latencySettings({ coldStart: { p50: 300, p95: 900 }, dynamo: { Query: { p50: 7, p95: 20 } } });
    expect(settings.coldStart).toEqual({ p50: 300, p95: 900 });
    expect(settings.dynamo.Query).toEqual({ p50: 7, p95: 20 });
    expect(settings.dynamo.GetItem).toEqual(AWS_LATENCY.dynamo.GetItem);
    expect(settings.gatewayToLambda).toEqual(AWS_LATENCY.gatewayToLambda);
    expect(() => latencySettings({ gateway: { p50: 1, p95: 2 } })).toThrow(/unknown key gateway/);
    expect(() => latencySettings({ dynamo: { GetItems: { p50: 1, p95: 2 } } })).toThrow(/unknown DynamoDB operation GetItems/);
    expect(() => latencySettings({ coldStart: { p50: 10, p95: 5 } })).toThrow(/coldStart must be/);
    expect(() => latencySettings({ postToConnection: { p50: -1, p95: 5 } })).toThrow(/postToConnection must be/);
    expect(latencyModelFromEnv({})).toBeUndefined();
    expect(latencyModelFromEnv({ LATENCY_MODEL: 'none' })).toBeUndefined();
    expect(() => latencyModelFromEnv({ LATENCY_MODEL: 'azure' })).toThrow(/LATENCY_MODEL must be/);
    expect(() => latencyModelFromEnv({ LATENCY_MODEL: 'aws', LATENCY_MODEL_JSON: '{' })).toThrow(/not JSON/);
    expect(latencyModelFromEnv({ LATENCY_MODEL: 'aws', LATENCY_MODEL_JSON: '{"coldStart":{"p50":1,"p95":2}}' })!.settings.coldStart).toEqual({ p50: 1, p95: 2 });
  });

  it('waits nothing while inactive', async () => {
    const model = createLatencyModel(latencySettings({ gatewayToLambda: { p50: 500, p95: 500 } }));
    model.active = false;
    const started = performance.now();
    await model.wait('gatewayToLambda');
    await model.waitDynamo('GetItem');
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('sequential DynamoDB round trips of a frame', () => {
  it('counts requests issued together once, and one issued after the others are back again', async () => {
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const { cost } = await measureFrame(async () => {
      const a = dynamoRequestStarted();
      const b = dynamoRequestStarted();
      await tick();
      a();
      const c = dynamoRequestStarted(); // b still in flight: not on the critical path
      await tick();
      b();
      c();
      const d = dynamoRequestStarted();
      d();
      d(); // twice is once
      const e = dynamoRequestStarted();
      e();
    });
    expect(cost.dynamoRoundTrips).toBe(3);
    expect(dynamoRequestStarted()).toBeTypeOf('function'); // outside a frame: nothing counted, no throw
  });
});

/** Exact delays (p50 = p95) that a frame's time can be checked against. */
const fixed = (ms: number) => ({ p50: ms, p95: ms });
const none = fixed(0);

describe('the local stack with LATENCY_MODEL=aws', () => {
  let stack: LocalStack;
  const settings: Partial<LatencySettings> = {
    gatewayToLambda: fixed(40),
    lambdaToGateway: fixed(20),
    postToConnection: fixed(100),
    dynamo: Object.fromEntries(Object.keys(AWS_LATENCY.dynamo).map((op) => [op, none])) as LatencySettings['dynamo'],
  };
  settings.dynamo!.GetItem = fixed(30);

  beforeAll(async () => {
    stack = await startTestStack({ env: { LATENCY_MODEL: 'aws', LATENCY_MODEL_JSON: JSON.stringify(settings) } });
  });
  afterAll(() => stack?.close());

  it('waits API Gateway legs, each DynamoDB request and each Management API call of a frame', async () => {
    const model = stack.latency!;
    expect(model.settings.gatewayToLambda).toEqual(fixed(40));
    model.active = false;
    await createTestUser({ username: 'modeled', password: 'modeled-secret' });
    const { client } = await loggedIn(stack, 'modeled', 'modeled-secret');
    model.active = true;
    const frames = recordFrames();
    const timed = async (event: string, data?: unknown) => {
      const started = performance.now();
      await client.call(event, data);
      return performance.now() - started;
    };
    // ping: API Gateway in (40) + the session's GetItem (30) + API Gateway out (20).
    expect(await timed('ping')).toBeGreaterThanOrEqual(90);
    // who am i: the same, and a BatchGet (0 here) after the session.
    expect(await timed('who am i')).toBeGreaterThanOrEqual(90);
    // A closed connection's Management API call waits too: reached through the pusher, as every post is.
    const started = performance.now();
    expect(await getDeps().push.send('AAAAAAAAAAAAAAA=', ['{}'])).toBe('gone');
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    frames.stop();
    const byRoute = Object.fromEntries(frames.frames.map((f) => [f.route, f.dynamoRoundTrips]));
    expect(byRoute).toMatchObject({ ping: 1, 'who am i': 2 });
    model.active = false;
    const started2 = performance.now();
    await client.call('ping');
    expect(performance.now() - started2).toBeLessThan(90);
    await client.close();
  });

  it('logs in by token in 4 sequential round trips, and by a token that names no domain (issued before tokens did) in 5', async () => {
    stack.latency!.active = false;
    await createTestUser({ username: 'rotating', password: 'rotating-secret' });
    const first = await loggedIn(stack, 'rotating', 'rotating-secret');
    const frames = recordFrames();
    const client = await TestClient.connect(stack.url);
    const named = await frames.costOf(client, 'auth by token', { userId: first.userId, token: first.token });
    // The rotation with the user and domain; presence; the connection's binding; the family's list of connections.
    expect(named.dynamoRoundTrips).toBe(4);
    const { token } = client.acks.at(-1)!.result as { token: string };
    const claims = decodeJwt(token);
    expect(claims.did).toBeTypeOf('number');
    const { did: _, ...older } = claims;
    const unnamed = await new SignJWT(older).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(getDeps().config.tokenSecret!));
    const again = await TestClient.connect(stack.url);
    const before = await frames.costOf(again, 'auth by token', { userId: first.userId, token: unnamed });
    expect(before.dynamoRoundTrips).toBe(5);
    expect(before.dynamoRequests).toBe(named.dynamoRequests);
    frames.stop();
    await Promise.all([first.client, client, again].map((c) => c.close()));
  });
});

describe('a bundle instance cold start under the model', () => {
  it('waits the platform part once, on the instance start, after the import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latency-bundle-'));
    const entry = join(dir, 'index.mjs');
    writeFileSync(entry, 'export const handler = async (event) => ({ echo: event });\n');
    const fn: SynthesizedFunction = {
      logicalId: 'EchoFunction',
      path: 'Messenger/Echo/Function/Resource',
      entry,
      handlerName: 'handler',
      runtime: 'nodejs24.x',
      memoryMb: 128,
      timeoutSeconds: 5,
      environment: {},
      statements: [],
    };
    const model = createLatencyModel(latencySettings({ coldStart: fixed(300) }));
    const echo = new BundleFunction(fn, () => ({}), { platformStart: () => model.wait('coldStart') });
    try {
      const time = async () => {
        const started = performance.now();
        expect(await echo.invoke({ n: 1 })).toEqual({ echo: { n: 1 } });
        return performance.now() - started;
      };
      expect(await time()).toBeGreaterThanOrEqual(300);
      expect(await time()).toBeLessThan(300);
      expect(echo.coldStarts).toBe(1);
    } finally {
      await echo.close();
    }
  });
});
