/**
 * MessengerClient: what a socket.io client gave the apps, over a plain
 * WebSocket speaking protocol §1 — emits with acks, pushes, and the life of a
 * login: token rotation, reconnection with backoff, queueing, heartbeat.
 */
import { ERRORS } from '../lambdas/protocol/errors';
import type { PushFrame, RequestFrame } from '../lambdas/protocol/frames';
import type { AuthResult, StorageUrls } from '../lambdas/protocol/objects';
import { AckRegistry, toEmitCallback, type AckCallback, type EmitCallback } from './acks';
import { backoffDelay } from './backoff';
import { bootstrap, type BootstrapResult } from './bootstrap';
import { Emitter } from './emitter';
import { CLIENT_ERRORS, MessengerError } from './errors';
import { Heartbeat } from './heartbeat';
import { DEFAULTS, webSocketOf, type ClientOptions } from './options';
import type { ClientEvents, Credentials, ServerPushes } from './protocol';
import { BoundedQueue } from './queue';
import { AUTH_EVENTS, Session, type AuthEvent, type Tried } from './session';
import { oversized, Transport, type CloseInfo, type WebSocketConstructor } from './transport';
import type { AckOptions, AnyEvents, AnyPushes, EmitArgs, EmitWithAckArgs, EventMap, ListenerOf, Payloads, ResultOf, TimedEmitter } from './types';

/**
 * - `idle`: no socket, not trying (before `open()`, after the server ended the login and closed, or when reconnection gave up)
 * - `connecting` → `authenticating` → `ready` (authenticated; emits go out at once)
 * - `unauthenticated`: connected, waiting for `login()`
 * - `reconnecting`: waiting out the backoff delay
 * - `closed`: `close()` was called
 */
export type ClientState = 'idle' | 'connecting' | 'authenticating' | 'unauthenticated' | 'ready' | 'reconnecting' | 'closed';

/** Answers that another try with the same input cannot change. */
const FINAL_AUTH_ERRORS: ReadonlySet<string> = new Set([ERRORS.wrongPassword, ERRORS.wrongToken, ERRORS.wrongData, ERRORS.tooManyAttempts]);

export class MessengerClient<C extends EventMap<C> = ClientEvents, P = ServerPushes> {
  /** The file server prefixes of the last `storage urls` push. */
  storageUrls: StorageUrls | undefined;

  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly ackTimeoutMs: number;
  private readonly events = new Emitter((error) => this.report(error));
  private readonly acks = new AckRegistry((error) => this.report(error));
  private readonly queue: BoundedQueue<RequestFrame & { ackId?: number }>;
  private readonly heartbeat: Heartbeat;
  private readonly session: Session;
  private current: ClientState = 'idle';
  private transport: Transport | undefined;
  private authRunningOn: Transport | undefined;
  private everAuthenticated = false;
  private dropped = false;
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private reporting = false;

  constructor(
    readonly url: string,
    private readonly options: ClientOptions = {},
  ) {
    this.WebSocketImpl = webSocketOf(options);
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULTS.ackTimeoutMs;
    this.queue = new BoundedQueue(options.queueLimit ?? DEFAULTS.queueLimit);
    this.heartbeat = new Heartbeat(options.heartbeatMs ?? DEFAULTS.heartbeatMs, () => this.ping());
    this.session = new Session(options, (error) => this.report(error));
  }

  get state(): ClientState {
    return this.current;
  }

  /** The WebSocket is open (socket.io's `connected`); authenticated or not. */
  get connected(): boolean {
    return this.transport?.isOpen ?? false;
  }

  /** Authenticated: emits go out at once instead of waiting in the queue. */
  get authenticated(): boolean {
    return this.current === 'ready';
  }

  /** The stored login (user id and current token), if any. */
  get auth(): AuthResult | undefined {
    return this.session.login;
  }

  /** Emits waiting for a connection or a login. */
  get queued(): number {
    return this.queue.size;
  }

  /** The same client, typed loosely: frames and pushes newer than this SDK. */
  get untyped(): MessengerClient<AnyEvents, AnyPushes> {
    return this as unknown as MessengerClient<AnyEvents, AnyPushes>;
  }

