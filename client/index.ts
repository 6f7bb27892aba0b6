/** The messenger client SDK: `connect(url, options)`, then socket.io-style `emit` / `emitWithAck` / `on`. See README.md. */
import { MessengerClient } from './client';
import type { ClientOptions } from './options';

export { MessengerClient, type ClientState } from './client';
export { MessengerError, CLIENT_ERRORS, type ClientErrorCode } from './errors';
export { ERRORS, type ErrorString } from '../lambdas/protocol/errors';
export { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from './backoff';
export { DEFAULTS, type ClientOptions } from './options';
export { STARTUP_READS, type BootstrapResult } from './bootstrap';
export { historyPages, messagesBefore, type HistoryPage } from './history';
export type { EmitCallback } from './acks';
export type { WebSocketConstructor, WebSocketLike, CloseInfo } from './transport';
export type * from './types';
export type * from './protocol';
export type * from '../lambdas/protocol/objects';

/** socket.io's `io(url)`: a client that connects at once (and logs in with `options.auth`, if given). */
export function connect(url: string, options: ClientOptions = {}): MessengerClient {
  return new MessengerClient(url, options).open();
}
