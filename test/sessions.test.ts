/** Connections and logins over time: devices, vanished connections, timeouts, restarts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { pushToConnection } from '../lambdas/domain/presence';
import { configureDomain } from '../lambdas/domain/provisioning';
import { connectionsOfUser } from '../lambdas/storage/connections';
import { epochSeconds } from '../lambdas/storage/store';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

describe('one stack', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ idleTimeoutMs: 1500, env: { ALLOWED_ORIGINS: 'https://app.example' } });
    await createTestUser({ username: 'solo', password: 'solo-secret', domain: 'strict' });
    await configureDomain(getDeps(), 'strict', ['single_device=true']);
    await createTestUser({ username: 'multi', password: 'multi-secret' });
  });
  afterAll(() => stack.close());

  it('a login stored before families listed their connections still works by token', async () => {
    const { client, userId, token } = await loggedIn(stack, 'multi', 'multi-secret');
    await client.close();
    // As a data directory of an older version holds it: the family item without its `connections` map.
    const deps = getDeps();
    const familyId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).fid as string;
    const key = { pk: `TOKENFAMILY#${familyId}`, sk: 'TOKENFAMILY' };
    const { Item } = await deps.db.send(new GetCommand({ TableName: deps.config.dataTable, Key: key, ConsistentRead: true }));
    const { connections, ...older } = Item!;
    expect(connections).toBeDefined();
    await deps.db.send(new PutCommand({ TableName: deps.config.dataTable, Item: older }));
    const again = await TestClient.connect(stack.url);
    expect((await again.request('auth by token', { userId, token })).error).toBeNull();
    expect((await again.request('who am i')).error).toBeNull();
    const after = await deps.db.send(new GetCommand({ TableName: deps.config.dataTable, Key: key, ConsistentRead: true }));
    expect(Object.keys(after.Item!.connections)).toHaveLength(1);
    await again.close();
  });

  it('one-device domain: a new login logs out and closes the older connection', async () => {
    const older = await loggedIn(stack, 'solo', 'solo-secret');
    const newer = await loggedIn(stack, 'solo', 'solo-secret');
    expect(await older.client.push('log out please')).toBe('another device logged in');
    await older.client.waitClosed();
    expect((await newer.client.request('who am i')).error).toBeNull();
    // The older device's login is revoked: it must use credentials again.
    const retry = await TestClient.connect(stack.url);
    expect((await retry.request('auth by token', { userId: older.userId, token: older.token })).error).toBe('wrong token, use credentials');
    await Promise.all([newer.client.close(), retry.close()]);
  });

  it('several devices stay logged in on an ordinary domain', async () => {
    const a = await loggedIn(stack, 'multi', 'multi-secret');
    const b = await loggedIn(stack, 'multi', 'multi-secret');
    expect((await a.client.request('who am i')).error).toBeNull();
    expect((await b.client.request('who am i')).error).toBeNull();
    expect(a.client.pushes.map((p) => p.event)).toEqual(['storage urls']);
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it('a push to a vanished connection deletes that connection only', async () => {
    const { client, userId } = await loggedIn(stack, 'multi', 'multi-secret');
    await client.push('storage urls');
    const deps = getDeps();
    const table = deps.config.connectionsTable;
    // A connection whose $disconnect never arrived (API Gateway delivers it best effort).
    const ghost = { connectionId: 'ghost-connection=', connectedAt: Date.now(), expiresAt: epochSeconds() + 3600, userId, domainId: 1, familyId: 'f', lightweight: false };
    await deps.db.send(new PutCommand({ TableName: table, Item: ghost }));
    const urls = { get: 'g', put: 'p', putRaw: 'r', delete: 'd' };
    await Promise.all((await connectionsOfUser(deps, userId)).map((c) => pushToConnection(deps, c, 'storage urls', urls)));
    expect(await client.push('storage urls')).toEqual({ get: 'g', put: 'p', putRaw: 'r', delete: 'd' });
    expect((await deps.db.send(new GetCommand({ TableName: table, Key: { connectionId: ghost.connectionId } }))).Item).toBeUndefined();
    const live = await deps.db.send(new GetCommand({ TableName: table, Key: { connectionId: [...(await connectionIds(userId))][0]! } }));
    expect(live.Item?.userId).toBe(userId);
    await client.close();
  });

  it('refuses a browser Origin outside the allow-list, accepts listed and native clients', async () => {
    await expect(TestClient.connect(stack.url, { Origin: 'https://evil.example' })).rejects.toThrow(/HTTP 403/);
    const listed = await TestClient.connect(stack.url, { Origin: 'https://app.example' });
    const native = await TestClient.connect(stack.url);
    expect((await listed.request('ping')).error).toBe('not authenticated');
    expect((await native.request('ping')).error).toBe('not authenticated');
    await Promise.all([listed.close(), native.close()]);
  });

  it('closes an idle connection (1001) and forgets it', async () => {
    const { client, userId } = await loggedIn(stack, 'multi', 'multi-secret');
    expect((await connectionIds(userId)).size).toBe(1);
    expect((await client.waitClosed(5000)).code).toBe(1001);
    await expect.poll(async () => (await connectionIds(userId)).size).toBe(0);
  });
});

async function connectionIds(userId: number): Promise<Set<string>> {
  return new Set((await connectionsOfUser(getDeps(), userId)).map((c) => c.connectionId));
}

describe('expiry', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // Liveness follows activity (storage/connections.ts): silent past the idle timeout (here 1 s, no slack) = gone.
    stack = await startTestStack({ env: { CONNECTION_IDLE_SECONDS: '1', CONNECTION_REFRESH_SECONDS: '0' } });
    await createTestUser({ username: 'brief', password: 'brief-secret' });
  });
  afterAll(() => stack.close());

  it('does not trust a connection item past its TTL, and the sweeper deletes it', async () => {
    const { client, userId } = await loggedIn(stack, 'brief', 'brief-secret');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await client.request('who am i')).error).toBe('not authenticated');
    expect(await stack.dynamo.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect((await connectionIds(userId)).size).toBe(0);
    await client.close();
  });
});

describe('restart with DATA_DIR', () => {
  it('keeps users, logins and the signing key across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'messenger-'));
    try {
      let stack = await startTestStack({ dataDir });
      await createTestUser({ username: 'durable', password: 'durable-secret' });
      const { client, userId, token } = await loggedIn(stack, 'durable', 'durable-secret');
      await client.close();
      await stack.close();

      stack = await startTestStack({ dataDir });
      const again = await TestClient.connect(stack.url);
      const rotated = await again.call<{ token: string }>('auth by token', { userId, token });
      expect(rotated.token).not.toBe(token);
      expect(await again.call('who am i')).toMatchObject({ id: userId, username: 'durable' });
      const byPassword = await loggedIn(stack, 'durable', 'durable-secret');
      expect(byPassword.userId).toBe(userId);
      await Promise.all([again.close(), byPassword.client.close()]);
      await stack.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('production password cost (scrypt N=2^17)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { SCRYPT_LOG_N: '17' } });
    await createTestUser({ username: 'real', password: 'real-secret' });
  });
  afterAll(() => stack.close());

  it('logs in, and spends about the same time on an unknown user as on a wrong password', async () => {
    const client = await TestClient.connect(stack.url);
    const timed = async (username: string, password: string) => {
      const started = performance.now();
      const ack = await client.request('auth by credentials', { username, password });
      return { ms: performance.now() - started, error: ack.error };
    };
    await timed('nobody', 'x'); // warm-up: the decoy hash is made once per container
    const wrong = await timed('real', 'wrong');
    const unknown = await timed('nobody', 'wrong');
    const right = await timed('real', 'real-secret');
    expect(wrong.error).toBe('wrong password');
    expect(unknown.error).toBe('wrong password');
    expect(right.error).toBeNull();
    // One scrypt at N=2^17 takes tens of milliseconds; both failures pay it.
    expect(wrong.ms).toBeGreaterThan(20);
    expect(unknown.ms).toBeGreaterThan(20);
    expect(unknown.ms / wrong.ms).toBeGreaterThan(0.5);
    expect(unknown.ms / wrong.ms).toBeLessThan(2);
    await client.close();
  });
});
