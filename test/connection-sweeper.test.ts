/**
 * The connection sweeper (lambdas/scheduled/sweep-connections.ts) through the
 * real local stack, with the embedded DynamoDB's TTL sweeper off: that is
 * DynamoDB's TTL lag (deletes can come days late), so only the sweeper removes
 * an expired connection. A connection dropped without `$disconnect` (the
 * gateway is told to lose it) then goes `offline` to contacts within idle
 * timeout + slack + the sweep interval; without the sweeper it stays online.
 * Small idle and sweep values; production: 600 s + 60 s, every minute.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { sweepConnections } from '../lambdas/scheduled/sweep-connections';
import { connectionsOfUser, deleteIfExpired, expiredConnectionIds, openConnection, refreshLiveness, SWEEP_SHARDS, sweepShardOf } from '../lambdas/storage/connections';
import type { LocalStack, Runtime } from '../local/stack';
import { online, pause, pushCount, takePushes, watcherAndSubject } from './support/contacts';
import { startTestStack } from './support/stack';

const IDLE_SECONDS = 2;
const REFRESH_SECONDS = 1;
const SWEEP_MS = 300;

const lost = new Set<string>();
const startStack = (scheduledIntervalMs: number, runtime: Runtime = 'in-process') =>
  startTestStack({
    runtime,
    sweepIntervalMs: 0, // no TTL deletes at all: the lag of DynamoDB's TTL, at its worst
    scheduledIntervalMs,
    streamRetryDelayMs: 10,
    losesDisconnect: (connectionId) => lost.has(connectionId),
    env: { CONNECTION_IDLE_SECONDS: String(IDLE_SECONDS), CONNECTION_REFRESH_SECONDS: String(REFRESH_SECONDS) },
  });

const connectionItem = async (connectionId: string) =>
  (await getDeps().db.send(new GetCommand({ TableName: 'Connections', Key: { connectionId }, ConsistentRead: true }))).Item;

/** A watcher kept active and a subject online; the subject's socket dies and its `$disconnect` is lost. Returns when it was dropped. */
async function dropSubject(stack: LocalStack) {
  const { watcher, subject } = await watcherAndSubject(stack);
  const keepAlive = setInterval(() => void watcher.client.call('ping').catch(() => {}), 400);
  const s = await online(stack, subject);
  await watcher.client.waitFor(() => (pushCount(watcher.client, 'online') >= 1 ? true : undefined), 5000, 'online');
  takePushes(watcher.client, 'online');
  const [connection] = await connectionsOfUser(getDeps(), subject.id);
  lost.add(connection!.connectionId);
  s.client.socket.terminate();
  return { watcher, subject, connectionId: connection!.connectionId, dropped: Date.now(), stop: () => clearInterval(keepAlive) };
}

/** An abruptly dropped connection whose `$disconnect` is lost goes offline within idle timeout + slack + the sweep interval, once. */
async function sweptOffline(stack: LocalStack): Promise<void> {
  const { watcher, subject, connectionId, dropped, stop } = await dropSubject(stack);
  try {
    await watcher.client.waitFor(() => (pushCount(watcher.client, 'offline') >= 1 ? true : undefined), 10_000, 'offline');
    expect(Date.now() - dropped).toBeLessThan((IDLE_SECONDS + REFRESH_SECONDS) * 1000 + 1000 + 3 * SWEEP_MS);
    expect(await connectionItem(connectionId)).toBeUndefined();
    expect(await watcher.client.call('give me presence')).toEqual({ [subject.id]: false });
    await pause(3 * SWEEP_MS);
    expect(takePushes(watcher.client, 'offline')).toEqual([[subject.id]]);
    // The watcher, active all along, was not swept.
    expect(await connectionsOfUser(getDeps(), watcher.id)).toHaveLength(1);
    expect(stack.dynamo.streams.deadLetters).toEqual([]);
  } finally {
    stop();
  }
}

describe('connection sweeper (TTL lagging)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack(SWEEP_MS);
  });
  afterAll(() => stack.close());

  it('an abruptly dropped connection whose $disconnect is lost goes offline within idle timeout + slack + the sweep interval, once', () => sweptOffline(stack));
});

describe('without the scheduled sweeper (TTL lagging)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack(0);
  });
  afterAll(() => stack.close());

  it('a dropped connection stays online past its expiry: the TTL lag the sweeper is for', async () => {
    const { watcher, subject, connectionId, stop } = await dropSubject(stack);
    try {
      await pause((IDLE_SECONDS + REFRESH_SECONDS) * 1000 + 1000 + 3 * SWEEP_MS);
      expect(pushCount(watcher.client, 'offline')).toBe(0);
      expect(await connectionItem(connectionId)).toBeDefined();
      expect(await watcher.client.call('give me presence')).toEqual({ [subject.id]: true });
    } finally {
      stop();
    }
  });

  // Run by hand here: no scheduled run may race it.
  it('deletes only connections still expired: live ones and one refreshed after the index was read stay', async () => {
    const deps = getDeps();
    const t0 = Date.now() - (IDLE_SECONDS + REFRESH_SECONDS + 5) * 1000;
    await openConnection(deps, 'sweep-expired', t0);
    await openConnection(deps, 'sweep-live');
    // Every shard is in use, so a sweep reads them all.
    expect(new Set(Array.from({ length: 200 }, (_, i) => sweepShardOf(`c${i}`))).size).toBe(SWEEP_SHARDS);
    // Expired when the sweep read the index, refreshed by a frame before the delete: the delete's condition keeps it.
    await openConnection(deps, 'sweep-refreshed', t0);
    const ids = (await Promise.all(Array.from({ length: SWEEP_SHARDS }, (_, shard) => expiredConnectionIds(deps, shard)))).flat();
    expect(ids).toEqual(expect.arrayContaining(['sweep-expired', 'sweep-refreshed']));
    expect(ids).not.toContain('sweep-live');
    expect(await refreshLiveness(deps, (await connectionItem('sweep-refreshed')) as never)).toBe(true);
    expect(await deleteIfExpired(deps, 'sweep-refreshed')).toBe(false);
    const result = await sweepConnections(deps);
    // Every connection still expired goes (here also the previous test's dropped one), none other.
    expect(result.left).toBe(0);
    expect(result.deleted).toBe(result.expired);
    expect(await connectionItem('sweep-expired')).toBeUndefined();
    expect(await connectionItem('sweep-live')).toBeDefined();
    expect(await connectionItem('sweep-refreshed')).toBeDefined();
  });
});

describe('connection sweeper (bundle runtime: the sweeper runs as its bundle, under its template policy)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack(SWEEP_MS, 'bundles');
  }, 300_000);
  afterAll(() => stack?.close());

  it('an abruptly dropped connection whose $disconnect is lost goes offline within the sweep bound', async () => {
    expect([...stack.bundles!.jobs.keys()]).toEqual(['sweep-connections']);
    await sweptOffline(stack);
  });
});