  /** Opens the connection (again, after `close()`); `connect()` calls it for you. */
  open(): this {
    if (this.transport || this.current === 'reconnecting') return this;
    this.attempts = 0;
    this.dial();
    return this;
  }

  /**
   * First launch: `auth by credentials`. Resolves with the login (also given to `onToken`);
   * rejects with the server's answer, `ack timeout` after `ackTimeoutMs` (the server unreachable
   * included), or `reconnect failed` / `disconnected` when the client stops trying to connect.
   */
  login(credentials: Credentials): Promise<AuthResult> {
    return this.authenticateWith('auth by credentials', credentials, this.ackTimeoutMs);
  }

  /** socket.io's `emit`: with an ack callback `(error, result)`, or fire-and-forget (no ackId on the wire). false if refused (`queue full`, closed). */
  emit<E extends keyof C & string>(event: E, ...args: EmitArgs<C, E>): boolean {
    return this.timeout(this.ackTimeoutMs).emit(event, ...args);
  }

  /** Resolves with the ack's result; rejects with a MessengerError (the protocol string, `ack timeout`, `disconnected`, …). */
  emitWithAck<E extends keyof C & string>(event: E, ...args: EmitWithAckArgs<C, E>): Promise<ResultOf<C, E>> {
    const [data, options] = args as [unknown, AckOptions | undefined];
    return new Promise((resolve, reject) => {
      this.request(event, data, (error, result) => (error ? reject(error) : resolve(result as ResultOf<C, E>)), options?.timeout ?? this.ackTimeoutMs);
    });
  }

  /** socket.io's `timeout(ms)`: `client.timeout(5000).emitWithAck(event, data)`, or `.emit(event, data, ack)` with that ack timeout. */
  timeout(ms: number): TimedEmitter<C> {
    return {
      emit: (event, ...args) => {
        const [data, ack] = typeof args[0] === 'function' ? [undefined, args[0]] : args;
        return this.request(event, data, ack && toEmitCallback(ack as EmitCallback), ms);
      },
      emitWithAck: (event, ...args) => this.emitWithAck(event, ...([args[0], { timeout: ms }] as EmitWithAckArgs<C, typeof event>)),
    };
  }

  on<K extends keyof Payloads<P> & string>(event: K, listener: ListenerOf<P, K>): this {
    this.events.on(event, listener);
    return this;
  }

  once<K extends keyof Payloads<P> & string>(event: K, listener: ListenerOf<P, K>): this {
    this.events.on(event, listener, true);
    return this;
  }

  off<K extends keyof Payloads<P> & string>(event?: K, listener?: ListenerOf<P, K>): this {
    this.events.off(event, listener);
    return this;
  }

  /** Protocol §2 after authentication: see bootstrap.ts. */
  bootstrap(options?: AckOptions): Promise<BootstrapResult> {
    return bootstrap(this as unknown as MessengerClient, options);
  }

  /** Disconnects for good (until `open()`): pending and queued emits fail with `client closed`. */
  close(): void {
    if (this.current === 'closed') return;
    const transport = this.transport;
    this.transport = undefined;
    this.current = 'closed';
    clearTimeout(this.reconnectTimer);
    this.heartbeat.stop();
    transport?.abandon(1000, 'client close');
    this.acks.failAll(CLIENT_ERRORS.closed, false);
    this.queue.drain();
    this.session.failRequests(CLIENT_ERRORS.closed);
    if (transport) this.events.emit('disconnect', { code: 1000, reason: 'client close', willReconnect: false });
  }

  // --- sending -------------------------------------------------------------

  private request(event: string, data: unknown, ack: AckCallback | undefined, timeoutMs: number): boolean {
    if (AUTH_EVENTS.has(event)) {
      this.authenticateWith(event as AuthEvent, data, timeoutMs).then(
        (result) => ack?.(null, result),
        (error: MessengerError) => (ack ? ack(error) : undefined),
      ).catch((error) => this.report(error));
      return this.current !== 'closed';
    }
    const ackId = ack ? this.acks.register(event, ack, timeoutMs) : undefined;
    const frame = { event, data, ackId };
    if (oversized(frame)) {
      if (ackId !== undefined) queueMicrotask(() => this.acks.cancel(ackId, CLIENT_ERRORS.frameTooLarge));
      return false;
    }
    if (this.current === 'ready' && this.transport && this.transmit(this.transport, frame)) return true;
    if (this.current !== 'closed') {
      this.queue.remove((queued) => queued.ackId !== undefined && !this.acks.has(queued.ackId)); // timed out while waiting
      if (this.queue.push(frame)) return true;
    }
    if (ackId !== undefined) queueMicrotask(() => this.acks.cancel(ackId, this.current === 'closed' ? CLIENT_ERRORS.closed : CLIENT_ERRORS.queueFull));
    return false;
  }

