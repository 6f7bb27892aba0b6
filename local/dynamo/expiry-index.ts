/**
 * Which items of the TTL tables carry an expiry, and when: kept up to date
 * from the store's committed writes, so a TTL sweep visits the items due
 * instead of scanning every table (a full Scan every few seconds grew with
 * the data and stalled every other request while it ran).
 */
import type { KeySchema } from './dynalite-core';
import { keyOf } from './dynalite-core';
import type { Payload } from './wire';

interface Tracked {
  attribute: string;
  schema: KeySchema;
}

export interface ExpiringItem {
  table: string;
  storeKey: string;
  /** The item's DynamoDB key. */
  key: Payload;
  /** Epoch seconds (the TTL attribute's number). */
  expiresAt: number;
}

export class ExpiryIndex {
  private readonly tracked = new Map<string, Tracked>();
  /** By the item's key in the store. */
  private readonly entries = new Map<string, ExpiringItem>();

  /** Starts following `table`'s TTL attribute; `items` are the table's items now, by store key. */
  async track(table: string, attribute: string, schema: KeySchema, items: AsyncIterable<[string, Payload]>): Promise<void> {
    this.untrack(table);
    this.tracked.set(table, { attribute, schema });
    for await (const [storeKey, item] of items) this.write(table, storeKey, item);
  }

  untrack(table: string): void {
    if (!this.tracked.delete(table)) return;
    for (const [storeKey, entry] of this.entries) if (entry.table === table) this.entries.delete(storeKey);
  }

  /** One committed write: a put of `item`, or a delete when it is absent. */
  write(table: string, storeKey: string, item: Payload | undefined): void {
    const tracked = this.tracked.get(table);
    if (!tracked) return;
    const value = item?.[tracked.attribute] as { N?: string } | undefined;
    const expiresAt = typeof value?.N === 'string' ? Number(value.N) : NaN;
    const key = keyOf(tracked.schema, item);
    if (Number.isFinite(expiresAt) && key) this.entries.set(storeKey, { table, storeKey, key, expiresAt });
    else this.entries.delete(storeKey);
  }

  /** The items whose expiry is before `nowSeconds`. */
  due(nowSeconds: number): ExpiringItem[] {
    return [...this.entries.values()].filter((e) => e.expiresAt < nowSeconds);
  }

  /** Drops an entry still due: its item could not be deleted as expired, so it is not (e.g. removed with its table). */
  forgetIfDue(storeKey: string, nowSeconds: number): void {
    if ((this.entries.get(storeKey)?.expiresAt ?? Infinity) < nowSeconds) this.entries.delete(storeKey);
  }

  get size(): number {
    return this.entries.size;
  }
}
