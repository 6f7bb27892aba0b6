/**
 * Chunked frames (docs/protocol.md, Chunked frames), an extension of protocol §1: a
 * frame whose JSON text is larger than one WebSocket message may carry travels
 * as several chunk frames, each a small JSON object
 *
 *   { "event"?: string, "chunk": { "id", "seq", "of", "ackId"?, "part" } }
 *
 * whose `part`s, in `seq` order, concatenate to the whole frame's text.
 * Server → client chunks carry no top-level `event` or `ackId`, so a client
 * that does not know them sees neither an ack nor a push and drops them;
 * client → server chunks name the whole frame's `event`, which API Gateway
 * routes on. `of` lets the receiver tell a complete set from a lost chunk, and
 * `chunk.ackId` names the ack a lost chunk must fail.
 *
 * Pure: no clock, no I/O. Shared by the server and the client SDK.
 */
import { isAckId, isPlainObject, type AckId } from './frames';

export interface Chunk {
  /** Which whole frame: unique per sender and connection. */
  id: string;
  /** 0-based position of this part. */
  seq: number;
  /** How many parts the whole frame has. */
  of: number;
  /** The whole frame's ackId, if it has one (an ack, or a request that wants one). */
  ackId?: AckId;
  part: string;
}

/** Most parts one frame may be split into; `of` above it is refused. */
export const MAX_CHUNKS = 1000;
export const MAX_CHUNK_ID_LENGTH = 64;

/** The sizes both sides keep to (docs/protocol.md, Chunked frames). */
export const CHUNK_LIMITS = {
  /** Server → client: largest message sent, API Gateway's 128 KB (131,072 bytes) less 8 KB of margin. */
  outboundMessageBytes: 120 * 1024,
  /** Server → client: largest whole frame, 6 MiB (Lambda's response limit); beyond it an ack is `something went wrong`. */
  outboundFrameBytes: 6 * 1024 * 1024,
  /** Client → server: largest chunk frame the SDK sends, under API Gateway's 32 KB frame (browsers cannot fragment). */
  inboundMessageBytes: 30 * 1024,
  /** Client → server: largest whole frame the server reassembles (a 128 K-character payload even of 3-byte characters). */
  inboundFrameBytes: 512 * 1024,
  /** Client → server: most chunks of one frame. */
  inboundChunks: 64,
} as const;

/**
 * UTF-8 bytes that `text` takes inside a JSON string, escapes included: the
 * exact size `JSON.stringify` gives, so a part can be cut to a byte budget.
 */
function escapedBytes(text: string, index: number): { bytes: number; units: number } {
  const code = text.charCodeAt(index);
  if (code === 0x22 || code === 0x5c || code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return { bytes: 2, units: 1 };
  if (code < 0x20) return { bytes: 6, units: 1 };
  if (code < 0x80) return { bytes: 1, units: 1 };
  if (code < 0x800) return { bytes: 2, units: 1 };
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return { bytes: 4, units: 2 }; // a pair is never split
    return { bytes: 6, units: 1 }; // lone surrogate: \udxxx
  }
  if (code >= 0xdc00 && code <= 0xdfff) return { bytes: 6, units: 1 };
  return { bytes: 3, units: 1 };
}

/** UTF-8 byte length of a string, without Buffer (browsers). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Cuts `text` into parts that each take at most `budget` bytes as a JSON string's content. */
export function cutParts(text: string, budget: number): string[] {
  if (budget < 6) throw new Error('chunk budget too small');
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    const { bytes, units } = escapedBytes(text, i);
    if (used + bytes > budget) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += bytes;
    i += units;
  }
  parts.push(text.slice(start));
  return parts;
}

export interface SplitOptions {
  /** Largest chunk frame, in UTF-8 bytes. */
  maxBytes: number;
  id: string;
  event?: string;
  ackId?: AckId;
}

/**
 * The chunk frames (JSON texts, each at most `maxBytes`) that carry `text`;
 * `[text]` itself when it already fits.
 */
export function splitFrame(text: string, options: SplitOptions): string[] {
  if (utf8Length(text) <= options.maxBytes) return [text];
  const envelope = (chunk: Chunk) => JSON.stringify(options.event === undefined ? { chunk } : { event: options.event, chunk });
  // The envelope's size with the widest seq/of a split can have, and an empty part.
  const widest = envelope({ id: options.id, seq: MAX_CHUNKS, of: MAX_CHUNKS, ...(options.ackId !== undefined ? { ackId: options.ackId } : {}), part: '' });
  const parts = cutParts(text, options.maxBytes - utf8Length(widest));
  if (parts.length > MAX_CHUNKS) throw new RangeError(`frame of ${utf8Length(text)} bytes needs more than ${MAX_CHUNKS} chunks`);
  return parts.map((part, seq) => envelope({ id: options.id, seq, of: parts.length, ...(options.ackId !== undefined ? { ackId: options.ackId } : {}), part }));
}

/** A chunk frame, validated; undefined if `value` is not one (then it is an ordinary frame, or garbage). */
export function chunkOf(value: unknown): Chunk | undefined {
  if (!isPlainObject(value) || !isPlainObject(value.chunk)) return undefined;
  const { id, seq, of, ackId, part } = value.chunk;
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_CHUNK_ID_LENGTH) return undefined;
  if (!Number.isSafeInteger(of) || (of as number) < 1 || (of as number) > MAX_CHUNKS) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || (seq as number) >= (of as number)) return undefined;
  if (ackId !== undefined && !isAckId(ackId)) return undefined;
  if (typeof part !== 'string') return undefined;
  return { id, seq: seq as number, of: of as number, ...(ackId !== undefined ? { ackId } : {}), part };
}

/** Whether `value` claims to be a chunk frame (has a `chunk` member), valid or not. */
export const claimsChunk = (value: unknown): boolean => isPlainObject(value) && 'chunk' in value;

/** The whole frame's text from its parts, in order; undefined while any is missing. */
export function joinParts(parts: readonly (string | undefined)[], of: number): string | undefined {
  if (parts.length !== of) return undefined;
  for (let i = 0; i < of; i++) if (parts[i] === undefined) return undefined;
  return parts.join('');
}
