/**
 * The client SDK against the real local stack (embedded DynamoDB, local gateway,
 * the Lambda handlers), with `ws` as its WebSocket. Small backoff and ack
 * timeouts keep it fast.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKOFF_DEFAULTS, backoffDelay, CLIENT_ERRORS, connect, ERRORS, MessengerClient, MessengerError, STARTUP_READS, type AuthResult, type ClientOptions, type DisconnectInfo } from '../client/index';
import { getDeps } from '../lambdas/deps';
import { configureDomain } from '../lambdas/domain/provisioning';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { newUser } from './support/contacts';
import { closeFromServer, next, recordingWebSocket, until } from './support/sdk';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;
const clients: MessengerClient[] = [];

/** A fresh user per test: logins, token families and connections never mix between tests. */
const sdkUser = (firstName = '', lastName = '') => newUser('sdk-user-', { firstName, lastName });

function client(options: ClientOptions = {}) {
  const ws = recordingWebSocket();
  const c = connect(stack.url, { WebSocket: ws.WebSocket, backoff: { baseMs: 20, maxMs: 100 }, heartbeatMs: 0, ackTimeoutMs: 5000, ...options });
  clients.push(c);
  return { client: c, ws };
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly below an exponential ceiling capped at maxMs', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10, 1000].map((attempt) => backoffDelay(attempt, options, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    expect(backoffDelay(0, {}, () => 0.5)).toBe(BACKOFF_DEFAULTS.baseMs / 2);
  });
});

