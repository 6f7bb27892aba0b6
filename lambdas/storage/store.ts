/** What every storage module needs, and helpers they share. */
import { BatchGetCommand, BatchWriteCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Config } from '../config';
import { retry, TryAgain, UNPROCESSED } from './retry';

export interface Store {
  db: DynamoDBDocumentClient;
  config: Pick<Config, 'connectionsTable' | 'dataTable' | 'connectionTtlSeconds' | 'connectionIdleSeconds' | 'connectionRefreshSeconds' | 'tokenTtlSeconds'>;
}

export const epochSeconds = (date: Date | number = Date.now()): number => Math.floor(new Date(date).getTime() / 1000);

/** TTL deletion lags by up to two days: an item past its expiry is treated as gone. */
export function alive<T extends { expiresAt?: number }>(item: T | undefined, now = Date.now()): T | undefined {
  if (!item) return undefined;
  if (item.expiresAt !== undefined && item.expiresAt <= epochSeconds(now)) return undefined;
  return item;
}

/** A single-item write whose condition failed (transactions report theirs as TransactionCancelled). */
export const isConditionFailure = (error: unknown): error is ConditionalCheckFailedException => error instanceof ConditionalCheckFailedException;

/** A conditional write: true if it was written, false if its condition did not hold. */
export async function conditionHolds(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
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

/** An item as DynamoDB returns it. */
export type Item = Record<string, unknown>;

export interface Key {
  pk: string;
  sk: string;
}

/** An item as written: its key and its attributes. */
export type StoredItem = Key & Item;

/**
 * One item to read and its aggregate's decoder (undefined: no such item).
 * Each storage module exports one per kind of item it owns (`userRef(id)`,
 * `groupRef(id)` …), so a read names what it wants and gets records back.
 */
export interface Ref<T> {
  key: Key;
  decode: (item: Item | undefined) => T;
}

export const ref = <T>(key: Key, decode: (item: Item | undefined) => T): Ref<T> => ({ key, decode });

export interface ReadOptions {
  consistent?: boolean;
  projection?: Projection;
}

/** The record of an item without its key attributes: the decoder of aggregates stored as they are. */
export function withoutKey<T extends object>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as T;
}

/** A decoder that keeps the named attributes (an absent one is `absent`): for aggregates whose items carry more. */
export const fieldsDecoder =
  <T extends object>(fields: readonly (keyof T & string)[], absent: null | undefined = undefined) =>
  (item: Item | undefined): T | undefined =>
    item ? (Object.fromEntries(fields.map((f) => [f, f in item ? item[f] : absent])) as T) : undefined;

/** The same named set of items for each of many ids (see `each`). */
export interface Each<I, R extends Refs> {
  ids: readonly I[];
  refsOf: (id: I) => R;
}

/** A named set of items to read; an undefined entry (a read that does not apply) decodes to undefined. */
export type Refs = { [name: string]: Ref<unknown> | Each<any, any> | undefined };
/** What reading an entry of a named set gives. */
export type Decoded<E> = E extends Ref<infer T> ? T : E extends Each<infer I, infer S> ? Map<I, Records<S>> : undefined;
export type Records<R extends Refs> = { [K in keyof R]: Decoded<R[K]> };

export const each = <I, R extends Refs>(ids: readonly I[], refsOf: (id: I) => R): Each<I, R> => ({ ids, refsOf });

/**
 * Reads a named set of items in one BatchGet (more past 100 keys) and decodes
 * them: `readRecords(store, { user: userRef(1), rings: each(ids, (id) => ({ ring: keyringRef(id) })) })`
 * → `{ user, rings }`, `rings` a Map from id to `{ ring }`.
 */
