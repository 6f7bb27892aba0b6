/**
 * ROUTING=dispatcher on the local stack, as `cdk deploy -c routing=dispatcher`
 * deploys it: only `$connect`, `$disconnect` and `$default`, and `$default`
 * answers every frame through the route table (the walkthrough runs in both
 * routings in CI: ROUTING=dispatcher npx vitest run test/protocol-walkthrough.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { handler as connect } from '../lambdas/routes/connect';
import { handler as disconnect } from '../lambdas/routes/disconnect';
import { getConnection } from '../lambdas/storage/connections';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { createTestUser, startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ routing: 'dispatcher' });
  await createTestUser({ username: 'dana', password: 'dana-secret' });
});
afterAll(() => stack?.close());

describe('routing=dispatcher', () => {
  it('serves three routes', () => {
    expect(stack.routing).toBe('dispatcher');
    expect(stack.routeKeys.sort()).toEqual(['$connect', '$default', '$disconnect']);
  });

  it('runs each frame through its own route\'s chain: auth, schema, session and unknown events alike', async () => {
    const client = await TestClient.connect(stack.url);
    expect((await client.request('who am i')).error).toBe('not authenticated');
    expect((await client.request('auth by credentials', { username: 5 })).error).toBe('wrong data provided');
    expect((await client.request('no such frame')).error).toBe('unknown event');
    const { userId } = await client.call<{ userId: number }>('auth by credentials', { username: 'dana', password: 'dana-secret' });
    expect((await client.call<{ id: number }>('who am i')).id).toBe(userId);
    expect(await client.call('ping')).toHaveProperty('time');
    await client.close();
  });
});

describe('$connect / $disconnect check eventType', () => {
  it('refuse an event of another type before their handler runs', async () => {
    const event = (eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') => ({ requestContext: { routeKey: '$default', eventType, connectionId: 'AAAAAAAAAAAAAAA=' } });
    expect(await connect(event('MESSAGE'), {})).toEqual({ statusCode: 400 });
    expect(await connect(event('DISCONNECT'), {})).toEqual({ statusCode: 400 });
    expect(await disconnect(event('CONNECT'), {})).toEqual({ statusCode: 400 });
    expect(await getConnection(getDeps(), 'AAAAAAAAAAAAAAA=')).toBeUndefined();
    expect(await connect(event('CONNECT'), {})).toEqual({ statusCode: 200 });
    expect(await getConnection(getDeps(), 'AAAAAAAAAAAAAAA=')).toBeDefined();
  });
});