describe('client SDK', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('logs in, round-trips acks (promise and callback), sends fire-and-forget frames without ackId', async () => {
    const user = await sdkUser('Ada', 'Lovelace');
    const onToken = vi.fn();
    const { client: c, ws } = client({ onToken });
    const urls = vi.fn();
    c.on('storage urls', urls);
    const queuedBeforeLogin = c.emitWithAck('who am i'); // queued: not authenticated yet

    const auth = await c.login({ username: user.username, password: user.password });
    expect(auth.userId).toBe(user.id);
    expect(onToken).toHaveBeenCalledWith(auth);
    expect(c.auth).toEqual(auth);
    expect(c.state).toBe('ready');
    expect(urls).toHaveBeenCalledWith(expect.objectContaining({ putRaw: expect.any(String) }));
    expect(c.storageUrls).toEqual(urls.mock.calls[0]![0]);
    await expect(queuedBeforeLogin).resolves.toMatchObject({ id: user.id, username: user.username, first_name: 'Ada' });

    const viaCallback = await new Promise<[unknown, unknown]>((resolve) => c.emit('who am i', (error, me) => resolve([error, me])));
    expect(viaCallback).toEqual([null, expect.objectContaining({ id: user.id })]);
    expect((await c.emitWithAck('ping')).time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    expect(c.emit('ping')).toBe(true);
    const wire = await until(() => ws.last.sent.filter((f) => f.event === 'ping').at(-1), 1000, 'the fire-and-forget ping');
    expect(wire).toEqual({ event: 'ping' }); // no ackId: the server sends no ack
    expect(ws.last.sent[0]).toMatchObject({ event: 'auth by credentials', ackId: expect.any(Number) }); // auth goes before the queue
    expect(ws.last.sent[1]).toMatchObject({ event: 'who am i' });
  });

  it('rejects with the protocol error string on an error ack', async () => {
    const user = await sdkUser();
    const { client: c } = client();
    const refused = await c.login({ username: user.username, password: 'not the password' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MessengerError);
    expect(refused).toMatchObject({ message: ERRORS.wrongPassword, code: ERRORS.wrongPassword, protocolError: ERRORS.wrongPassword });
    expect(c.state).toBe('unauthenticated');

    await c.login({ username: user.username, password: user.password });
    const unknown = await c.untyped.emitWithAck('no such frame', { a: 1 }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ message: 'unknown event', code: 'unknown event', protocolError: 'unknown event', event: 'no such frame' });
    const viaCallback = await new Promise<unknown>((resolve) => c.untyped.emit('no such frame', (error) => resolve(error)));
    expect(viaCallback).toBe('unknown event'); // as from a socket.io server: the bare string
  });

  it('times out an ack, and ignores the ack when it comes late', async () => {
    const user = await sdkUser();
    const { client: c, ws } = client({ ackTimeoutMs: 1000 }); // the login must not time out on a loaded machine
    await c.login({ username: user.username, password: user.password });
    ws.last.hold(); // the uplink stalls: the server sees the frame only after the timeout

    const promised = c.emitWithAck('who am i', undefined, { timeout: 50 }).catch((e: unknown) => e);
    const callback = vi.fn();
    c.emit('who am i', callback); // ackTimeoutMs: 1000
    expect(await promised).toMatchObject({ code: CLIENT_ERRORS.timeout, protocolError: undefined, event: 'who am i' });
    await until(() => callback.mock.calls.length > 0, 5000, 'the callback timeout');
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ code: CLIENT_ERRORS.timeout }));

    ws.last.release();
    const ids = ws.last.sent.filter((f) => f.event === 'who am i').map((f) => f.ackId);
    await until(() => ids.every((id) => ws.last.received.some((f) => f.ackId === id)), 5000, 'the late acks');
    expect(ws.last.received.filter((f) => ids.includes(f.ackId!))).toEqual([
      expect.objectContaining({ error: null, result: expect.objectContaining({ id: user.id }) }),
      expect.objectContaining({ error: null, result: expect.objectContaining({ id: user.id }) }),
    ]);
    expect(callback).toHaveBeenCalledTimes(1); // at most once
    await expect(c.emitWithAck('ping', undefined, { timeout: 5000 })).resolves.toHaveProperty('time'); // and the client goes on
  });

  it('timeout(ms).emitWithAck resolves with the result, a server error rejects with it', async () => {
    const user = await sdkUser();
    const { client: c } = client();
    await c.timeout(5000).emitWithAck('auth by credentials', { username: user.username, password: user.password });
    await expect(c.timeout(5000).emitWithAck('who am i')).resolves.toMatchObject({ id: user.id });
    await expect(c.timeout(5000).emitWithAck('set default key', { id: 999_999 })).rejects.toMatchObject({ protocolError: ERRORS.accessDenied });
  });

  it('rejects pending acks when the server closes the connection', async () => {
    const user = await sdkUser();
    const { client: c, ws } = client({ backoff: { baseMs: 2000, maxMs: 2000 } });
    await c.login({ username: user.username, password: user.password });
    ws.last.hold();
    const pending = c.emitWithAck('who am i', undefined, { timeout: 10_000 }).catch((e: unknown) => e);
    const disconnected = next<DisconnectInfo>(c, 'disconnect');

    expect(await closeFromServer(user.id)).toBe(1);
    expect(await pending).toMatchObject({ code: CLIENT_ERRORS.disconnected, event: 'who am i' });
    expect(await disconnected).toMatchObject({ code: 1000, reason: 'Closed by the server', willReconnect: true });
    expect(c.state).toBe('reconnecting');
  });

  it('reconnects after a server close with the stored token, rotates it, and the old token is refused', async () => {
    const user = await sdkUser();
    const tokens: (AuthResult | null)[] = [];
    const { client: c, ws } = client({ onToken: (auth) => void tokens.push(auth) });
    const first = await c.login({ username: user.username, password: user.password });

    const attempts = vi.fn();
    c.on('reconnect_attempt', attempts);
    const reconnected = next<{ attempts: number }>(c, 'reconnect');
    await closeFromServer(user.id);
    expect(await reconnected).toEqual({ attempts: 1 });
    expect(attempts).toHaveBeenCalledWith({ attempt: 1 });

    expect(ws.sockets).toHaveLength(2);
    expect(ws.last.sent[0]).toMatchObject({ event: 'auth by token', data: { userId: user.id, token: first.token } });
    expect(tokens).toHaveLength(2);
    expect(tokens[1]!.userId).toBe(user.id);
    expect(tokens[1]!.token).not.toBe(first.token);
    expect(c.auth).toEqual(tokens[1]);
    await expect(c.emitWithAck('who am i')).resolves.toMatchObject({ id: user.id });

    const other = await TestClient.connect(stack.url);
    const ack = await other.request('auth by token', { userId: user.id, token: first.token });
    expect(ack.error).toBe(ERRORS.wrongToken);
    await other.close();
  });

  it('asks getCredentials when the stored token is refused, and logs in with them', async () => {
    const user = await sdkUser();
    const { client: raw, token: revoked } = await loggedIn(stack, user.username, user.password);
    await raw.call('log me out');
    await raw.close();

    const getCredentials = vi.fn(() => ({ username: user.username, password: user.password }));
    const onToken = vi.fn();
    const { client: c, ws } = client({ auth: { userId: user.id, token: revoked }, getCredentials, onToken });
    const auth = await next<AuthResult>(c, 'auth');

    expect(getCredentials).toHaveBeenCalledTimes(1);
    expect(ws.last.sent.map((f) => f.event)).toEqual(['auth by token', 'auth by credentials']);
    expect(onToken.mock.calls).toEqual([[null], [auth]]);
    expect(auth.token).not.toBe(revoked);
    await expect(c.emitWithAck('who am i')).resolves.toMatchObject({ id: user.id });
  });

  it('without getCredentials, a refused token leaves the client waiting for login()', async () => {
    const user = await sdkUser();
    const { client: c } = client({ auth: { userId: user.id, token: 'not-a-token' } });
    const failure = await next<MessengerError>(c, 'auth_error');
    expect(failure).toMatchObject({ protocolError: ERRORS.wrongToken, event: 'auth by token' });
    expect(c.state).toBe('unauthenticated');
    expect(c.auth).toBeUndefined();

    const waiting = c.emitWithAck('who am i');
    await c.login({ username: user.username, password: user.password });
    await expect(waiting).resolves.toMatchObject({ id: user.id });
  });

  it('a replayed token ends the login (subscribe please): the client logs in again through getCredentials', async () => {
    const user = await sdkUser();
    const getCredentials = vi.fn(() => ({ username: user.username, password: user.password }));
    const { client: c, ws } = client({ getCredentials });
    const first = await c.login({ username: user.username, password: user.password });
    await closeFromServer(user.id);
    await next(c, 'reconnect');
    const second = c.auth!;

    const subscribePlease = next(c, 'subscribe please');
    const relogged = next<AuthResult>(c, 'auth');
    const thief = await TestClient.connect(stack.url);
    expect((await thief.request('auth by token', { userId: user.id, token: first.token })).error).toBe(ERRORS.wrongToken);
    await thief.close();

    expect(await subscribePlease).toBe('token expired');
    const third = await relogged;
    expect(getCredentials).toHaveBeenCalledTimes(1);
    expect(ws.last.sent.filter((f) => f.event?.startsWith('auth')).map((f) => f.event)).toEqual(['auth by token', 'auth by token', 'auth by credentials']);
    expect(ws.last.sent.at(-2)).toMatchObject({ data: { token: second.token } });
    expect(third.token).not.toBe(second.token);
    await expect(c.emitWithAck('who am i')).resolves.toMatchObject({ id: user.id });
  });

  it('queues emits made while disconnected and sends them in order after re-authentication', async () => {
    const user = await sdkUser();
    const { client: c, ws } = client({ backoff: { baseMs: 300, maxMs: 300 } });
    await c.login({ username: user.username, password: user.password });
    const disconnected = next(c, 'disconnect');
    await closeFromServer(user.id);
    await disconnected;
    expect(c.connected).toBe(false);

    const results = [c.emitWithAck('ping'), c.emitWithAck('who am i'), c.untyped.emitWithAck('no such frame').catch((e: MessengerError) => e.code)];
    c.emit('ping'); // fire-and-forget
    results.push(new Promise((resolve) => c.emit('who am i', (_e, me) => resolve(me?.username))));
    expect(c.queued).toBe(5);

    await next(c, 'reconnect');
    expect(c.queued).toBe(0);
    expect(await Promise.all(results)).toEqual([
      { time: expect.any(String) },
      expect.objectContaining({ id: user.id }),
      'unknown event',
      user.username,
    ]);
    expect(ws.last.sent.map((f) => f.event)).toEqual(['auth by token', 'ping', 'who am i', 'no such frame', 'ping', 'who am i']);
    expect(ws.last.sent[4]).toEqual({ event: 'ping' });
  });

  it('bounds the queue: an emit over the limit is refused with `queue full`', async () => {
    const user = await sdkUser();
    const { client: c } = client({ queueLimit: 2 });
    const first = c.emitWithAck('who am i');
    const second = c.emitWithAck('ping');
    const third = c.emitWithAck('ping').catch((e: unknown) => e);
    expect(c.emit('ping')).toBe(false);
    expect(await third).toMatchObject({ code: CLIENT_ERRORS.queueFull });

    await c.login({ username: user.username, password: user.password });
    await expect(first).resolves.toMatchObject({ id: user.id });
    await expect(second).resolves.toHaveProperty('time');
  });

  it('delivers pushes to on() handlers: log out please after log me out ends the login', async () => {
    const user = await sdkUser();
    const onToken = vi.fn();
    const { client: c } = client({ onToken });
    const logOutPlease = vi.fn();
    c.on('log out please', logOutPlease);
    const onceUrls = vi.fn();
    c.once('storage urls', onceUrls);
    await c.login({ username: user.username, password: user.password });
    expect(onceUrls).toHaveBeenCalledTimes(1);

    await expect(c.emitWithAck('log me out')).resolves.toBeNull();
    expect(logOutPlease).toHaveBeenCalledWith(null);
    expect(onToken).toHaveBeenLastCalledWith(null);
    expect(c.auth).toBeUndefined();
    expect(c.state).toBe('unauthenticated');

    c.off('log out please', logOutPlease);
    await c.login({ username: user.username, password: user.password });
    expect(onceUrls).toHaveBeenCalledTimes(1); // once
    await expect(c.emitWithAck('log me out')).resolves.toBeNull();
    expect(logOutPlease).toHaveBeenCalledTimes(1); // off
  });

  it('another device logging in (one-device domain) ends the login: no reconnect, no getCredentials', async () => {
    await configureDomain(getDeps(), 'one-device', ['single_device=true']);
    const username = 'sdk-solo';
    const password = 'sdk-solo-secret';
    await createTestUser({ username, password, domain: 'one-device' });
    const getCredentials = vi.fn(() => ({ username, password }));
    const onToken = vi.fn();
    const { client: c, ws } = client({ getCredentials, onToken });
    await c.login({ username, password });

    const logOutPlease = next(c, 'log out please');
    const disconnected = next<DisconnectInfo>(c, 'disconnect');
    const { client: other } = await loggedIn(stack, username, password);
    expect(await logOutPlease).toBe('another device logged in');
    expect(await disconnected).toMatchObject({ willReconnect: false });
    expect(c.state).toBe('idle');
    expect(onToken).toHaveBeenLastCalledWith(null);
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.sockets).toHaveLength(1); // no ping-pong between the two devices
    expect(getCredentials).not.toHaveBeenCalled();
    await other.close();
  });

  it('drops a connection whose pings go unanswered and reconnects', async () => {
    const user = await sdkUser();
    // Timeouts generous enough for a loaded CI machine: the ping timeout is what is tested, not its length.
    const { client: c, ws } = client({ heartbeatMs: 100, ackTimeoutMs: 1000 });
    await c.login({ username: user.username, password: user.password });
    await until(() => ws.last.received.some((f) => (f.result as { time?: string } | undefined)?.time), 5000, 'an answered ping');

    ws.last.hold(); // a dead uplink: pings get no answer
    const dropped = await next<DisconnectInfo>(c, 'disconnect', 5000);
    expect(dropped).toEqual({ code: 4000, reason: 'heartbeat timeout', willReconnect: true });
    await next(c, 'reconnect', 5000);
    await expect(c.emitWithAck('who am i', undefined, { timeout: 5000 })).resolves.toMatchObject({ id: user.id });
  });

  it('lightweight: stored logins authenticate with isLightweight, and the server pushes accordingly', async () => {
    const user = await sdkUser();
    const { client: first } = client();
    const login = await first.login({ username: user.username, password: user.password });
    first.close();
    const onToken = vi.fn();
    const { client: light, ws } = client({ auth: login, onToken, lightweight: true });
    await until(() => onToken.mock.calls.length > 0, 5000, 'the token login');
    expect(ws.last.sent.find((f) => f.event === 'auth by token')?.data).toMatchObject({ userId: user.id, isLightweight: true });
    await expect(light.emitWithAck('ping')).resolves.toHaveProperty('time');
    // A full connection gets `storage urls` after every login; a lightweight one does not.
    expect(ws.last.received.some((f) => f.event === 'storage urls')).toBe(false);
  });

  it('bootstrap() runs the start-up sequence; reads the server lacks come back unavailable', async () => {
    const user = await sdkUser('Grace', 'Hopper');
    const { client: c } = client();
    await c.login({ username: user.username, password: user.password });
    const result = await c.bootstrap({ timeout: 5000 });

    expect(result.self).toMatchObject({ id: user.id, username: user.username, first_name: 'Grace', last_name: 'Hopper', PublicKeys: [] });
    expect(Object.keys(result.storageUrls).sort()).toEqual(['delete', 'get', 'put', 'putRaw']);
    const fields = { 'give me keys': 'keys', 'give me users': 'users', 'give me groups': 'groups', 'give me dialogs': 'dialogs', 'give me presence': 'presence', 'give me messages': 'messages' } as const;
    for (const read of STARTUP_READS) {
      const value = result[fields[read]];
      if (result.unavailable.includes(read)) expect(value, read).toBeUndefined();
      else expect(value, read).toBeDefined();
    }
    // Every start-up read is served.
    expect(result.unavailable).toEqual([]);
    expect(result).toMatchObject({ keys: [], users: [], presence: {}, groups: [], dialogs: [], messages: [] });
  });

  it('close() fails what is pending and stops reconnecting', async () => {
    const user = await sdkUser();
    const { client: c, ws } = client();
    await c.login({ username: user.username, password: user.password });
    ws.last.hold();
    const pending = c.emitWithAck('who am i').catch((e: unknown) => e);
    c.close();
    expect(await pending).toMatchObject({ code: CLIENT_ERRORS.closed });
    expect(c.state).toBe('closed');
    await expect(c.emitWithAck('ping')).rejects.toMatchObject({ code: CLIENT_ERRORS.closed });
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.sockets).toHaveLength(1);
  });
});

