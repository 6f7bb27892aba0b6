/** The one error type of the SDK: a protocol error string from the server, or a failure of the SDK itself. */
import type { ErrorString } from '../lambdas/protocol/errors';

/** Failures that happen on this side of the wire; none of them is a protocol string. */
export const CLIENT_ERRORS = {
  /** No ack within the timeout. The frame may still have been processed by the server. */
  timeout: 'ack timeout',
  /** The connection dropped after the frame was sent and before its ack came. */
  disconnected: 'disconnected',
  /** Not connected or not authenticated, and the queue of waiting emits is full. */
  queueFull: 'queue full',
  /** `maxReconnectAttempts` used up (`reconnect_failed`) before a login could be sent. */
  reconnectFailed: 'reconnect failed',
  /** `close()` was called. */
  closed: 'client closed',
  /** The server ended the login (`log out please`); queued emits of that login are dropped. */
  loggedOut: 'logged out',
  /** The frame is larger than the server reassembles (docs/protocol.md, Chunked frames); it was not sent. */
  frameTooLarge: 'frame too large',
  /** A chunked answer from the server lost a chunk or timed out: the result is not known. */
  incompleteFrame: 'incomplete frame',
} as const;

export type ClientErrorCode = (typeof CLIENT_ERRORS)[keyof typeof CLIENT_ERRORS];

export class MessengerError extends Error {
  /** The protocol error string (`wrong password`, `unknown event`, …) or one of CLIENT_ERRORS. */
  readonly code: ErrorString | ClientErrorCode;
  /** Set only when the server answered with an error. */
  readonly protocolError: ErrorString | undefined;

  constructor(code: ErrorString | ClientErrorCode, readonly event?: string, fromServer = false) {
    super(code);
    this.name = 'MessengerError';
    this.code = code;
    this.protocolError = fromServer ? (code as ErrorString) : undefined;
  }

  static fromServer(error: ErrorString, event?: string): MessengerError {
    return new MessengerError(error, event, true);
  }
}
