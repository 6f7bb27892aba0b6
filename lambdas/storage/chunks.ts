/**
 * Pieces of a chunked client frame (docs/protocol.md, Chunked frames), kept until the
 * last one arrives — each chunk may reach a different Lambda instance:
 *
 *   frame = `<connectionId>#<chunk id>`, piece = seq      one item per part
 *   frame = `<connectionId>#<chunk id>`, piece = -1       the tally: `of`, `seen` (a number set)
 *
 * A piece is written before it is tallied, so the one update that adds the
 * last missing seq to `seen` finds every part with one consistent Query.
 * Adding a seq already seen changes nothing (a duplicate is harmless), and
 * after the TTL (`chunkTtlSeconds`) the tally refuses more, so a half-sent
 * frame expires without effect. Nothing is deleted: TTL removes it all.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';
import { joinParts, type Chunk } from '../protocol/chunks';
import { epochSeconds, isConditionFailure, queryAll, type Store } from './store';

export type ChunkStore = Pick<Store, 'db'> & { config: Pick<Config, 'chunksTable' | 'chunkTtlSeconds'> };

/** The chunk does not belong to a live frame: another `of`, or the frame expired. */
export class StaleChunkError extends Error {}

const TALLY = -1;

/** Stores one part; the whole frame's text if this part completed it, else undefined. */
export async function addPiece(store: ChunkStore, connectionId: string, chunk: Chunk, now = new Date()): Promise<string | undefined> {
  const frame = `${connectionId}#${chunk.id}`;
  const table = store.config.chunksTable;
  const expiresAt = epochSeconds(now) + store.config.chunkTtlSeconds;
  await store.db.send(new PutCommand({ TableName: table, Item: { frame, piece: chunk.seq, part: chunk.part, expiresAt } }));
  let seen: Set<number> | undefined;
  try {
    const out = await store.db.send(
      new UpdateCommand({
        TableName: table,
        Key: { frame, piece: TALLY },
        UpdateExpression: 'ADD seen :seq SET #of = :of, expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(frame) OR (#of = :of AND expiresAt > :now)',
        ExpressionAttributeNames: { '#of': 'of' },
        ExpressionAttributeValues: { ':seq': new Set([chunk.seq]), ':of': chunk.of, ':expiresAt': expiresAt, ':now': epochSeconds(now) },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    seen = out.Attributes?.seen as Set<number> | undefined;
  } catch (error) {
    if (isConditionFailure(error)) throw new StaleChunkError(`chunk ${chunk.seq}/${chunk.of} of ${chunk.id}`);
    throw error;
  }
  if (seen?.has(chunk.seq) || (seen?.size ?? 0) + 1 !== chunk.of) return undefined;
  const pieces = await queryAll<{ piece: number; part: string }>(store, {
    TableName: table,
    KeyConditionExpression: 'frame = :frame AND piece >= :first',
    ExpressionAttributeValues: { ':frame': frame, ':first': 0 },
    ConsistentRead: true,
  });
  const parts = new Array<string | undefined>(chunk.of);
  for (const { piece, part } of pieces) if (piece < chunk.of) parts[piece] = part;
  const text = joinParts(parts, chunk.of);
  if (text === undefined) throw new Error(`chunked frame ${chunk.id}: tallied whole, but parts are missing`);
  return text;
}