describe('client SDK and the gateway limits', () => {
  beforeAll(async () => {
    stack = await startTestStack({ idleTimeoutMs: 400, maxConnectionMs: 1500 });
  });
  afterAll(() => stack.close());

  it('pings keep an idle connection open; the 2-hour close (1001) is a transparent reconnect', async () => {
    const user = await sdkUser();
    const { client: c, ws } = client({ heartbeatMs: 100 });
    const disconnects: DisconnectInfo[] = [];
    c.on('disconnect', (info) => disconnects.push(info));
    await c.login({ username: user.username, password: user.password });

    await new Promise((r) => setTimeout(r, 1000)); // 2.5 × the idle timeout
    expect(disconnects).toEqual([]);
    expect(ws.last.sent.filter((f) => f.event === 'ping').length).toBeGreaterThanOrEqual(5);

    const reconnected = next(c, 'reconnect', 3000);
    const queued = until(() => disconnects.length > 0, 3000, 'the lifetime close').then(() => c.emitWithAck('who am i'));
    await reconnected;
    expect(disconnects[0]).toEqual({ code: 1001, reason: 'Going away', willReconnect: true });
    await expect(queued).resolves.toMatchObject({ id: user.id });
  });

  it('without heartbeat the idle timeout closes the connection, and the client comes back', async () => {
    const user = await sdkUser();
    const { client: c } = client({ heartbeatMs: 0 });
    await c.login({ username: user.username, password: user.password });
    expect(await next<DisconnectInfo>(c, 'disconnect', 2000)).toMatchObject({ code: 1001, willReconnect: true });
    await next(c, 'reconnect', 2000);
    await expect(c.emitWithAck('ping')).resolves.toHaveProperty('time');
  });
});