export async function readRecords<R extends Refs>(store: Store, refs: R, options: ReadOptions = {}): Promise<Records<R>> {
  const keys: Key[] = [];
  const collect = (set: Refs) => {
    for (const entry of Object.values(set)) {
      if (!entry) continue;
      if ('key' in entry) keys.push(entry.key);
      else for (const id of entry.ids) collect(entry.refsOf(id));
    }
  };
  collect(refs);
  const found = await getItems(store, keys, options);
  // The one place records are assembled by name; `Records<R>` types what this builds.
  const decode = (set: Refs): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(set).map(([name, entry]) => {
        if (!entry) return [name, undefined];
        if ('key' in entry) return [name, entry.decode(found.get(keyOf(entry.key)))];
        return [name, new Map(entry.ids.map((id) => [id, decode(entry.refsOf(id))]))];
      }),
    );
  return decode(refs) as Records<R>;
}

/** The same named set for each of many ids: id → records. */
export async function readEach<I, R extends Refs>(store: Store, ids: readonly I[], refsOf: (id: I) => R, options: ReadOptions = {}): Promise<Map<I, Records<R>>> {
  return (await readRecords(store, { all: each(ids, refsOf) }, options)).all;
}

/** Items of the data table by BatchGet (≤ 100 keys a request), retrying unprocessed keys. Duplicate keys are read once. */
async function getItems(store: Store, requested: Key[], options: ReadOptions): Promise<Map<string, Item>> {
  const projection = options.projection
    ? { ProjectionExpression: options.projection.expression, ...(options.projection.names ? { ExpressionAttributeNames: options.projection.names } : {}) }
    : {};
  const keys = [...new Map(requested.map((k) => [keyOf(k), k])).values()];
  const found = new Map<string, Item>();
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Item[] = keys.slice(start, start + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
    await retry(
      async () => {
        const out = await store.db.send(new BatchGetCommand({ RequestItems: { [store.config.dataTable]: { Keys: pending, ConsistentRead: options.consistent, ...projection } } }));
        for (const item of out.Responses?.[store.config.dataTable] ?? []) found.set(`${item.pk}|${item.sk}`, item);
        pending = (out.UnprocessedKeys?.[store.config.dataTable]?.Keys as Item[] | undefined) ?? [];
        if (pending.length > 0) throw new TryAgain(`${pending.length} keys unprocessed`);
      },
      () => false,
      UNPROCESSED,
    );
  }
  return found;
}

/**
 * The one way to write several items that need not be all or nothing: puts
 * and deletes of the data table, 25 a BatchWrite (`concurrency` in flight),
 * retrying unprocessed ones. Unconditional, so only for items a retry may
 * write again: bulk provisioning, and the derived items (message copies,
 * memberships) written after the transaction that decided them, which the
 * stream consumers complete if the request dies (docs/access-patterns.md).
 */
export async function writeMany(store: Store, writes: { puts?: readonly Item[]; deletes?: readonly Key[] }, concurrency = 8): Promise<void> {
  const requests = [
    ...(writes.puts ?? []).map((Item) => ({ PutRequest: { Item } })),
    ...(writes.deletes ?? []).map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })),
  ];
  const batches: (typeof requests)[] = [];
  for (let start = 0; start < requests.length; start += 25) batches.push(requests.slice(start, start + 25));
  await mapBounded(batches, concurrency, async (batch) => {
    let pending = batch;
    await retry(
      async () => {
        const out = await store.db.send(new BatchWriteCommand({ RequestItems: { [store.config.dataTable]: pending } }));
        pending = (out.UnprocessedItems?.[store.config.dataTable] as typeof pending | undefined) ?? [];
        if (pending.length > 0) throw new TryAgain(`${pending.length} items unprocessed`);
      },
      () => false,
      UNPROCESSED,
    );
  });
}

export const putMany = (store: Store, items: readonly Item[], concurrency = 8): Promise<void> => writeMany(store, { puts: items }, concurrency);

/** Deletes many items of the data table by key (operator clean-up: `delete-user`). */
export const deleteMany = (store: Store, keys: readonly Key[], concurrency = 8): Promise<void> => writeMany(store, { deletes: keys }, concurrency);

export const keyOf = (key: Key) => `${key.pk}|${key.sk}`;

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
