/** The SDK's own types, built on its event maps (protocol.ts): nothing here restates a payload. */
import type { AuthResult } from '../lambdas/protocol/objects';
import type { EmitCallback } from './acks';
import type { MessengerError } from './errors';
import type { ServerPushes } from './protocol';
import type { CloseInfo } from './transport';

/** The shape of a client-event map: frame name → payload and ack result. */
export type EventMap<C> = { [E in keyof C]: { data: unknown; result: unknown } };

/** Escape hatch for frames and pushes newer than this SDK (see `client.untyped`). */
export type AnyEvents = Record<string, { data: unknown; result: unknown }>;
export type AnyPushes = Record<string, unknown>;

export type DataOf<C, E extends keyof C> = C[E] extends { data: infer D } ? D : never;
export type ResultOf<C, E extends keyof C> = C[E] extends { result: infer R } ? R : never;

/** `emit(event, data?, ack?)`; a frame that takes no data also accepts `emit(event, ack)`, as socket.io apps write it. */
export type EmitArgs<C, E extends keyof C> = undefined extends DataOf<C, E>
  ? [ack?: EmitCallback<ResultOf<C, E>>] | [data: DataOf<C, E>, ack?: EmitCallback<ResultOf<C, E>>]
  : [data: DataOf<C, E>, ack?: EmitCallback<ResultOf<C, E>>];

export interface AckOptions {
  /** ms until the promise rejects with `ack timeout`, counted from the call (time in the queue included). */
  timeout?: number;
}

export type EmitWithAckArgs<C, E extends keyof C> = undefined extends DataOf<C, E>
  ? [data?: DataOf<C, E>, options?: AckOptions]
  : [data: DataOf<C, E>, options?: AckOptions];

/** `emitWithAck`'s arguments without the options: the data, where the frame takes some. */
export type DataArgs<C, E extends keyof C> = undefined extends DataOf<C, E> ? [data?: DataOf<C, E>] : [data: DataOf<C, E>];

/** What `client.timeout(ms)` returns: `emit` and `emitWithAck` with that ack timeout (socket.io's `socket.timeout(ms)`). */
export interface TimedEmitter<C> {
  emit<E extends keyof C & string>(event: E, ...args: EmitArgs<C, E>): boolean;
  emitWithAck<E extends keyof C & string>(event: E, ...args: DataArgs<C, E>): Promise<ResultOf<C, E>>;
}

export interface DisconnectInfo extends CloseInfo {
  /** Whether the client will reconnect (and re-authenticate) by itself. */
  willReconnect: boolean;
}

/**
 * Events of the client itself. Their names are socket.io's; protocol frame
 * names are words separated by spaces, and the check below fails the build if
 * the server ever gains a push of the same name.
 */
export interface LifecycleEvents {
  /** The WebSocket opened (not yet authenticated). */
  connect: undefined;
  /** A connection attempt failed before the socket opened. */
  connect_error: CloseInfo;
  /** The WebSocket closed (server, network, idle/2 h gateway limits, heartbeat timeout or `close()`). */
  disconnect: DisconnectInfo;
  /** A reconnection attempt starts (1-based). */
  reconnect_attempt: { attempt: number };
  /** Reconnected and re-authenticated after a drop; queued emits have just been sent. */
  reconnect: { attempts: number };
  /** `maxReconnectAttempts` reached; the client stays disconnected until `open()`. */
  reconnect_failed: undefined;
  /** Authenticated (first login, re-login, token login); the app's stored token was updated through `onToken`. */
  auth: AuthResult;
  /** Authentication failed and the client cannot go on alone: it waits for `login()`. */
  auth_error: MessengerError;
  /** An app callback (listener, ack callback, `onToken`, `getCredentials`) threw. Without a listener it is rethrown. */
  error: unknown;
}

type NoClash = Extract<keyof ServerPushes, keyof LifecycleEvents>;
const noClash: [NoClash] extends [never] ? true : NoClash = true;
void noClash;

export type Payloads<P> = P & LifecycleEvents;
export type ListenerOf<P, K extends keyof Payloads<P>> = (payload: Payloads<P>[K]) => void;