  private transmit(transport: Transport, frame: RequestFrame & { ackId?: number }): boolean {
    if (!transport.send(frame)) return false;
    if (frame.ackId !== undefined) this.acks.markSent(frame.ackId);
    return true;
  }

  private flush(transport: Transport): void {
    for (const frame of this.queue.drain()) {
      if (frame.ackId !== undefined && !this.acks.has(frame.ackId)) continue; // timed out while waiting
      this.transmit(transport, frame);
    }
  }

  private ping(): void {
    const transport = this.transport;
    this.request('ping', undefined, (error) => {
      if (!error || !transport || transport !== this.transport) return;
      if (error.code === CLIENT_ERRORS.timeout) this.drop(transport, 4000, 'heartbeat timeout');
      else if (error.code === ERRORS.notAuthenticated) this.reauthenticate();
    }, this.ackTimeoutMs);
  }

  // --- connection ----------------------------------------------------------

  private dial(): void {
    this.current = 'connecting';
    const transport: Transport = new Transport(this.url, this.WebSocketImpl, {
      open: () => this.onOpen(transport),
      ack: (frame) => this.acks.receive(frame),
      push: (frame) => this.onPush(frame),
      incomplete: (ackId) => typeof ackId === 'number' && this.acks.cancel(ackId, CLIENT_ERRORS.incompleteFrame),
      close: (info, opened) => this.onClose(transport, info, opened),
    }, this.options.chunking);
    this.transport = transport;
  }

  private onOpen(transport: Transport): void {
    if (transport !== this.transport) return;
    this.events.emit('connect', undefined);
    void this.authenticate(transport);
  }

