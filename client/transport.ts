/**
 * One WebSocket connection speaking protocol §1: JSON text frames out,
 * acks and pushes in. Works with the browser's WebSocket and with `ws`.
 */
import { isAckId, isPlainObject, type AckFrame, type PushFrame, type RequestFrame } from '../lambdas/protocol/frames';

/** What the SDK needs of a WebSocket: the browser's, Node ≥ 22's global one, and `ws`'s all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface TransportHandlers {
  open(): void;
  ack(frame: AckFrame): void;
  push(frame: PushFrame): void;
  /** Once, whether the socket opened or not. */
  close(info: CloseInfo, opened: boolean): void;
}

const OPEN = 1;

export class Transport {
  private readonly socket: WebSocketLike;
  private opened = false;

  constructor(url: string, WebSocketImpl: WebSocketConstructor, handlers: TransportHandlers) {
    const socket = new WebSocketImpl(url);
    const on = socket as unknown as Record<'onopen' | 'onmessage' | 'onclose' | 'onerror', ((event: unknown) => void) | null>;
    on.onopen = () => {
      this.opened = true;
      handlers.open();
    };
    on.onmessage = (event) => {
      const frame = parse((event as { data: unknown }).data);
      if (!frame) return;
      if ('ackId' in frame) handlers.ack(frame);
      else handlers.push(frame);
    };
    on.onclose = (event) => {
      const { code, reason } = event as Partial<CloseInfo>;
      handlers.close({ code: code ?? 1006, reason: reason ?? '' }, this.opened);
    };
    on.onerror = () => {}; // a close event always follows
    this.socket = socket;
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /** false if the socket is not open (the frame is not sent). */
  send(frame: RequestFrame): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Closes without reporting anything more: the caller has already moved on. */
  abandon(code = 1000, reason = ''): void {
    const on = this.socket as unknown as Record<'onopen' | 'onmessage' | 'onclose', null>;
    on.onopen = on.onmessage = on.onclose = null;
    // onerror stays a no-op: `ws` throws an unhandled 'error' when a connecting socket is closed.
    try {
      this.socket.close(code, reason);
    } catch {
      // already closed
    }
  }
}

/** An ack (has a valid ackId) or a push (has a string event); anything else is dropped. */
function parse(data: unknown): AckFrame | PushFrame | undefined {
  if (typeof data !== 'string') return undefined; // binary frames are not part of the protocol
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isPlainObject(frame)) return undefined;
  if (isAckId(frame.ackId)) return { ackId: frame.ackId, error: (frame.error ?? null) as AckFrame['error'], result: frame.result };
  if (typeof frame.event === 'string') return { event: frame.event, data: frame.data ?? null };
  return undefined;
}
