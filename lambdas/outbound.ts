/**
 * Frames from the server, sized for API Gateway: one that does not fit one
 * WebSocket message (128 KB, less a margin) goes out as chunk frames
 * (protocol/chunks.ts). Used by the pusher (every push) and the ack shaper
 * (every ack: chunks but the last through the pusher's `send`, the last as
 * the route response).
 */
import { randomBytes } from 'node:crypto';
import { CHUNK_LIMITS, splitFrame } from './protocol/chunks';
import type { AckFrame, PushFrame } from './protocol/frames';

const MAX_MESSAGE_BYTES = CHUNK_LIMITS.outboundMessageBytes;

/**
 * Largest frame (ack or push) we send at all, in chunks: 6 MiB, Lambda's
 * response limit, so no answer exceeds what one invocation could return.
 * Beyond it an ack becomes `something went wrong` and a push is not sent,
 * both logged: a wrong or partial answer is never delivered.
 */
const MAX_FRAME_BYTES = CHUNK_LIMITS.outboundFrameBytes;

export class FrameTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`frame of ${bytes} bytes exceeds ${MAX_FRAME_BYTES}`);
    this.name = 'FrameTooLarge';
  }
}

/** The messages that carry `frame`: itself, or its chunk frames (any order will do for the client). */
export function messagesOf(frame: AckFrame | PushFrame): string[] {
  const text = JSON.stringify(frame);
  // Measured once, natively: every ack and push passes here.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_MESSAGE_BYTES) return [text];
  if (bytes > MAX_FRAME_BYTES) throw new FrameTooLarge(bytes);
  const ackId = 'ackId' in frame ? frame.ackId : undefined;
  return splitFrame(text, { maxBytes: MAX_MESSAGE_BYTES, id: randomBytes(12).toString('base64url'), ...(ackId !== undefined ? { ackId } : {}) });
}
