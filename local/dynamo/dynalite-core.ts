/**
 * dynalite's request handling, called in-process: its validations and action
 * modules run directly on its LevelDB store, with no HTTP between the front
 * server and dynalite. Items go in and out in wire form (no marshalling), so
 * numbers, binaries and sets are restored byte for byte.
 *
 * Writes are atomic: dynalite writes an item and each of its index entries
 * separately, so here every write an operation (or a whole transaction, see
 * `atomically`) makes to LevelDB is held back and written as one LevelDB
 * batch — one record of LevelDB's log, replayed whole or not at all when the
 * store opens after a crash. LevelDB hands the record to the OS before the
 * answer goes out, so an acknowledged write survives a kill -9 of the
 * process (not a power cut: the log is not fsync'd).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { WireError, internalError, type Payload } from './wire';

/** The operations dynalite implements (its index.js list). */
const DYNALITE_OPS = [
  'BatchGetItem', 'BatchWriteItem', 'CreateTable', 'DeleteItem', 'DeleteTable', 'DescribeTable', 'DescribeTimeToLive',
  'GetItem', 'ListTables', 'PutItem', 'Query', 'Scan', 'TagResource', 'UntagResource', 'ListTagsOfResource',
  'UpdateItem', 'UpdateTable',
] as const;

type Callback = (err: (Error & { statusCode?: number; body?: Payload }) | null | undefined, data?: Payload) => void;
type Action = (store: DynaliteStore, data: Payload, cb: Callback) => void;
interface ActionValidation {
  types: Payload;
  custom?: (data: Payload, store: DynaliteStore) => string | undefined;
}

type Done = (err?: Error | null) => void;
export interface LevelOp {
  type: 'put' | 'del';
  key: string;
  value?: unknown;
}
/** dynalite's LevelDB (callback-style methods added by db/index.js); all its sub-databases write through it. */
interface Level {
  put(key: string, value: unknown, cb?: Done): Promise<void> | void;
  del(key: string, cb?: Done): Promise<void> | void;
  batch(ops: LevelOp[], cb?: Done): Promise<void> | void;
  get(key: string): Promise<Payload | undefined>;
  iterator(range: KeyRange): AsyncIterable<[string, Payload]>;
  close(cb: Done): void;
}

/** A range of store keys, as LevelDB's iterator takes it. */
export interface KeyRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

/** Where dynalite keeps a table's items: its sub-database `item-<table>` (db/index.js getItemDb), keys prefixed `<name>~`. */
const itemPrefix = (table: string) => `item-${table}~`;
const ITEM_KEY = /^item-([^~]+)~/;

/** A committed write of one item: `item` absent for a delete. `storeKey` is the item's key in the store. */
export type ItemWriteListener = (table: string, storeKey: string, item: Payload | undefined) => void;
/** A change of one item, with the item before (absent: it was created) and after (absent: deleted). */
export interface ItemChange {
  table: string;
  storeKey: string;
  oldItem: Payload | undefined;
  newItem: Payload | undefined;
}
/**
 * Told of the changes of an atomic unit before it is written: returns store
 * writes that go into the same LevelDB batch (a journal of the changes), and
 * what to do once the batch is written.
 */
export type ItemChangeListener = (changes: ItemChange[]) => { ops: LevelOp[]; committed(): void };
/** The parts of dynalite's store (db/index.js `create`) used here. */
interface DynaliteStore {
  db: Level;
}

/** Operations whose writes go to LevelDB as one batch. */
const ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** The writes held back for one atomic unit. */
class PendingWrites {
  readonly ops: LevelOp[] = [];
  open = true;
  discarded = false;
}

export interface DynaliteCoreOptions {
  /** LevelDB directory; absent = in memory. */
  path?: string;
}

const dynaliteRequire = createRequire(createRequire(import.meta.url).resolve('dynalite'));
/**
 * dynalite's in-memory store (memory-level) keeps every key and value as a
 * Buffer by default: a slice of Node's shared 8 KB allocation pool, so a
 * stored item of a few hundred bytes can keep a whole slab alive. Stored as
 * views, each is its own exact-size Uint8Array, still compared bytewise (the
 * order LevelDB on disk and DynamoDB use). Must run before dynalite's db
 * module loads: it takes the class when it loads.
 */
