/**
 * One WebSocket connection speaking protocol §1: JSON text frames out,
 * acks and pushes in. Works with the browser's WebSocket and with `ws`.
 */
import { CHUNK_LIMITS, chunkOf, claimsChunk, splitFrame, utf8Length } from '../lambdas/protocol/chunks';
import { isAckId, isPlainObject, type AckFrame, type AckId, type PushFrame, type RequestFrame } from '../lambdas/protocol/frames';
import { Reassembly, type ReassemblyOptions } from './reassembly';

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
  /** A chunked frame from the server that cannot be completed (lost chunk, timeout, buffer bound). */
  incomplete(ackId: AckId | undefined, reason: string): void;
  /** Once, whether the socket opened or not. */
  close(info: CloseInfo, opened: boolean): void;
}

const OPEN = 1;

/** Whether the server would refuse the frame as larger than it reassembles: then it is not sent. */
export function oversized(frame: RequestFrame): boolean {
  return utf8Length(JSON.stringify(frame)) > CHUNK_LIMITS.inboundFrameBytes;
}

const chunkIdPrefix = Math.random().toString(36).slice(2, 10);
let chunkIds = 0;

export class Transport {
  private readonly socket: WebSocketLike;
  private readonly reassembly: Reassembly;
  private opened = false;

  constructor(url: string, WebSocketImpl: WebSocketConstructor, handlers: TransportHandlers, chunking: ReassemblyOptions = {}) {
    this.reassembly = new Reassembly((ackId, reason) => handlers.incomplete(ackId, reason), chunking);
    const socket = new WebSocketImpl(url);
    const on = socket as unknown as Record<'onopen' | 'onmessage' | 'onclose' | 'onerror', ((event: unknown) => void) | null>;
    on.onopen = () => {
      this.opened = true;
      handlers.open();
    };
    on.onmessage = (event) => {
      const frame = this.receive((event as { data: unknown }).data);
      if (!frame) return;
      if ('ackId' in frame) handlers.ack(frame);
      else handlers.push(frame);
    };
    on.onclose = (event) => {
      this.reassembly.clear();
      const { code, reason } = event as Partial<CloseInfo>;
      handlers.close({ code: code ?? 1006, reason: reason ?? '' }, this.opened);
    };
    on.onerror = () => {}; // a close event always follows
    this.socket = socket;
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /** false if the socket is not open (the frame is not sent). A frame over one safe WebSocket frame goes as chunk frames. */
  send(frame: RequestFrame): boolean {
    if (!this.isOpen) return false;
    const messages = splitFrame(JSON.stringify(frame), {
      maxBytes: CHUNK_LIMITS.inboundMessageBytes,
      id: `${chunkIdPrefix}-${++chunkIds}`,
      event: frame.event,
      ...(frame.ackId !== undefined ? { ackId: frame.ackId } : {}),
    });
    for (const message of messages) this.socket.send(message);
    return true;
  }

  /** A whole frame from a message: itself, or the chunk frame that completes one. */
  private receive(data: unknown): AckFrame | PushFrame | undefined {
    if (typeof data !== 'string') return undefined; // binary frames are not part of the protocol
    const value = jsonOf(data);
    if (!claimsChunk(value)) return frameOf(value);
    const chunk = chunkOf(value);
    const whole = chunk && this.reassembly.add(chunk);
    return whole === undefined ? undefined : frameOf(jsonOf(whole)); // chunks do not nest
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

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An ack (has a valid ackId) or a push (has a string event); anything else is dropped. */
function frameOf(frame: unknown): AckFrame | PushFrame | undefined {
  if (!isPlainObject(frame) || claimsChunk(frame)) return undefined;
  if (isAckId(frame.ackId)) return { ackId: frame.ackId, error: (frame.error ?? null) as AckFrame['error'], result: frame.result };
  if (typeof frame.event === 'string') return { event: frame.event, data: frame.data ?? null };
  return undefined;
}
