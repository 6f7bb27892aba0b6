/**
 * Chunked client frames (docs/protocol.md, Chunked frames) in the middleware: a chunk
 * is stored (storage/chunks.ts) and answered with nothing until its frame is
 * whole; the piece that completes it turns into the whole frame, which the
 * chain then runs once, with one ack. Handlers never see chunks.
 */
import type { Deps } from '../deps';
import { CHUNK_LIMITS, chunkOf, claimsChunk, utf8Length, type Chunk } from '../protocol/chunks';
import { ERRORS, ProtocolError } from '../protocol/errors';
import { isPlainObject } from '../protocol/frames';
import type { RouteDefinition } from '../routes/table';
import { addPiece, StaleChunkError } from '../storage/chunks';
import type { WebSocketEvent } from './aws-event';

/** A chunk was stored; the frame is not whole yet. Answered with nothing. */
export class AwaitingChunks extends Error {
  constructor() {
    super('awaiting chunks');
    this.name = 'AwaitingChunks';
  }
}

/** Raised for a refused chunk: answered once, on the first piece, when it names an ackId; the other pieces are dropped. */
function refuse(chunk: Chunk | undefined, reason: string, dropped: new (reason: string) => Error, error = new ProtocolError(ERRORS.wrongData, reason)): Error {
  if (chunk?.ackId === undefined || chunk.seq !== 0) return new dropped(`chunk: ${reason}`);
  return Object.assign(error, { frame: { event: '', ackId: chunk.ackId } });
}

const parsed = (text: string | undefined): unknown => {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
};

/**
 * The event to parse: itself when it is not a chunk, else (on the completing
 * piece) the same event carrying the whole frame. Throws AwaitingChunks while
 * pieces are missing. `$default` stores nothing: it answers the first piece.
 * `admit` runs before a piece is stored (the session check of a route that
 * needs a login), so a connection that may not send the frame stores nothing.
 */
export async function wholeEventOf(
  event: WebSocketEvent,
  route: RouteDefinition,
  deps: Deps,
  dropped: new (reason: string) => Error,
  admit: () => Promise<void>,
): Promise<WebSocketEvent> {
  if (event.isBase64Encoded) return event;
  const envelope = parsed(event.body);
  if (!claimsChunk(envelope)) return event;
  const chunk = chunkOf(envelope);
  const name = (envelope as { event?: unknown }).event;
  if (!chunk || typeof name !== 'string') throw refuse(chunk, 'malformed chunk', dropped);
  if (route.event === '$default') {
    if (chunk.seq !== 0) throw new AwaitingChunks();
    return { ...event, body: JSON.stringify({ event: name, ...(chunk.ackId !== undefined ? { ackId: chunk.ackId } : {}) }) };
  }
  if (chunk.of > CHUNK_LIMITS.inboundChunks) throw refuse(chunk, `more than ${CHUNK_LIMITS.inboundChunks} chunks`, dropped);
  try {
    await admit();
  } catch (error) {
    if (error instanceof ProtocolError) throw refuse(chunk, error.message, dropped, error);
    throw error;
  }
  let text: string | undefined;
  try {
    text = await addPiece(deps, event.requestContext.connectionId, chunk, deps.now());
  } catch (error) {
    if (error instanceof StaleChunkError) throw refuse(chunk, 'chunk of an expired or different frame', dropped);
    throw error;
  }
  if (text === undefined) throw new AwaitingChunks();
  const whole = parsed(text);
  // The completing piece answers for the whole frame, whatever its seq.
  const last = { ...chunk, seq: 0 };
  if (utf8Length(text) > CHUNK_LIMITS.inboundFrameBytes) throw refuse(last, `frame over ${CHUNK_LIMITS.inboundFrameBytes} bytes`, dropped);
  if (!isPlainObject(whole) || whole.event !== name || claimsChunk(whole)) throw refuse(last, 'chunks do not make a frame of their event', dropped);
  return { ...event, body: text };
}
