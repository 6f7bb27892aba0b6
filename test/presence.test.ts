/** Presence through the real local stack: online / offline pushes, several devices, races, gone connections. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { addKey } from '../lambdas/domain/keys';
import { bindSession } from '../lambdas/domain/presence';
import { configureDomain } from '../lambdas/domain/provisioning';
import { connectionsOfUser, openConnection, unbindConnection } from '../lambdas/storage/connections';
import { joinPresence, presenceKey } from '../lambdas/storage/presence';
import { epochSeconds } from '../lambdas/storage/store';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { keyName, newUser, online, pause, pushCount, takePushes, watcherAndSubject } from './support/contacts';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

/** Waits until `client` has `n` pushes of `event`, then a little longer to catch any extra. */
async function exactly(client: TestClient, event: string, n: number, settleMs = 200): Promise<unknown[]> {
  await client.waitFor(() => (pushCount(client, event) >= n ? true : undefined), 5000, `${n} × ${event}`);
  await pause(settleMs);
  return takePushes(client, event);
}

const presenceOf = (client: TestClient) => client.call<Record<string, boolean>>('give me presence');

describe('online / offline', () => {
  it('first connection announces online, a second device does not, the last one leaving announces offline', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });

    const phone = await online(stack, subject);
    expect(await exactly(watcher.client, 'online', 1)).toEqual([[subject.id]]);
    const laptop = await online(stack, subject);
    await pause(200);
    expect(pushCount(watcher.client, 'online')).toBe(0);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });

    await phone.client.close();
    await pause(200);
    expect(pushCount(watcher.client, 'offline')).toBe(0);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });

    await laptop.client.close();
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    await watcher.client.close();
  });

  it('log me out announces offline when it was the last connection', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const session = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    await session.client.call('log me out');
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    // Still connected, but no longer authenticated: not online.
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    await session.client.close();
    await pause(150);
    expect(pushCount(watcher.client, 'offline')).toBe(0);
    await watcher.client.close();
  });

  it('the subject learns of the watcher as well, and only accepted contacts are told', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const pending = await newUser('pending');
    const { client: pendingClient } = await online(stack, pending);
    await pendingClient.call('handle userlink', { from_user_id: pending.id, to_user_id: subject.id, action: 'request' });

    const session = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    await pause(150);
    expect(pushCount(pendingClient, 'online')).toBe(0);
    expect(await presenceOf(pendingClient)).toEqual({ [subject.id]: false });
    // The subject asks in turn: the watcher is online; the pending requester is listed but never shown online.
    expect(await presenceOf(session.client)).toEqual({ [watcher.id]: true, [pending.id]: false });
    await Promise.all([session.client.close(), watcher.client.close(), pendingClient.close()]);
  });

  it('accepting a request tells each side that the other is online', async () => {
    const a = await newUser('acc');
    const b = await newUser('acc');
    const [sa, sb] = await Promise.all([online(stack, a), online(stack, b)]);
    await sa.client.call('handle userlink', { from_user_id: a.id, to_user_id: b.id, action: 'request' });
    await sb.client.call('handle userlink', { from_user_id: b.id, to_user_id: a.id, action: 'accept' });
    expect(await exactly(sa.client, 'online', 1)).toEqual([[b.id]]);
    expect(await exactly(sb.client, 'online', 1)).toEqual([[a.id]]);
    await Promise.all([sa.client.close(), sb.client.close()]);
  });
});

describe('races', () => {
  it('two devices connecting and leaving at the same moment: one online, one offline, right state', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    for (let round = 0; round < 5; round++) {
      const devices = await Promise.all([TestClient.connect(stack.url), TestClient.connect(stack.url), TestClient.connect(stack.url)]);
      await Promise.all(devices.map((d) => d.call('auth by credentials', { username: subject.username, password: subject.password })));
      expect(await exactly(watcher.client, 'online', 1)).toEqual([[subject.id]]);
      expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });

      await Promise.all(devices.map((d) => d.close()));
      expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
      expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    }
    await watcher.client.close();
  });

  it('one device leaving while another arrives never leaves the user offline', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const first = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    const arriving = TestClient.connect(stack.url).then(async (c) => {
      await c.call('auth by credentials', { username: subject.username, password: subject.password });
      return c;
    });
    const [second] = await Promise.all([arriving, first.client.close()]);
    await pause(200);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });
    // Whatever was announced in between, the last word is online.
    const events = watcher.client.pushes.filter((p) => p.event === 'online' || p.event === 'offline').map((p) => p.event);
    expect(events.length === 0 || events.at(-1) === 'online').toBe(true);
    await second.close();
    await watcher.client.close();
  });
});

