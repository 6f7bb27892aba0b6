import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;
let aliceId: number;

beforeAll(async () => {
  stack = await startTestStack({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW_SECONDS: '2' } });
  aliceId = (await createTestUser({ username: 'alice', password: 'alice-secret', firstName: 'Alice', lastName: 'Liddell' })).id;
  await createTestUser({ username: 'bob', password: 'bob-secret' });
  await createTestUser({ username: 'carol', password: 'carol-secret' });
  await createTestUser({ username: 'dave', password: 'dave-secret' });
});
afterAll(() => stack.close());

describe('auth by credentials', () => {
  it('logs in, pushes storage urls and answers who am i', async () => {
    const client = await TestClient.connect(stack.url);
    const ack = await client.request('auth by credentials', { username: 'alice', password: 'alice-secret' });
    expect(ack.error).toBeNull();
    const result = ack.result as { userId: number; token: string };
    expect(result.userId).toBe(aliceId);
    expect(result.token.split('.')).toHaveLength(3);
    const urls = await client.push<Record<string, string>>('storage urls');
    expect(Object.keys(urls).sort()).toEqual(['delete', 'get', 'put', 'putRaw']);
    expect(urls.putRaw).toMatch(/^http:\/\/.+\/putRaw\/[\w-]+\.[\w-]+\.[\w-]+\/$/);
    const me = await client.call<Record<string, unknown>>('who am i');
    expect(me).toEqual({
      id: aliceId,
      username: 'alice',
      first_name: 'Alice',
      last_name: 'Liddell',
      avatar: null,
      is_planned_password_change: false,
      is_planned_client_update: false,
      PublicKeys: [],
      Domain: expect.objectContaining({ name: 'default', is_base: true, config: { key_management_by_user: true, contactlist_management_by_user: true } }),
    });
    await client.close();
  });

  it('accepts the deprecated subscribe alias', async () => {
    const client = await TestClient.connect(stack.url);
    const result = await client.call<{ userId: number }>('subscribe', { username: 'alice', password: 'alice-secret' });
    expect(result.userId).toBe(aliceId);
    expect(await client.call('who am i')).toMatchObject({ id: aliceId });
    await client.close();
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const client = await TestClient.connect(stack.url);
    const wrong = await client.request('auth by credentials', { username: 'bob', password: 'nope' });
    const unknown = await client.request('auth by credentials', { username: 'nobody-here', password: 'nope' });
    expect(wrong).toEqual({ ackId: wrong.ackId, error: 'wrong password' });
    expect(unknown).toEqual({ ackId: unknown.ackId, error: 'wrong password' });
    expect((await client.request('who am i')).error).toBe('not authenticated');
    await client.close();
  });

  it('refuses ill-typed credentials with wrong data provided', async () => {
    const client = await TestClient.connect(stack.url);
    for (const data of [undefined, null, {}, { username: 'alice' }, { username: 5, password: 'x' }, { username: 'alice', password: '' }, 'alice']) {
      expect((await client.request('auth by credentials', data)).error).toBe('wrong data provided');
    }
    await client.close();
  });

  it('locks an account after repeated failures, for one window only, whether or not it exists', async () => {
    const client = await TestClient.connect(stack.url);
    for (const username of ['carol', 'ghost']) {
      for (let i = 0; i < 3; i++) {
        expect((await client.request('auth by credentials', { username, password: 'bad' })).error).toBe('wrong password');
      }
      expect((await client.request('auth by credentials', { username, password: 'bad' })).error).toBe('too many attempts');
    }
    // Even the right password waits for the window to end...
    expect((await client.request('auth by credentials', { username: 'carol', password: 'carol-secret' })).error).toBe('too many attempts');
    // ...while other accounts are unaffected.
    expect((await client.request('auth by credentials', { username: 'dave', password: 'dave-secret' })).error).toBeNull();
    await new Promise((r) => setTimeout(r, 2100));
    expect((await client.request('auth by credentials', { username: 'carol', password: 'carol-secret' })).error).toBeNull();
    await client.close();
  });

  it('limits parallel attempts exactly like sequential ones (the count decides atomically)', async () => {
    await createTestUser({ username: 'erin', password: 'erin-secret' });
    const clients = await Promise.all(Array.from({ length: 40 }, () => TestClient.connect(stack.url)));
    const acks = await Promise.all(clients.map((c, i) => c.request('auth by credentials', { username: 'erin', password: `guess-${i}` })));
    const count = (error: string) => acks.filter((a) => a.error === error).length;
    expect({ wrong: count('wrong password'), locked: count('too many attempts') }).toEqual({ wrong: 3, locked: 37 });
    // Right passwords in parallel are not attempts that fail: none is refused.
    await createTestUser({ username: 'gina', password: 'gina-secret' });
    const logins = await Promise.all(clients.slice(0, 10).map((c) => c.request('auth by credentials', { username: 'gina', password: 'gina-secret' })));
    expect(logins.map((a) => a.error)).toEqual(Array(10).fill(null));
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('auth by token', () => {
  it('rotates the token on every use; the presented one stops working', async () => {
    const first = await loggedIn(stack, 'bob', 'bob-secret');
    await first.client.close();

    const second = await TestClient.connect(stack.url);
    const rotated = await second.call<{ userId: number; token: string }>('auth by token', { userId: first.userId, token: first.token });
    expect(rotated.userId).toBe(first.userId);
    expect(rotated.token).not.toBe(first.token);
    await second.push('storage urls');
    expect(await second.call('who am i')).toMatchObject({ username: 'bob' });

    const third = await TestClient.connect(stack.url);
    const again = await third.call<{ token: string }>('auth by token', { userId: first.userId, token: rotated.token });
    expect(again.token).not.toBe(rotated.token);
    await Promise.all([second.close(), third.close()]);
  });

  it('revokes the whole login when a rotated token is replayed (RFC 9700)', async () => {
    const { client: original, userId, token: t1 } = await loggedIn(stack, 'dave', 'dave-secret');
    const { client: otherLogin } = await loggedIn(stack, 'dave', 'dave-secret');
    const device = await TestClient.connect(stack.url);
    const { token: t2 } = await device.call<{ token: string }>('auth by token', { userId, token: t1 });

    const attacker = await TestClient.connect(stack.url);
    expect((await attacker.request('auth by token', { userId, token: t1 })).error).toBe('wrong token, use credentials');
    // Every connection of that login (the newest token's holder too) must authenticate again.
    for (const holder of [device, original]) {
      expect(await holder.push('subscribe please')).toBe('token expired');
      expect((await holder.request('who am i')).error).toBe('not authenticated');
    }
    expect((await attacker.request('auth by token', { userId, token: t2 })).error).toBe('wrong token, use credentials');
    // Another login of the same user is untouched.
    expect((await otherLogin.request('who am i')).error).toBeNull();
    expect(otherLogin.pushes.filter((p) => p.event === 'subscribe please')).toEqual([]);
    await Promise.all([original.close(), otherLogin.close(), device.close(), attacker.close()]);
  });

  it('a token presented twice in the same tick ends the winner\'s session too (3 rounds of 10 races at once)', async () => {
    await createTestUser({ username: 'frank', password: 'frank-secret' });
    // Ten races at once interleave their handlers: alone, one race is decided in the same order every time.
    for (let round = 0; round < 3; round++) {
      const logins = await Promise.all(Array.from({ length: 10 }, () => loggedIn(stack, 'frank', 'frank-secret')));
      await Promise.all(logins.map((l) => l.client.close()));
      await Promise.all(
        logins.map(async ({ userId, token }) => {
          const racers = await Promise.all([TestClient.connect(stack.url), TestClient.connect(stack.url)]);
          const acks = await Promise.all(racers.map((c) => c.request('auth by token', { userId, token })));
          const won = acks.flatMap((a) => (a.error === null ? [(a.result as { token: string }).token] : []));
          expect(won.length).toBeLessThanOrEqual(1);
          // The loser's replay revoked the login: neither connection is frank any more...
          for (const racer of racers) expect((await racer.request('who am i')).error).toBe('not authenticated');
          // ...and the winner's new token is refused.
          for (const next of won) expect((await racers[0]!.request('auth by token', { userId, token: next })).error).toBe('wrong token, use credentials');
          await Promise.all(racers.map((c) => c.close()));
        }),
      );
    }
  });

  it('refuses forged, foreign and malformed tokens', async () => {
    const { client, userId, token } = await loggedIn(stack, 'alice', 'alice-secret');
    const other = await TestClient.connect(stack.url);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    expect((await other.request('auth by token', { userId, token: forged })).error).toBe('wrong token, use credentials');
    expect((await other.request('auth by token', { userId: userId + 1, token })).error).toBe('wrong token, use credentials');
    expect((await other.request('auth by token', { userId, token: 'not-a-jwt' })).error).toBe('wrong token, use credentials');
    expect((await other.request('auth by token', { userId: 'x', token })).error).toBe('wrong data provided');
    expect((await other.request('auth by token', { token })).error).toBe('wrong data provided');
    // The genuine token was not consumed by those attempts.
    expect((await other.request('auth by token', { userId, token })).error).toBeNull();
    await Promise.all([client.close(), other.close()]);
  });

  it('a lightweight connection gets no storage urls push', async () => {
    const { client, userId, token } = await loggedIn(stack, 'alice', 'alice-secret');
    await client.push('storage urls');
    const light = await TestClient.connect(stack.url);
    await light.call('auth by token', { userId, token, isLightweight: true });
    await light.call('ping');
    expect(light.pushes).toEqual([]);
    await Promise.all([client.close(), light.close()]);
  });
});

describe('log me out', () => {
  it('revokes the token, unbinds the connection and pushes log out please', async () => {
    const { client, userId, token } = await loggedIn(stack, 'bob', 'bob-secret');
    const ack = await client.request('log me out');
    expect(ack).toEqual({ ackId: ack.ackId, error: null, result: null });
    expect(await client.push('log out please')).toBeNull();
    expect((await client.request('who am i')).error).toBe('not authenticated');
    expect((await client.request('auth by token', { userId, token })).error).toBe('wrong token, use credentials');
    await client.close();
  });

  it('ends the other connections of the same login (asked to authenticate again), not other logins', async () => {
    const { client, userId, token } = await loggedIn(stack, 'bob', 'bob-secret');
    const sameLogin = await TestClient.connect(stack.url);
    await sameLogin.call('auth by token', { userId, token, isLightweight: true });
    const { client: otherLogin } = await loggedIn(stack, 'bob', 'bob-secret');
    await client.call('log me out');
    expect(await sameLogin.push('subscribe please')).toBe('token expired');
    expect((await sameLogin.request('who am i')).error).toBe('not authenticated');
    expect((await otherLogin.request('who am i')).error).toBeNull();
    await Promise.all([client.close(), sameLogin.close(), otherLogin.close()]);
  });
});
