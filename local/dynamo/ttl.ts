/**
 * Time to live: UpdateTimeToLive / DescribeTimeToLive (which dynalite lacks or
 * stubs) remembered in memory, and the sweeper that deletes expired items.
 */
import type { DynaliteCore, SchemaCache } from './dynalite-core';
import type { RwLock } from './rwlock';
import { WireError, validationError, type Payload } from './wire';

export interface TtlContext {
  core: DynaliteCore;
  schemas: SchemaCache;
  lock: RwLock;
  /** Table name → TTL attribute, for the tables whose TTL is enabled. */
  settings: Map<string, string>;
  isClosed(): boolean;
}

export async function updateTimeToLive(ctx: TtlContext, input: Payload): Promise<Payload> {
  const spec = input.TimeToLiveSpecification as Payload | undefined;
  if (!spec || typeof spec.Enabled !== 'boolean' || typeof spec.AttributeName !== 'string' || !spec.AttributeName) {
    throw validationError('TimeToLiveSpecification requires Enabled and a non-empty AttributeName');
  }
  await ctx.schemas.get(input.TableName); // ResourceNotFoundException for a missing table
  const table = String(input.TableName);
  if (spec.Enabled) ctx.settings.set(table, spec.AttributeName);
  else ctx.settings.delete(table);
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
 * item refreshed between the scan and the delete survives. Returns the count.
 */
export async function sweepExpired(ctx: TtlContext): Promise<number> {
  const now = { N: String(Math.floor(Date.now() / 1000)) };
  let deleted = 0;
  for (const [table, attribute] of [...ctx.settings]) {
    let schema;
    try {
      schema = await ctx.schemas.get(table);
    } catch (err) {
      if (err instanceof WireError && err.is('ResourceNotFoundException')) continue;
      throw err;
    }
    const keyNames = schema.range ? [schema.hash, schema.range] : [schema.hash];
    const names: Record<string, string> = { '#ttl': attribute };
    keyNames.forEach((k, i) => (names[`#k${i}`] = k));
    let startKey: Payload | undefined;
    do {
      if (ctx.isClosed()) return deleted;
      const page = await ctx.lock.run(false, () =>
        ctx.core.call('Scan', {
          TableName: table,
          FilterExpression: '#ttl < :now',
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':now': now },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const key of (page.Items ?? []) as Payload[]) {
        if (ctx.isClosed()) return deleted;
        try {
          await ctx.lock.run(true, () =>
            ctx.core.call('DeleteItem', {
              TableName: table,
              Key: key,
              ConditionExpression: '#ttl < :now',
              ExpressionAttributeNames: { '#ttl': attribute },
              ExpressionAttributeValues: { ':now': now },
            }),
          );
          deleted++;
        } catch (err) {
          if (!(err instanceof WireError && err.is('ConditionalCheckFailedException'))) throw err;
        }
      }
      startKey = page.LastEvaluatedKey as Payload | undefined;
    } while (startKey);
  }
  return deleted;
}
