/**
 * Time to live: UpdateTimeToLive / DescribeTimeToLive (which dynalite lacks or
 * stubs) remembered in memory, and the sweeper that deletes expired items,
 * found through the expiry index.
 */
import type { DynaliteCore, SchemaCache } from './dynalite-core';
import type { ExpiryIndex } from './expiry-index';
import type { RwLock } from './rwlock';
import { asTtlService } from './streams';
import { WireError, validationError, type Payload } from './wire';

export interface TtlContext {
  core: DynaliteCore;
  schemas: SchemaCache;
  lock: RwLock;
  /** Table name → TTL attribute, for the tables whose TTL is enabled. */
  settings: Map<string, string>;
  expiring: ExpiryIndex;
  isClosed(): boolean;
}

/** Makes the expiry index follow `table`'s TTL setting (read alone, so that no write slips between the read and the index). */
export async function indexExpiries(ctx: TtlContext, table: string): Promise<void> {
  const attribute = ctx.settings.get(table);
  if (!attribute) return ctx.expiring.untrack(table);
  const schema = await ctx.schemas.get(table);
  await ctx.lock.run(true, () => ctx.expiring.track(table, attribute, schema, ctx.core.items(table)));
}

export async function updateTimeToLive(ctx: TtlContext, input: Payload): Promise<Payload> {
  const spec = input.TimeToLiveSpecification as Payload | undefined;
  if (!spec || typeof spec.Enabled !== 'boolean' || typeof spec.AttributeName !== 'string' || !spec.AttributeName) {
    throw validationError('TimeToLiveSpecification requires Enabled and a non-empty AttributeName');
  }
  await ctx.schemas.get(input.TableName); // ResourceNotFoundException for a missing table
  const table = String(input.TableName);
  const before = ctx.settings.get(table);
  if (spec.Enabled) ctx.settings.set(table, spec.AttributeName);
  else ctx.settings.delete(table);
  if (ctx.settings.get(table) !== before) await indexExpiries(ctx, table);
  return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
}

export async function describeTimeToLive(ctx: TtlContext, input: Payload): Promise<Payload> {
  await ctx.schemas.get(input.TableName);
  const attribute = ctx.settings.get(String(input.TableName));
  return {
    TimeToLiveDescription: attribute
      ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
      : { TimeToLiveStatus: 'DISABLED' },
  };
}

/**
 * Deletes every item whose TTL attribute is a number below now (epoch
 * seconds). Each delete is conditional on the item still being expired, so an
 * item refreshed since it was indexed survives. Returns the count.
 */
export async function sweepExpired(ctx: TtlContext): Promise<number> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const now = { N: String(nowSeconds) };
  let deleted = 0;
  for (const { table, storeKey, key } of ctx.expiring.due(nowSeconds)) {
    if (ctx.isClosed()) break;
    const attribute = ctx.settings.get(table);
    if (!attribute) continue;
    try {
      // As the TTL service: its deletions are stream records with the service's identity.
      await ctx.lock.run(true, () =>
        asTtlService(() =>
          ctx.core.call('DeleteItem', {
            TableName: table,
            Key: key,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': now },
          }),
        ),
      );
      deleted++;
    } catch (err) {
      if (err instanceof WireError && err.is('ResourceNotFoundException')) ctx.expiring.untrack(table);
      else if (err instanceof WireError && err.is('ConditionalCheckFailedException')) ctx.expiring.forgetIfDue(storeKey, nowSeconds);
      else throw err;
    }
  }
  return deleted;
}
