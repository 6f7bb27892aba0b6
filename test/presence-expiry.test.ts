/**
 * Presence that expires (issue 13 item 3), through the real local stack: a
 * connection whose `$disconnect` is lost (API Gateway does not guarantee it;
 * the stack is told to lose it) and that goes silent past the idle timeout
 * expires, the TTL sweeper deletes it, and the Connections stream's REMOVE
 * record ends its presence: `offline` to contacts, once. Small idle and sweep
 * values; production defaults are 600 s idle + 60 s slack.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { connectionsOfUser, getConnection, openConnection, refreshLiveness } from '../lambdas/storage/connections';
import { epochSeconds } from '../lambdas/storage/store';
import type { LocalStack, Runtime } from '../local/stack';
import { online, pause, pushCount, takePushes, watcherAndSubject } from './support/contacts';
import { startTestStack } from './support/stack';

const IDLE_SECONDS = 2;
const REFRESH_SECONDS = 1;
const SWEEP_MS = 250;

const lost = new Set<string>();
const startStack = (runtime: Runtime) =>
  startTestStack({
    runtime,
    sweepIntervalMs: SWEEP_MS,
    streamRetryDelayMs: 10,
    losesDisconnect: (connectionId) => lost.has(connectionId),
    env: { CONNECTION_IDLE_SECONDS: String(IDLE_SECONDS), CONNECTION_REFRESH_SECONDS: String(REFRESH_SECONDS) },
  });

/** Keeps a client active (frames refresh its liveness) until the returned function is called. */
function keepAlive(client: { call(event: string): Promise<unknown> }): () => void {
  const timer = setInterval(() => void client.call('ping').catch(() => {}), 400);
  return () => clearInterval(timer);
}

const connectionItem = async (connectionId: string) =>
  (await getDeps().db.send(new GetCommand({ TableName: 'Connections', Key: { connectionId }, ConsistentRead: true }))).Item;

type Pair = Awaited<ReturnType<typeof watcherAndSubject>>;

/** Runs `body` with a watcher online and kept active, and a subject (not yet online) among its contacts. */
async function watching(stack: LocalStack, body: (watcher: Pair['watcher'], subject: Pair['subject']) => Promise<void>): Promise<void> {
  const { watcher, subject } = await watcherAndSubject(stack);
  const stopWatcher = keepAlive(watcher.client);
  try {
    await body(watcher, subject);
  } finally {
    stopWatcher();
  }
}

/** A connection dropped without `$disconnect` goes offline to contacts within idle timeout + slack + sweep interval, once. */
function lostDisconnectGoesOffline(stack: LocalStack): Promise<void> {
  return watching(stack, async (w, subject) => {
    const s = await online(stack, subject);
    await w.client.waitFor(() => (pushCount(w.client, 'online') >= 1 ? true : undefined), 5000, 'online');
    takePushes(w.client, 'online');
    const [connection] = await connectionsOfUser(getDeps(), subject.id);
    lost.add(connection!.connectionId);
    const dropped = Date.now();
    s.client.socket.terminate(); // no close frame, and the gateway loses the $disconnect
    await pause(300);
    expect(await w.client.call('give me presence')).toEqual({ [subject.id]: true }); // not gone yet: idle timeout pending
    await w.client.waitFor(() => (pushCount(w.client, 'offline') >= 1 ? true : undefined), 10_000, 'offline');
    const elapsed = Date.now() - dropped;
    expect(elapsed).toBeLessThan((IDLE_SECONDS + REFRESH_SECONDS) * 1000 + 1000 + 4 * SWEEP_MS);
    expect(await connectionItem(connection!.connectionId)).toBeUndefined();
    expect(await w.client.call('give me presence')).toEqual({ [subject.id]: false });
    await pause(500);
    expect(takePushes(w.client, 'offline')).toEqual([[subject.id]]);
    // The watcher, active all along, is still connected and online.
    expect(await connectionsOfUser(getDeps(), w.id)).toHaveLength(1);
    expect(stack.dynamo.streams.deadLetters).toEqual([]);
  });
}

describe('presence that expires (in-process)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack('in-process');
  });
  afterAll(() => stack.close());

  it('a connection dropped without $disconnect goes offline to contacts within idle timeout + sweep interval, once', () => lostDisconnectGoesOffline(stack));

  it('a frame writes the expiry only once less than the idle timeout is left: at most one write per slack', async () => {
    const deps = getDeps();
    const t0 = Date.now();
    await openConnection(deps, 'refresh-me', t0);
    const opened = (await getConnection(deps, 'refresh-me'))!;
    expect(opened.expiresAt).toBe(epochSeconds(t0) + IDLE_SECONDS + REFRESH_SECONDS);
    // Within the slack: no write.
    expect(await refreshLiveness(deps, opened, t0)).toBe(false);
    expect(await refreshLiveness(deps, opened, t0 + (REFRESH_SECONDS * 1000) / 2)).toBe(false);
    // Past it: one write, to idle + slack from now; the next frame in the same second writes nothing.
    const later = t0 + (REFRESH_SECONDS + 1) * 1000;
    expect(await refreshLiveness(deps, opened, later)).toBe(true);
    const refreshed = (await getConnection(deps, 'refresh-me'))!;
    expect(refreshed.expiresAt).toBe(epochSeconds(later) + IDLE_SECONDS + REFRESH_SECONDS);
    expect(await refreshLiveness(deps, refreshed, later)).toBe(false);
    // A stale copy of the item cannot move the expiry back, nor revive a deleted item.
    expect(await refreshLiveness(deps, opened, later)).toBe(false);
    expect(await refreshLiveness(deps, { ...opened, connectionId: 'never-opened' }, later)).toBe(false);
    expect(await getConnection(deps, 'never-opened')).toBeUndefined();
  });

  it('frames keep a connection alive past the idle timeout; a $disconnect that ran makes the REMOVE record a no-op', () =>
    watching(stack, async (w, subject) => {
      const s = await online(stack, subject);
      const stopSubject = keepAlive(s.client);
      await pause((IDLE_SECONDS + REFRESH_SECONDS) * 1000 + 3 * SWEEP_MS);
      stopSubject();
      expect(await connectionsOfUser(getDeps(), subject.id)).toHaveLength(1);
      expect(pushCount(w.client, 'offline')).toBe(0);
      await s.client.close(); // $disconnect runs, and its delete is a REMOVE record too
      await w.client.waitFor(() => (pushCount(w.client, 'offline') >= 1 ? true : undefined), 5000, 'offline');
      await stack.dynamo.streams.idle();
      await pause(300);
      expect(takePushes(w.client, 'offline')).toEqual([[subject.id]]);
    }));
});

describe('presence that expires (bundle runtime: the consumer runs as its bundle)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startStack('bundles');
  }, 300_000);
  afterAll(() => stack?.close());

  it('a connection dropped without $disconnect goes offline to contacts', async () => {
    expect([...stack.bundles!.consumers.keys()]).toContain('connection-removed');
    await lostDisconnectGoesOffline(stack);
  });
});