  private onClose(transport: Transport, info: CloseInfo, opened: boolean): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    this.heartbeat.stop();
    if (this.everAuthenticated) this.dropped = true;
    this.acks.failAll(CLIENT_ERRORS.disconnected, true);
    const maxAttempts = this.options.maxReconnectAttempts ?? DEFAULTS.maxReconnectAttempts;
    // After `log out please` (e.g. another device logged in) only a new login() brings the client back.
    const wanted = (this.options.reconnection ?? true) && this.session.wanted;
    const willReconnect = wanted && this.attempts < maxAttempts;
    if (willReconnect) this.scheduleReconnect();
    else {
      this.current = 'idle';
      // Nothing will connect again by itself: logins waiting for a connection get their answer now.
      this.session.failRequests(wanted ? CLIENT_ERRORS.reconnectFailed : CLIENT_ERRORS.disconnected);
    }
    this.events.emit(opened ? 'disconnect' : 'connect_error', opened ? { ...info, willReconnect } : info);
    if (wanted && !willReconnect) this.events.emit('reconnect_failed', undefined);
  }

  /** Gives up on a connection that looks dead and goes the reconnect way. */
  private drop(transport: Transport, code: number, reason: string): void {
    if (transport !== this.transport) return;
    transport.abandon(code, reason);
    this.onClose(transport, { code, reason }, true);
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempts, this.options.backoff);
    this.attempts += 1;
    this.current = 'reconnecting';
    this.reconnectTimer = setTimeout(() => {
      this.events.emit('reconnect_attempt', { attempt: this.attempts });
      if (this.current === 'reconnecting') this.dial();
    }, delay);
  }

  private onPush(frame: PushFrame): void {
    if (frame.event === 'storage urls') this.storageUrls = frame.data as StorageUrls;
    else if (frame.event === 'log out please') this.onLoggedOut();
    else if (frame.event === 'subscribe please') this.reauthenticate();
    this.events.emit(frame.event, frame.data);
  }

  // --- authentication ------------------------------------------------------

  /**
   * An explicit login (`login()`, or an auth frame the app emits): sent as soon as the socket is
   * open, before anything queued. Its timeout runs from the call, waiting for a connection included.
   */
  private authenticateWith(event: AuthEvent, data: unknown, timeoutMs: number): Promise<AuthResult> {
    if (this.current === 'closed') return Promise.reject(new MessengerError(CLIENT_ERRORS.closed, event));
    return new Promise((resolve, reject) => {
      this.session.request(event, data, timeoutMs, (error, result) => (error ? reject(error) : resolve(result!)));
      if (!this.transport) this.open();
      else if (this.transport.isOpen) void this.authenticate(this.transport);
    });
  }

  /** The server unbound this connection (`subscribe please`, or a ping answered `not authenticated`). */
  private reauthenticate(): void {
    if (!this.transport?.isOpen) return;
    this.heartbeat.stop();
    if (this.current === 'ready') this.current = 'authenticating';
    void this.authenticate(this.transport);
  }

  private onLoggedOut(): void {
    this.session.loggedOut = true;
    this.heartbeat.stop();
    if (this.current === 'ready' || this.current === 'authenticating') this.current = 'unauthenticated';
    void this.session.store(null);
    for (const frame of this.queue.drain()) if (frame.ackId !== undefined) this.acks.cancel(frame.ackId, CLIENT_ERRORS.loggedOut);
  }

  /** Authenticates on this socket, one step at a time, as the session proposes them (see Session.next). */
  private async authenticate(transport: Transport): Promise<void> {
    if (this.authRunningOn === transport) return;
    this.authRunningOn = transport;
    const tried: Tried = new Set();
    let failure: MessengerError | undefined;
    try {
      if (this.current !== 'ready') this.current = 'authenticating';
      for (;;) {
        const step = await this.session.next(tried, this.current === 'ready');
        if (transport !== this.transport) {
          if (step?.settle) this.session.retry(step); // for the next connection
          return;
        }
        if (!step) break;
        try {
          const result = await this.send<AuthResult>(transport, step.event, step.data);
          await this.adopt(transport, result);
          step.settle?.(null, result);
          failure = undefined;
        } catch (error) {
          const refused = error instanceof MessengerError ? error : new MessengerError(ERRORS.somethingWentWrong, step.event);
          step.settle?.(refused);
          if (transport !== this.transport) return;
          if (step.settle) continue; // the app has its answer
          if (!FINAL_AUTH_ERRORS.has(refused.code)) return this.drop(transport, 4001, `authentication failed: ${refused.code}`);
          if (refused.code === ERRORS.wrongToken) await this.session.store(null);
          failure = refused;
        }
      }
      if (this.current !== 'ready' && transport === this.transport) {
        this.current = 'unauthenticated';
        if (failure) this.events.emit('auth_error', failure);
      }
    } finally {
      if (this.authRunningOn === transport) this.authRunningOn = undefined;
    }
  }

  /** A frame that bypasses the queue (auth frames go out before anything queued). */
  private send<R>(transport: Transport, event: string, data: unknown): Promise<R> {
    return new Promise((resolve, reject) => {
      const ackId = this.acks.register(event, (error, result) => (error ? reject(error) : resolve(result as R)), this.ackTimeoutMs);
      if (!this.transmit(transport, { event, data, ackId })) this.acks.cancel(ackId, CLIENT_ERRORS.disconnected);
    });
  }

  /** A successful authentication: store the new token, then send what waited, then tell the app. */
  private async adopt(transport: Transport, result: AuthResult): Promise<void> {
    await this.session.store(result);
    if (transport !== this.transport) return;
    const reconnected = this.dropped;
    const attempts = this.attempts;
    this.current = 'ready';
    this.everAuthenticated = true;
    this.dropped = false;
    this.attempts = 0;
    this.heartbeat.start();
    this.flush(transport);
    this.events.emit('auth', result);
    if (reconnected) this.events.emit('reconnect', { attempts });
  }

  /** What an app callback threw: to `error` listeners, else rethrown outside the client's own code path. */
  private report(error: unknown): void {
    if (this.reporting || !this.events.has('error')) {
      queueMicrotask(() => {
        throw error;
      });
      return;
    }
    this.reporting = true;
    try {
      this.events.emit('error', error);
    } finally {
      this.reporting = false;
    }
  }
}
