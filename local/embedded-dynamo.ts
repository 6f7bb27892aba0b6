/**
 * An embedded DynamoDB for the local stack: dynalite in-process, behind a small
 * front server that adds what dynalite 4 lacks — TransactWriteItems,
 * TransactGetItems, UpdateTimeToLive/DescribeTimeToLive and a TTL sweeper —
 * with DynamoDB's semantics. Isolation comes from a readers/writer lock in the
 * front server: single-item writes and write transactions run alone, reads
 * run together. See local/dynamo/ for the pieces.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { KeyAttribute, TableDefinition } from '../lambdas/storage/tables';
import { DynaliteClient, SchemaCache } from './dynamo/internal-client';
import { RwLock } from './dynamo/rwlock';
import { transactGetItems, transactWriteItems } from './dynamo/transactions';
import { describeTimeToLive, sweepExpired, updateTimeToLive, type TtlContext } from './dynamo/ttl';
import { WireError, sendError, sendJson, serializationError, type Payload } from './dynamo/wire';

export interface EmbeddedDynamo {
  /** URL of the DynamoDB-compatible endpoint, e.g. http://127.0.0.1:8000 */
  endpoint: string;
  close(): Promise<void>;
  /** Deletes the expired items of every table with TTL enabled now; resolves with how many. */
  sweepExpired(): Promise<number>;
}

export interface EmbeddedDynamoOptions {
  /** Keep the data in <dataDir>/dynamo (LevelDB); absent = in memory. */
  dataDir?: string;
  /** Port of the endpoint on 127.0.0.1; 0 (default) = random. */
  port?: number;
  /** Period of the TTL sweeper; default 5000, 0 = off. */
  sweepIntervalMs?: number;
  tables: TableDefinition[];
}

interface DynaliteOptions {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: DynaliteOptions) => http.Server;

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const TARGET_PREFIX = 'DynamoDB_20120810.';
/** Forwarded to dynalite while holding the lock exclusively. */
const EXCLUSIVE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'CreateTable', 'DeleteTable', 'UpdateTable']);
/** Forwarded to dynalite while holding the lock shared. */
const SHARED_OPS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);
const SCHEMA_OPS = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function createTableInput(t: TableDefinition): Payload {
  const attributes = new Map<string, string>();
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => {
    for (const k of sk ? [pk, sk] : [pk]) attributes.set(k.name, k.type);
    return [{ AttributeName: pk.name, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : [])];
  };
  const input: Payload = { TableName: t.name, BillingMode: 'PAY_PER_REQUEST', KeySchema: keySchema(t.partitionKey, t.sortKey) };
  if (t.indexes.length > 0) {
    input.GlobalSecondaryIndexes = t.indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: keySchema(i.partitionKey, i.sortKey),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  input.AttributeDefinitions = [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  return input;
}

async function ensureTables(client: DynaliteClient, tables: TableDefinition[]): Promise<void> {
  const describe = async (name: string): Promise<Payload | undefined> => {
    try {
      return (await client.call('DescribeTable', { TableName: name })).Table as Payload;
    } catch (err) {
      if (err instanceof WireError && err.is('ResourceNotFoundException')) return undefined;
      throw err;
    }
  };
  for (const t of tables) {
    if (await describe(t.name)) continue;
    try {
      await client.call('CreateTable', createTableInput(t));
    } catch (err) {
      if (!(err instanceof WireError && err.is('ResourceInUseException'))) throw err;
    }
  }
  const deadline = Date.now() + 10_000;
  for (const t of tables) {
    for (;;) {
      const table = await describe(t.name);
      const indexes = (table?.GlobalSecondaryIndexes ?? []) as Payload[];
      if (table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) break;
      if (Date.now() > deadline) throw new Error(`table ${t.name} did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export async function startEmbeddedDynamo(opts: EmbeddedDynamoOptions): Promise<EmbeddedDynamo> {
  const dbPath = opts.dataDir ? path.join(opts.dataDir, 'dynamo') : undefined;
  if (dbPath) await mkdir(dbPath, { recursive: true });
  const inner = dynalite({ path: dbPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const innerListener = inner.listeners('request')[0] as http.RequestListener;
  const client = new DynaliteClient(await listen(inner, 0));
  const schemas = new SchemaCache(client);
  const lock = new RwLock();
  let closed = false;
  const ttl: TtlContext = {
    client,
    schemas,
    lock,
    settings: new Map(opts.tables.filter((t) => t.ttlAttribute).map((t) => [t.name, t.ttlAttribute])),
    isClosed: () => closed,
  };
  const ctx = { client, schemas };
  const ownOps: Record<string, (input: Payload) => Promise<Payload>> = {
    TransactWriteItems: (input) => lock.run(true, () => transactWriteItems(ctx, input)),
    TransactGetItems: (input) => lock.run(false, () => transactGetItems(ctx, input)),
    UpdateTimeToLive: (input) => updateTimeToLive(ttl, input),
    DescribeTimeToLive: (input) => describeTimeToLive(ttl, input),
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!body) {
      res.statusCode = 413;
      res.end();
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const own = req.method === 'POST' ? ownOps[op] : undefined;
    if (own) {
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        input = undefined;
      }
      if (!input || typeof input !== 'object') return sendError(res, serializationError());
      return sendJson(res, 200, await own(input as Payload));
    }
    // Everything else is dynalite's: hand it the buffered request in-process.
    const locked = EXCLUSIVE_OPS.has(op) || SHARED_OPS.has(op);
    const release = locked ? await lock.acquire(EXCLUSIVE_OPS.has(op)) : () => {};
    res.once('finish', release);
    res.once('close', release);
    if (SCHEMA_OPS.has(op)) res.once('finish', () => schemas.clear());
    const forwarded = Object.assign(Readable.from(body.length ? [body] : []), {
      headers: req.headers,
      method: req.method,
      url: req.url,
    });
    innerListener(forwarded as unknown as http.IncomingMessage, res);
  }

  const front = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  });

  const closeInner = () =>
    new Promise<void>((resolve, reject) => inner.close((err?: Error) => (err ? reject(err) : resolve())));

  let frontPort: number;
  try {
    await ensureTables(client, opts.tables);
    frontPort = await listen(front, opts.port ?? 0);
  } catch (err) {
    client.destroy();
    await closeInner().catch(() => {});
    throw err;
  }

  let sweeps: Promise<unknown> = Promise.resolve();
  let pendingSweeps = 0;
  const sweep = (): Promise<number> => {
    if (closed) return Promise.reject(new Error('EmbeddedDynamo is closed'));
    pendingSweeps++;
    const run = sweeps.then(() => sweepExpired(ttl)).finally(() => pendingSweeps--);
    sweeps = run.catch(() => {});
    return run;
  };
  const intervalMs = opts.sweepIntervalMs ?? 5000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          if (pendingSweeps > 0 || closed) return;
          sweep().catch((err: unknown) => {
            if (!closed) console.warn('[embedded-dynamo] TTL sweep failed:', err);
          });
        }, intervalMs)
      : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${frontPort}`,
    sweepExpired: sweep,
    close() {
      closing ??= (async () => {
        closed = true;
        if (timer) clearInterval(timer);
        const frontClosed = new Promise<void>((resolve) => front.close(() => resolve()));
        front.closeIdleConnections();
        await sweeps;
        // Let the operations already admitted finish; whoever queues after us never runs.
        await lock.acquire(true);
        front.closeAllConnections();
        await frontClosed;
        client.destroy();
        await closeInner();
      })();
      return closing;
    },
  };
}