const memoryLevel = dynaliteRequire('memory-level') as { MemoryLevel: new (options?: Payload) => object };
const BufferedMemoryLevel = memoryLevel.MemoryLevel;
class ViewMemoryLevel extends BufferedMemoryLevel {
  constructor(options: Payload = {}) {
    super({ storeEncoding: 'view', ...options });
  }
}
memoryLevel.MemoryLevel = ViewMemoryLevel;
const db = dynaliteRequire('./db') as { create(options: Payload): DynaliteStore };
const validations = dynaliteRequire('./validations') as {
  toLowerFirst(s: string): string;
  checkTypes(data: Payload, types: Payload): Payload;
  checkValidations(data: Payload, types: Payload, custom: ActionValidation['custom'], store: DynaliteStore): void;
};
const handlers = new Map(
  DYNALITE_OPS.map((op) => {
    const name = validations.toLowerFirst(op);
    return [op, { action: dynaliteRequire(`./actions/${name}`) as Action, validation: dynaliteRequire(`./validations/${name}`) as ActionValidation }];
  }),
);

/** dynalite's errors carry the HTTP status and body DynamoDB would answer with. */
function wireError(err: Error & { statusCode?: number; body?: Payload }): Error {
  return err.statusCode && err.body ? new WireError(err.statusCode, err.body) : err;
}

export class DynaliteCore {
  private readonly store: DynaliteStore;
  private readonly pending = new AsyncLocalStorage<PendingWrites>();
  private readonly writeBatch: (ops: LevelOp[]) => Promise<void>;
  private readonly itemWriteListeners: ItemWriteListener[] = [];
  private readonly itemChangeListeners: ItemChangeListener[] = [];
  private readonly changeTables = new Set<string>();

