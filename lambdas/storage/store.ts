/** What every storage module needs, and helpers they share. */
import { BatchGetCommand, BatchWriteCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';

export interface Store {
  db: DynamoDBDocumentClient;
  config: Pick<Config, 'connectionsTable' | 'dataTable' | 'connectionTtlSeconds' | 'tokenTtlSeconds'>;
}

export const epochSeconds = (date: Date | number = Date.now()): number => Math.floor(new Date(date).getTime() / 1000);

/** TTL deletion lags by up to two days: an item past its expiry is treated as gone. */
export function alive<T extends { expiresAt?: number }>(item: T | undefined, now = Date.now()): T | undefined {
  if (!item) return undefined;
  if (item.expiresAt !== undefined && item.expiresAt <= epochSeconds(now)) return undefined;
  return item;
}

export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface Projection {
  /** ProjectionExpression; it must name `pk` and `sk`, which key the answer. */
  expression: string;
  names?: Record<string, string>;
}

/** Several items of the data table in one BatchGet (≤ 100 keys), retrying unprocessed keys. Duplicate keys are read once. */
export async function getMany(
  store: Store,
  requested: { pk: string; sk: string }[],
  options: { consistent?: boolean; projection?: Projection } = {},
): Promise<Map<string, Record<string, unknown>>> {
  const projection = options.projection
    ? { ProjectionExpression: options.projection.expression, ...(options.projection.names ? { ExpressionAttributeNames: options.projection.names } : {}) }
    : {};
  const keys = [...new Map(requested.map((k) => [keyOf(k), k])).values()];
  const found = new Map<string, Record<string, unknown>>();
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await store.db.send(new BatchGetCommand({ RequestItems: { [store.config.dataTable]: { Keys: pending, ConsistentRead: options.consistent, ...projection } } }));
      for (const item of out.Responses?.[store.config.dataTable] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      pending = out.UnprocessedKeys?.[store.config.dataTable]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}

/**
 * Puts many items of the data table, 25 a BatchWrite, retrying unprocessed
 * ones: not atomic and unconditional, for bulk provisioning only (requests
 * write through transactions).
 */
export async function putMany(store: Store, items: readonly Record<string, unknown>[], concurrency = 8): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25) as Record<string, unknown>[]);
  await mapBounded(batches, concurrency, async (batch) => {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await store.db.send(new BatchWriteCommand({ RequestItems: { [store.config.dataTable]: pending } }));
      pending = out.UnprocessedItems?.[store.config.dataTable] as typeof pending;
    }
  });
}

export const keyOf = (key: { pk: string; sk: string }) => `${key.pk}|${key.sk}`;

/** Every item a Query finds, following its pages (each at most 1 MB). */
export async function queryAll<T = Record<string, unknown>>(store: Pick<Store, 'db'>, input: QueryCommandInput): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateQuery({ client: store.db }, input)) items.push(...((page.Items ?? []) as T[]));
  return items;
}

/** Every item of one partition whose sort key starts with `prefix` (all pages). */
export function queryPrefix(store: Store, pk: string, prefix: string): Promise<Record<string, unknown>[]> {
  return queryAll(store, {
    TableName: store.config.dataTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
  });
}