describe('connections that vanished', () => {
  it('a gone connection found during a push is forgotten and ends its presence', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const deps = getDeps();
    // A connection API Gateway forgot without $disconnect: the item is there, the socket is not.
    await openConnection(deps, 'phantom-1=', Date.now());
    await bindSession(deps, 'phantom-1=', { userId: subject.id, domainId: 1, familyId: 'f', lightweight: false });
    expect(await exactly(watcher.client, 'online', 1)).toEqual([[subject.id]]);

    // The watcher's key change is pushed to the subject: the post answers 410 Gone.
    await watcher.client.call('new key', { name: keyName(), is_default: true });
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    await watcher.client.close();
  });

  it('a member whose connection item is already gone is removed when a push finds it gone', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    await joinPresence(getDeps(), subject.id, { connectionId: 'phantom-2=', exp: epochSeconds() + 600, light: false });
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });
    await addKey(getDeps(), watcher.id, keyName(), true);
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    await watcher.client.close();
  });

  it('an expired member does not keep its user online, and the next join removes it', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const deps = getDeps();
    await joinPresence(deps, subject.id, { connectionId: 'stale=', exp: epochSeconds() - 1, light: false });
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    const session = await online(stack, subject);
    expect(await exactly(watcher.client, 'online', 1)).toEqual([[subject.id]]);
    const { Item } = await deps.db.send(new GetCommand({ TableName: deps.config.dataTable, Key: presenceKey(subject.id) }));
    expect(Object.keys(Item!).filter((k) => k.startsWith('c#'))).toHaveLength(1);
    expect(Item!['c#stale=']).toBeUndefined();
    await session.client.close();
    await exactly(watcher.client, 'offline', 1);
    await watcher.client.close();
  });

  it('a connection unbound without ending presence still ends it when it closes', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const session = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    const [connection] = await connectionsOfUser(getDeps(), subject.id);
    // An unbinding path that forgot presence: the member stays while the socket is open ...
    await unbindConnection(getDeps(), connection!.connectionId);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });
    // ... and goes with it.
    await session.client.close();
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    await watcher.client.close();
  });

  it('a password change ends the presence of the devices it logs out', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const [phone, laptop] = [await online(stack, subject), await online(stack, subject)];
    await exactly(watcher.client, 'online', 1);
    await phone.client.call('change password', { current: subject.password, new: 'a-new-secret', newAgain: 'a-new-secret' });
    await laptop.client.push('subscribe please');
    // The laptop is still connected but logged out: the phone leaving is the last live connection going.
    await phone.client.close();
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    await Promise.all([laptop.client.close(), watcher.client.close()]);
  });

  it('another user logging in on the same connection ends the first user\'s presence', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const session = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    const someoneElse = await newUser('other');
    await session.client.call('auth by credentials', { username: someoneElse.username, password: someoneElse.password });
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    await Promise.all([session.client.close(), watcher.client.close()]);
  });

  it('a replayed token revokes its login: its connections go, and the user goes offline', async () => {
    const { watcher, subject } = await watcherAndSubject(stack);
    const first = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    // The same login continued on a second connection (token rotated) ...
    const second = await TestClient.connect(stack.url);
    await second.call('auth by token', { userId: subject.id, token: first.token });
    // ... and the first token presented again: a replay.
    const thief = await TestClient.connect(stack.url);
    expect((await thief.request('auth by token', { userId: subject.id, token: first.token })).error).toBe('wrong token, use credentials');
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: false });
    await Promise.all([first.client.close(), second.close(), thief.close(), watcher.client.close()]);
  });

  it('one-device domain: the new login replaces the old one without an offline in between', async () => {
    await configureDomain(getDeps(), 'single', ['single_device=true']);
    const { watcher, subject } = await watcherAndSubject(stack, 'single');
    const older = await online(stack, subject);
    await exactly(watcher.client, 'online', 1);
    const newer = await online(stack, subject);
    await older.client.waitClosed();
    await pause(200);
    expect(pushCount(watcher.client, 'offline')).toBe(0);
    expect(pushCount(watcher.client, 'online')).toBe(0);
    expect(await presenceOf(watcher.client)).toEqual({ [subject.id]: true });
    await newer.client.close();
    expect(await exactly(watcher.client, 'offline', 1)).toEqual([[subject.id]]);
    await watcher.client.close();
  });
});