describe('client SDK without a server', () => {
  let silent: Server;
  let silentUrl: string;
  let refusingUrl: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts TCP and never answers the upgrade: the WebSocket stays connecting.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    // A port nothing listens on: every attempt is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    refusingUrl = `ws://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const offline = (url: string, options: ClientOptions) => {
    const c = connect(url, { WebSocket: recordingWebSocket().WebSocket, heartbeatMs: 0, ...options });
    clients.push(c);
    return c;
  };
  const elapsed = async (promise: Promise<unknown>) => {
    const start = Date.now();
    const outcome = await promise.then(() => 'resolved', (error: MessengerError) => error.code);
    return { outcome, ms: Date.now() - start };
  };

  it('login() and every auth path reject within ackTimeoutMs when the server never answers', async () => {
    const c = offline(silentUrl, { ackTimeoutMs: 300 });
    const login = await elapsed(c.login({ username: 'a', password: 'b' }));
    expect(login.outcome).toBe(CLIENT_ERRORS.timeout);
    expect(login.ms).toBeGreaterThanOrEqual(290);
    expect(login.ms).toBeLessThan(2000);
    expect(await elapsed(c.emitWithAck('auth by token', { userId: 1, token: 't' }))).toMatchObject({ outcome: CLIENT_ERRORS.timeout });
    expect(await elapsed(c.timeout(100).emitWithAck('subscribe', { username: 'a', password: 'b' }))).toMatchObject({ outcome: CLIENT_ERRORS.timeout });
    const callback = vi.fn();
    c.emit('auth by credentials', { username: 'a', password: 'b' }, callback);
    await until(() => callback.mock.calls.length > 0, 2000, 'the callback');
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ code: CLIENT_ERRORS.timeout }));
  });

  it('login() rejects on reconnect_failed, long before its timeout', async () => {
    const c = offline(refusingUrl, { ackTimeoutMs: 20_000, maxReconnectAttempts: 2, backoff: { baseMs: 10, maxMs: 10 } });
    const failed = next(c, 'reconnect_failed', 5000);
    const login = await elapsed(c.login({ username: 'a', password: 'b' }));
    await failed;
    expect(login.outcome).toBe(CLIENT_ERRORS.reconnectFailed);
    expect(login.ms).toBeLessThan(5000);
    // Without reconnection, the first refused attempt is the answer.
    const once = offline(refusingUrl, { ackTimeoutMs: 20_000, reconnection: false });
    expect(await elapsed(once.login({ username: 'a', password: 'b' }))).toMatchObject({ outcome: CLIENT_ERRORS.disconnected });
  });

  it('timeout(ms): emitWithAck and emit with that ack timeout, as socket.io', async () => {
    const c = offline(silentUrl, { ackTimeoutMs: 20_000 });
    expect(await elapsed(c.timeout(100).emitWithAck('who am i'))).toMatchObject({ outcome: CLIENT_ERRORS.timeout });
    const callback = vi.fn();
    expect(c.timeout(100).emit('give me users', callback)).toBe(true);
    await until(() => callback.mock.calls.length > 0, 2000, 'the callback');
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ code: CLIENT_ERRORS.timeout }));
  });
});
