/**
 * The connection sweeper: DynamoDB's TTL deletes expired items within days,
 * not minutes, and a connection whose `$disconnect` was lost must stop
 * counting as online once it is silent past the idle timeout. Each run reads
 * every shard of the `byExpiry` index for connections expired now (a Query
 * per shard, keys only; no Scan) and deletes each one still expired (a frame
 * may have refreshed it since the index was read). The deletes are REMOVE
 * records of the Connections stream: its consumer ends their presence and
 * sends `offline` (lambdas/streams/connection-removed.ts), as for a TTL deletion.
 */
import { getDeps, type Deps } from '../deps';
import { log } from '../log';
import { deleteIfExpired, expiredConnectionIds, SWEEP_SHARDS } from '../storage/connections';
import { mapBounded } from '../storage/store';

export interface SweepResult {
  expired: number;
  deleted: number;
  /** Expired connections left for the next run (the time budget ran out). */
  left: number;
}

/** An index this store does not have (a local DATA_DIR made before `byExpiry` existed: dynalite cannot add one). */
const isMissingIndex = (error: unknown): boolean => error instanceof Error && error.name === 'ValidationException' && /specified index/i.test(error.message);

/** One sweep; stops starting deletes at `deadline` (epoch ms). */
export async function sweepConnections(deps: Deps, deadline = Infinity): Promise<SweepResult> {
  const now = deps.now().getTime();
  const shards = Array.from({ length: SWEEP_SHARDS }, (_, i) => i);
  let ids: string[];
  try {
    ids = (await mapBounded(shards, 4, (shard) => expiredConnectionIds(deps, shard, now))).flat();
  } catch (error) {
    if (!isMissingIndex(error)) throw error;
    log.warn('connection sweep skipped: the Connections table has no byExpiry index (TTL alone removes expired connections)');
    return { expired: 0, deleted: 0, left: 0 };
  }
  let deleted = 0;
  let left = 0;
  await mapBounded(ids, deps.config.pushConcurrency, async (id) => {
    if (Date.now() >= deadline) return void left++;
    if (await deleteIfExpired(deps, id, now)) deleted++;
  });
  return { expired: ids.length, deleted, left };
}

export async function handler(_event?: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<SweepResult> {
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - 10_000 : Infinity;
  const result = await sweepConnections(getDeps(), deadline);
  if (result.expired > 0) log.info('connections swept', { ...result });
  return result;
}
