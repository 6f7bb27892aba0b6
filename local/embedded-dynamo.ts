/**
 * An embedded DynamoDB for the local stack: dynalite's request handling
 * in-process (its validations and actions on its LevelDB store), behind a
 * front server that adds what dynalite 4 lacks — TransactWriteItems,
 * TransactGetItems, UpdateTimeToLive/DescribeTimeToLive and a TTL sweeper —
 * with DynamoDB's semantics. One HTTP hop: the SDK to the front. Isolation
 * comes from a readers/writer lock in the front server: single-item writes
 * and write transactions run alone, reads run together. Each write, and
 * each write transaction, reaches LevelDB as one batch (atomic across a kill
 * -9, see local/dynamo/dynalite-core.ts). See local/dynamo/ for the pieces.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { KeyAttribute, TableDefinition } from '../lambdas/storage/tables';
import { DynaliteCore, SchemaCache } from './dynamo/dynalite-core';
import { dynamoFault, type Faults } from './faults';
import { readEnvelope } from './dynamo/envelope';
import { ExpiryIndex } from './dynamo/expiry-index';
import { RwLock } from './dynamo/rwlock';
import { LocalStreams, type LocalStreamsOptions } from './dynamo/streams';
import type { LatencyModel } from './latency-model';
import { transactGetItems, transactWriteItems } from './dynamo/transactions';
import { describeTimeToLive, indexExpiries, sweepExpired, updateTimeToLive, type TtlContext } from './dynamo/ttl';
import { WireError, sendError, sendJson, type Payload } from './dynamo/wire';

export interface EmbeddedDynamo {
  /** URL of the DynamoDB-compatible endpoint, e.g. http://127.0.0.1:8000 */
  endpoint: string;
  close(): Promise<void>;
  /** Deletes the expired items of every table with TTL enabled now; resolves with how many. */
  sweepExpired(): Promise<number>;
  /** DynamoDB Streams of the tables that declare one: consumers subscribe here. */
  streams: LocalStreams;
}

export interface EmbeddedDynamoOptions {
  /** Keep the data in <dataDir>/dynamo (LevelDB); absent = in memory. */
  dataDir?: string;
  /** Port of the endpoint on 127.0.0.1; 0 (default) = random. */
  port?: number;
  /** Period of the TTL sweeper; default 5000, 0 = off. */
  sweepIntervalMs?: number;
  tables: TableDefinition[];
  streams?: LocalStreamsOptions;
  /** The AWS latency model (local/latency-model.ts): each request waits its operation's delay. */
  latency?: LatencyModel;
  /** The fault mode (local/faults.ts): throttling, 500s, transaction conflicts, unprocessed batch items. */
  faults?: Faults;
}

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** Run by dynalite while holding the lock exclusively. */
const EXCLUSIVE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'CreateTable', 'DeleteTable', 'UpdateTable']);
/** Run by dynalite while holding the lock shared. */
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
      Projection: { ProjectionType: i.projection ?? 'ALL' },
    }));
  }
  input.AttributeDefinitions = [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  return input;
}

async function ensureTables(core: DynaliteCore, tables: TableDefinition[]): Promise<void> {
  const describe = async (name: string): Promise<Payload | undefined> => {
    try {
      return (await core.call('DescribeTable', { TableName: name })).Table as Payload;
    } catch (err) {
      if (err instanceof WireError && err.is('ResourceNotFoundException')) return undefined;
      throw err;
    }
  };
  for (const t of tables) {
    if (await describe(t.name)) continue;
    try {
      await core.call('CreateTable', createTableInput(t));
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
  const core = new DynaliteCore({ path: dbPath });
  const schemas = new SchemaCache(core);
  const lock = new RwLock();
  let closed = false;
  const ttl: TtlContext = {
    core,
    schemas,
    lock,
    settings: new Map(opts.tables.filter((t) => t.ttlAttribute).map((t) => [t.name, t.ttlAttribute])),
    expiring: new ExpiryIndex(),
    isClosed: () => closed,
  };
  core.onItemWrite((table, storeKey, item) => ttl.expiring.write(table, storeKey, item));
  // On disk, the stream records are journalled with the writes (local/dynamo/streams.ts).
  const streams = new LocalStreams(opts.tables, opts.streams, dbPath ? core.journal : undefined);
  core.onItemChange(
    opts.tables.filter((t) => t.stream).map((t) => t.name),
    (changes) => streams.prepare(changes),
  );
  const ctx = { core, schemas };
  const ownOps = new Map<string, (input: Payload) => Promise<Payload>>([
    ['TransactWriteItems', (input) => lock.run(true, () => transactWriteItems(ctx, input))],
    ['TransactGetItems', (input) => lock.run(false, () => transactGetItems(ctx, input))],
    ['UpdateTimeToLive', (input) => updateTimeToLive(ttl, input)],
    ['DescribeTimeToLive', (input) => describeTimeToLive(ttl, input)],
  ]);

  async function dynaliteOp(op: string, input: Payload): Promise<Payload> {
    const locked = EXCLUSIVE_OPS.has(op) || SHARED_OPS.has(op);
    const release = locked ? await lock.acquire(EXCLUSIVE_OPS.has(op)) : () => {};
    try {
      return await core.call(op, input);
    } finally {
      if (SCHEMA_OPS.has(op)) schemas.clear();
      release();
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (!body) {
      res.statusCode = 413;
      res.end();
      return;
    }
    const request = readEnvelope(req, body, res, (op) => ownOps.has(op) || DynaliteCore.handles(op));
    if (!request) return;
    const { op, contentType } = request;
    await opts.latency?.waitDynamo(op);
    try {
      const fault = opts.faults ? dynamoFault(opts.faults, op, request.input) : { input: request.input };
      if ('refusal' in fault) throw fault.refusal;
      const output = await (ownOps.get(op)?.(fault.input) ?? dynaliteOp(op, fault.input));
      sendJson(res, 200, fault.complete?.(output) ?? output, contentType);
    } catch (err) {
      sendError(res, err, contentType);
    }
  }

  const front = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  });

  let frontPort: number;
  try {
    await ensureTables(core, opts.tables);
    await streams.open();
    for (const table of ttl.settings.keys()) await indexExpiries(ttl, table);
    frontPort = await listen(front, opts.port ?? 0);
  } catch (err) {
    await core.close().catch(() => {});
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
    streams,
    close() {
      closing ??= (async () => {
        closed = true;
        if (timer) clearInterval(timer);
        const frontClosed = new Promise<void>((resolve) => front.close(() => resolve()));
        front.closeIdleConnections();
        await sweeps;
        await streams.close();
        // Let the operations already admitted finish; whoever queues after us never runs.
        await lock.acquire(true);
        front.closeAllConnections();
        await frontClosed;
        await core.close();
      })();
      return closing;
    },
  };
}