  constructor(options: DynaliteCoreOptions = {}) {
    this.store = db.create({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    if (!options.path && !(this.store.db instanceof ViewMemoryLevel)) {
      console.warn('[embedded-dynamo] dynalite loaded before local/dynamo/dynalite-core.ts: its in-memory store keeps Buffers');
    }
    this.writeBatch = this.holdBackWrites(this.store.db);
  }

  /**
   * Makes the writes of an atomic unit in progress (in this async context)
   * wait in its PendingWrites; returns the real batch write. Reads are not
   * redirected: a unit writes each item once (DynamoDB refuses two actions
   * on one item in a transaction or a BatchWriteItem), and reads what was
   * there before it.
   */
  private holdBackWrites(level: Level): (ops: LevelOp[]) => Promise<void> {
    const { put, del, batch } = level;
    const held = (): PendingWrites | undefined => {
      const unit = this.pending.getStore();
      return unit?.open ? unit : undefined;
    };
    /** Holds `ops` back if a unit is open; otherwise runs `write`. Answers as dynalite's wrappers do (callback or promise). */
    const holdOr = (ops: LevelOp[], cb: Done | undefined, write: () => Promise<void> | void) => {
      const unit = held();
      if (!unit) return write();
      unit.ops.push(...ops);
      if (typeof cb !== 'function') return Promise.resolve();
      setImmediate(cb, null);
    };
    level.put = (key, value, cb) => holdOr([{ type: 'put', key, value }], cb, () => put.call(level, key, value, cb));
    level.del = (key, cb) => holdOr([{ type: 'del', key }], cb, () => del.call(level, key, cb));
    level.batch = (ops, cb) => holdOr(ops, cb, () => batch.call(level, ops, cb));
    return (ops) => new Promise((resolve, reject) => batch.call(level, ops, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Runs `fn` with every store write made by the calls in it held back, then
   * writes them all in one LevelDB batch — unless `fn` throws or calls
   * `discard`, and then none is written. Inside another unit, joins it.
   */
  async atomically<T>(fn: (discard: () => void) => Promise<T>): Promise<T> {
    const outer = this.pending.getStore();
    if (outer?.open) return fn(() => (outer.discarded = true));
    const unit = new PendingWrites();
    try {
      const result = await this.pending.run(unit, () => fn(() => (unit.discarded = true)));
      unit.open = false;
      if (!unit.discarded && unit.ops.length > 0) {
        // The unit runs alone (the front's lock), so what is read here is what the batch replaces.
        const before = this.itemChangeListeners.length > 0 ? await this.itemsBefore(unit.ops) : undefined;
        const changes = before ? this.changesOf(unit.ops, before) : [];
        const journals = changes.length > 0 ? this.itemChangeListeners.map((listener) => listener(changes)) : [];
        await this.writeBatch(journals.length > 0 ? [...unit.ops, ...journals.flatMap((j) => j.ops)] : unit.ops);
        if (this.itemWriteListeners.length > 0) this.notify(unit.ops);
        for (const journal of journals) journal.committed();
      }
      return result;
    } finally {
      unit.open = false;
    }
  }

  /** Calls `listener` for every item write that reaches the store (all of them: item writes are always atomic units). */
  onItemWrite(listener: ItemWriteListener): void {
    this.itemWriteListeners.push(listener);
  }

  /**
   * Calls `listener` with every atomic unit's writes of items of `tables`,
   * with the items' old and new images (DynamoDB Streams' view), before the
   * unit is written; reading the old image costs one store read per item
   * written to those tables.
   */
  onItemChange(tables: Iterable<string>, listener: ItemChangeListener): void {
    for (const table of tables) this.changeTables.add(table);
    this.itemChangeListeners.push(listener);
  }

  private watchedTable(op: LevelOp): string | undefined {
    const table = ITEM_KEY.exec(op.key)?.[1];
    return table && this.changeTables.has(table) ? table : undefined;
  }

  private itemsBefore(ops: LevelOp[]): Promise<(Payload | undefined)[]> {
    return Promise.all(ops.map((op) => (this.watchedTable(op) ? this.store.db.get(op.key) : undefined)));
  }

  private changesOf(ops: LevelOp[], before: (Payload | undefined)[]): ItemChange[] {
    return ops.flatMap((op, i) => {
      const table = this.watchedTable(op);
      return table ? [{ table, storeKey: op.key, oldItem: before[i], newItem: op.type === 'put' ? (op.value as Payload) : undefined }] : [];
    });
  }

  /**
   * Keys of the store outside dynalite's (which are `<sub-database>~…`):
   * written in batches of their own, read by range. For the stream journal.
   */
  readonly journal = {
    batch: (ops: LevelOp[]): Promise<void> => this.writeBatch(ops),
    range: (range: KeyRange): AsyncIterable<[string, Payload]> => this.store.db.iterator(range),
  };

  private notify(ops: LevelOp[]): void {
    for (const op of ops) {
      const table = ITEM_KEY.exec(op.key)?.[1];
      if (!table) continue;
      const item = op.type === 'put' ? (op.value as Payload) : undefined;
      for (const listener of this.itemWriteListeners) listener(table, op.key, item);
    }
  }

  /** Every item of `table` with its key in the store, read from the store directly (no capacity, no paging). */
  async *items(table: string): AsyncGenerator<[string, Payload]> {
    const prefix = itemPrefix(table);
    yield* this.store.db.iterator({ gte: prefix, lt: `${prefix}\xff` });
  }

  static handles(op: string): boolean {
    return handlers.has(op as (typeof DYNALITE_OPS)[number]);
  }

  /**
   * Validates and runs `op` as dynalite's HTTP handler would; resolves with
   * the answer's body, rejects with a WireError for an answer other than 200.
   * `payload` is not modified.
   */
  call(op: string, payload: Payload): Promise<Payload> {
    const handler = handlers.get(op as (typeof DYNALITE_OPS)[number]);
    if (!handler) return Promise.reject(new WireError(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }));
    const { action, validation } = handler;
    let data: Payload;
    try {
      // checkTypes deletes the unknown members of the object it is given.
      data = validations.checkTypes({ ...payload }, validation.types);
      validations.checkValidations(data, validation.types, validation.custom, this.store);
    } catch (err) {
      return Promise.reject(wireError(err as Error));
    }
    const run = () =>
      new Promise<Payload>((resolve, reject) => {
        action(this.store, data, (err, out) => (err ? reject(wireError(err)) : resolve(out ?? {})));
      });
    return ITEM_WRITES.has(op) ? this.atomically(run) : run();
  }

  /** Waits for the store's pending operations, then closes it. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.store.db.close((err) => (err ? reject(err) : resolve())));
  }
}

export interface KeySchema {
  hash: string;
  range?: string;
}

/** Key schemas from DescribeTable, cached per table name. */
export class SchemaCache {
  private readonly cache = new Map<string, KeySchema>();

  constructor(private readonly core: DynaliteCore) {}

  async get(tableName: unknown): Promise<KeySchema> {
    const name = String(tableName);
    const hit = this.cache.get(name);
    if (hit) return hit;
    const { Table } = await this.core.call('DescribeTable', { TableName: tableName });
    const keys = (Table?.KeySchema ?? []) as { AttributeName: string; KeyType: string }[];
    const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (!hash) throw internalError(`DescribeTable ${name}: no HASH key`);
    const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const schema: KeySchema = range ? { hash, range } : { hash };
    this.cache.set(name, schema);
    return schema;
  }

  clear(): void {
    this.cache.clear();
  }
}

/** The key attributes of `item`, or undefined if one is missing. */
export function keyOf(schema: KeySchema, item: Payload | undefined): Payload | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const hash = item[schema.hash];
  if (hash === undefined) return undefined;
  if (!schema.range) return { [schema.hash]: hash };
  const range = item[schema.range];
  if (range === undefined) return undefined;
  return { [schema.hash]: hash, [schema.range]: range };
}
