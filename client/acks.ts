/**
 * Pending acks by ackId. Each callback fires exactly once: with the server's
 * ack, on its timeout, or when the connection or the client goes away. An ack
 * that arrives after that (a late ack) is ignored.
 */
import { ERRORS, type ErrorString } from '../lambdas/protocol/errors';
import type { AckFrame } from '../lambdas/protocol/frames';
import { CLIENT_ERRORS, MessengerError } from './errors';

/** Internal: every failure as a MessengerError. */
export type AckCallback<R = unknown> = (error: MessengerError | null, result?: R) => void;

/**
 * What `emit`'s callback gets, as from a socket.io server's `ack(error, result)`:
 * a server error is the bare protocol string (`err === 'wrong password'` keeps
 * working); failures on this side (timeout, disconnect, …) are MessengerErrors.
 */
export type EmitCallback<R = unknown> = (error: ErrorString | MessengerError | null, result?: R) => void;

export const toEmitCallback =
  <R>(callback: EmitCallback<R>): AckCallback<R> =>
  (error, result) =>
    error ? callback(error.protocolError ?? error) : callback(null, result);

interface Pending {
  event: string;
  callback: AckCallback;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** On the wire: a connection drop fails it. Queued ones wait for the next connection. */
  sent: boolean;
}

export class AckRegistry {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** @param report receives what a callback throws, so one bad callback cannot stop the frame loop. */
  constructor(private readonly report: (error: unknown) => void) {}

  /** A new ackId; the timeout (0 or Infinity = none) runs from now, queued time included. */
  register(event: string, callback: AckCallback, timeoutMs: number): number {
    const id = this.nextId++;
    const timer =
      timeoutMs > 0 && Number.isFinite(timeoutMs)
        ? setTimeout(() => this.settle(id, new MessengerError(CLIENT_ERRORS.timeout, event)), timeoutMs)
        : undefined;
    this.pending.set(id, { event, callback, timer, sent: false });
    return id;
  }

  has(id: number): boolean {
    return this.pending.has(id);
  }

  markSent(id: number): void {
    const entry = this.pending.get(id);
    if (entry) entry.sent = true;
  }

  /** An ack frame from the server. */
  receive(frame: AckFrame): void {
    if (typeof frame.ackId !== 'number') return; // we only send numbers
    const event = this.pending.get(frame.ackId)?.event;
    if (frame.error === null || frame.error === undefined) this.settle(frame.ackId, null, frame.result ?? null);
    else this.settle(frame.ackId, MessengerError.fromServer(String(frame.error) as ErrorString, event));
  }

  /** Fails one pending ack (not sent after all). */
  cancel(id: number, code: MessengerError['code']): void {
    const event = this.pending.get(id)?.event;
    this.settle(id, new MessengerError(code, event));
  }

  /** Fails what is on the wire (a dropped connection), or everything (`close()`). */
  failAll(code: MessengerError['code'], onlySent: boolean): void {
    for (const [id, entry] of [...this.pending]) {
      if (!onlySent || entry.sent) this.settle(id, new MessengerError(code, entry.event));
    }
  }

  private settle(id: number, error: MessengerError | null, result?: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    try {
      if (error) entry.callback(error);
      else entry.callback(null, result);
    } catch (thrown) {
      this.report(thrown);
    }
  }
}

export const isUnknownEvent = (error: unknown) => error instanceof MessengerError && error.code === ERRORS.unknownEvent;
