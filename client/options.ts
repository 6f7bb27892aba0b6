/** Options of `connect(url, options)` / `new MessengerClient(url, options)`, with their defaults. */
import type { AuthResult } from '../lambdas/protocol/objects';
import type { BackoffOptions } from './backoff';
import type { Credentials } from './protocol';
import type { ReassemblyOptions } from './reassembly';
import type { WebSocketConstructor } from './transport';

export interface ClientOptions {
  /** The WebSocket implementation: pass `WebSocket` from `ws` on Node < 22. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** The login stored by an earlier run: the client authenticates with `auth by token` whenever it connects. */
  auth?: AuthResult | null;
  /**
   * Called whenever the stored login changes: the NEW token after every authentication
   * (tokens rotate on every use), `null` when it is gone (refused, or `log out please`).
   * Persist it; the client awaits this before sending queued emits.
   */
  onToken?: (auth: AuthResult | null) => void | Promise<void>;
  /**
   * Asked when there is no usable token (refused, expired, none stored): return the person's
   * username and password, or undefined to stay logged out (then call `login()` later).
   * Asked at most once per connection attempt, and never after `log out please`.
   */
  getCredentials?: () => Credentials | undefined | Promise<Credentials | undefined>;
  /**
   * Authenticate stored logins as a lightweight connection (`isLightweight`): the
   * server then pushes only `log out please`, `subscribe please` and `messages`,
   * the latter without `Body` and `Attachments` (a background or notification
   * connection). Logins with a password are never lightweight. @default false
   */
  lightweight?: boolean;
  /** Reconnect by itself when the connection drops. @default true */
  reconnection?: boolean;
  /** Reconnection delays: full jitter over an exponential ceiling. @default { baseMs: 1000, maxMs: 30000 } */
  backoff?: BackoffOptions;
  /** Attempts after a drop before giving up (`reconnect_failed`). @default Infinity */
  maxReconnectAttempts?: number;
  /** Emits kept while disconnected or not authenticated; one more is refused with `queue full`. @default 100 */
  queueLimit?: number;
  /** Ack timeout of `emit` callbacks, auth frames, pings, and `emitWithAck` without `timeout`. @default 30000 (API Gateway gives up on a route after 29 s) */
  ackTimeoutMs?: number;
  /** Chunked frames from the server (docs/protocol.md, Chunked frames): how long an incomplete one is kept, and how many bytes of parts at most. @default { timeoutMs: 30000, maxBytes: 8 MiB } */
  chunking?: ReassemblyOptions;
  /** `ping` period while authenticated; 0 = none. @default 300000 (5 min; API Gateway closes idle connections at 10 min) */
  heartbeatMs?: number;
}

export const DEFAULTS = {
  queueLimit: 100,
  ackTimeoutMs: 30_000,
  heartbeatMs: 300_000,
  maxReconnectAttempts: Infinity,
} as const;

export function webSocketOf(options: ClientOptions): WebSocketConstructor {
  const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!impl) throw new TypeError('no WebSocket implementation: pass one, e.g. { WebSocket } from "ws"');
  return impl;
}
