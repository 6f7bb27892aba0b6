/**
 * dynalite's request handling, called in-process: its validations and action
 * modules run directly on its LevelDB store, with no HTTP between the front
 * server and dynalite. Items go in and out in wire form (no marshalling), so
 * numbers, binaries and sets are restored byte for byte.
 */
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

/** The parts of dynalite's store (db/index.js `create`) used here. */
interface DynaliteStore {
  db: { close(cb: (err?: Error) => void): void };
}

export interface DynaliteCoreOptions {
  /** LevelDB directory; absent = in memory. */
  path?: string;
}

const dynaliteRequire = createRequire(createRequire(import.meta.url).resolve('dynalite'));
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

  constructor(options: DynaliteCoreOptions = {}) {
    this.store = db.create({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
    return new Promise((resolve, reject) => {
      action(this.store, data, (err, out) => (err ? reject(wireError(err)) : resolve(out ?? {})));
    });
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
