import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamo, type EmbeddedDynamo, type EmbeddedDynamoOptions } from '../local/embedded-dynamo';
import { tables } from '../lambdas/storage/tables';
import { localDynamo } from './support/dynamo';

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('embedded dynamo', () => {
  let db: EmbeddedDynamo;
  let raw: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  const get = async (pk: string, sk: string) => (await doc.send(new GetCommand({ TableName: 'Data', Key: { pk, sk } }))).Item;

  beforeAll(async () => {
    db = await startEmbeddedDynamo({ tables, sweepIntervalMs: 0 });
    ({ raw, doc } = localDynamo(db.endpoint));
  });

  afterAll(async () => {
    raw?.destroy();
    await db?.close();
  });

  it('creates the tables with their GSIs and TTL', async () => {
    const { TableNames } = await raw.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(tables.map((t) => t.name).sort());
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: 'Data' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType])).toEqual([['gsi1', 'ALL']]);
    const ttl = await raw.send(new DescribeTimeToLiveCommand({ TableName: 'Connections' }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const updated = await raw.send(
      new UpdateTimeToLiveCommand({ TableName: 'Connections', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }),
    );
    expect(updated.TimeToLiveSpecification).toEqual({ Enabled: true, AttributeName: 'expiresAt' });
  });

  it('puts, gets and queries through the GSI', async () => {
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'u#1', sk: 'profile', gsi1pk: 'name#ann', gsi1sk: 'u#1', n: 1 } }));
    await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: 'c1', userId: 7 } }));
    expect(await get('u#1', 'profile')).toMatchObject({ n: 1 });
    const q = await doc.send(
      new QueryCommand({
        TableName: 'Data',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'name#ann' },
      }),
    );
    expect(q.Items?.map((i) => i.pk)).toEqual(['u#1']);
    const byUser = await doc.send(
      new QueryCommand({
        TableName: 'Connections',
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': 7 },
      }),
    );
    expect(byUser.Items?.map((i) => i.connectionId)).toEqual(['c1']);
    // Plain conditional writes still fail the DynamoDB way through the front server.
    const err = await rejection(
      doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'u#1', sk: 'profile' }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    expect(err.name).toBe('ConditionalCheckFailedException');
  });

  it("answers malformed requests and invalid input as dynalite's HTTP handler does", async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(db.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', ...headers }, body });
    const signed = {
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20000101T000000Z',
    };
    const health = await fetch(db.endpoint);
    expect([health.status, await health.text()]).toEqual([200, 'healthy: dynamodb.us-east-1.amazonaws.com ']);
    const unsigned = await post({ 'x-amz-target': 'DynamoDB_20120810.GetItem' }, '{}');
    expect([unsigned.status, (await unsigned.json()).__type]).toEqual([400, 'com.amazon.coral.service#MissingAuthenticationTokenException']);
    const unknown = await post({ ...signed, 'x-amz-target': 'DynamoDB_20120810.Explode' }, '{}');
    expect((await unknown.json()).__type).toBe('com.amazon.coral.service#UnknownOperationException');
    const inherited = await post({ ...signed, 'x-amz-target': 'DynamoDB_20120810.constructor' }, '{}');
    expect((await inherited.json()).__type).toBe('com.amazon.coral.service#UnknownOperationException');
    const garbled = await post({ ...signed, 'x-amz-target': 'DynamoDB_20120810.GetItem' }, '{"TableName":');
    expect((await garbled.json()).__type).toBe('com.amazon.coral.service#SerializationException');
    // dynalite's own validations and its action's checks, through the SDK.
    const noKey = await rejection(raw.send(new GetItemCommand({ TableName: 'Data', Key: undefined as never })));
    expect([noKey.name, noKey.message]).toEqual(['ValidationException', "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null"]);
    const wrongKey = await rejection(doc.send(new GetCommand({ TableName: 'Data', Key: { pk: 'u#1' } })));
    expect([wrongKey.name, wrongKey.message]).toEqual(['ValidationException', 'The provided key element does not match the schema']);
    const noTable = await rejection(doc.send(new GetCommand({ TableName: 'Nope', Key: { pk: 'x', sk: 'y' } })));
    expect(noTable.name).toBe('ResourceNotFoundException');
  });

  it('applies a transaction whose conditions all hold', async () => {
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ok', sk: 'upd', n: 1 } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ok', sk: 'del' } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ok', sk: 'check', open: true } }));
    const out = await doc.send(
      new TransactWriteCommand({
        ReturnConsumedCapacity: 'TOTAL',
        TransactItems: [
          { Put: { TableName: 'Data', Item: { pk: 'tx-ok', sk: 'new', gsi1pk: 'tx-ok', gsi1sk: '1' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Update: { TableName: 'Data', Key: { pk: 'tx-ok', sk: 'upd' }, UpdateExpression: 'SET n = n + :one', ConditionExpression: 'n = :one', ExpressionAttributeValues: { ':one': 1 } } },
          { Delete: { TableName: 'Data', Key: { pk: 'tx-ok', sk: 'del' }, ConditionExpression: 'attribute_exists(pk)' } },
          { ConditionCheck: { TableName: 'Data', Key: { pk: 'tx-ok', sk: 'check' }, ConditionExpression: '#o = :t', ExpressionAttributeNames: { '#o': 'open' }, ExpressionAttributeValues: { ':t': true } } },
        ],
      }),
    );
    expect(out.ConsumedCapacity).toEqual([{ TableName: 'Data', CapacityUnits: 8, WriteCapacityUnits: 8 }]);
    expect(await get('tx-ok', 'new')).toBeDefined();
    expect(await get('tx-ok', 'upd')).toMatchObject({ n: 2 });
    expect(await get('tx-ok', 'del')).toBeUndefined();
    expect(await get('tx-ok', 'check')).toEqual({ pk: 'tx-ok', sk: 'check', open: true });
  });

  it('writes nothing when one condition fails, and reports why like DynamoDB', async () => {
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ko', sk: 'upd', n: 1, gsi1pk: 'tx-ko', gsi1sk: 'upd' } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ko', sk: 'del', v: 'keep' } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ko', sk: 'check', open: false } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tx-ko', sk: 'over', v: 'old' } }));
    const err = await rejection(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'Data', Item: { pk: 'tx-ko', sk: 'new', gsi1pk: 'tx-ko', gsi1sk: 'new' } } },
            { Put: { TableName: 'Data', Item: { pk: 'tx-ko', sk: 'over', v: 'new' } } },
            { Update: { TableName: 'Data', Key: { pk: 'tx-ko', sk: 'upd' }, UpdateExpression: 'SET n = n + :one REMOVE gsi1pk', ExpressionAttributeValues: { ':one': 1 } } },
            { Delete: { TableName: 'Data', Key: { pk: 'tx-ko', sk: 'del' } } },
            { ConditionCheck: { TableName: 'Data', Key: { pk: 'tx-ko', sk: 'check' }, ConditionExpression: '#o = :t', ExpressionAttributeNames: { '#o': 'open' }, ExpressionAttributeValues: { ':t': true }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          ],
        }),
      ),
    );
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.name).toBe('TransactionCanceledException');
    expect(err.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, None, None, ConditionalCheckFailed]',
    );
    expect((err as unknown as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'None' },
      { Code: 'None' },
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: { S: 'tx-ko' }, sk: { S: 'check' }, open: { BOOL: false } } },
    ]);
    expect(await get('tx-ko', 'new')).toBeUndefined();
    expect(await get('tx-ko', 'over')).toEqual({ pk: 'tx-ko', sk: 'over', v: 'old' });
    expect(await get('tx-ko', 'upd')).toEqual({ pk: 'tx-ko', sk: 'upd', n: 1, gsi1pk: 'tx-ko', gsi1sk: 'upd' });
    expect(await get('tx-ko', 'del')).toEqual({ pk: 'tx-ko', sk: 'del', v: 'keep' });
    expect(await get('tx-ko', 'check')).toEqual({ pk: 'tx-ko', sk: 'check', open: false });
    const q = await doc.send(
      new QueryCommand({ TableName: 'Data', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'tx-ko' } }),
    );
    expect(q.Items?.map((i) => i.sk)).toEqual(['upd']);
  });

  it('reports every failed condition, not just the first', async () => {
    const err = await rejection(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: 'Data', Key: { pk: 'nobody', sk: '1' }, ConditionExpression: 'attribute_exists(pk)' } },
            { Put: { TableName: 'Data', Item: { pk: 'nobody', sk: '2' } } },
            { Update: { TableName: 'Data', Key: { pk: 'nobody', sk: '3' }, UpdateExpression: 'SET n = :one', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':one': 1 } } },
          ],
        }),
      ),
    );
    expect((err as unknown as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'ConditionalCheckFailed',
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(await get('nobody', '2')).toBeUndefined();
    expect(await get('nobody', '3')).toBeUndefined();
  });

  it('rejects two actions on one item and more than 100 actions', async () => {
    const twice = await rejection(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'Data', Item: { pk: 'dup', sk: '1' } } },
            { Delete: { TableName: 'Data', Key: { pk: 'dup', sk: '1' } } },
          ],
        }),
      ),
    );
    expect(twice.name).toBe('ValidationException');
    expect(twice.message).toBe('Transaction request cannot include multiple operations on one item');
    expect(await get('dup', '1')).toBeUndefined();

    const tooMany = await rejection(
      doc.send(
        new TransactWriteCommand({
          TransactItems: Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: 'Data', Item: { pk: 'many', sk: String(i) } } })),
        }),
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
    expect(await get('many', '0')).toBeUndefined();

    const missingTable = await rejection(
      doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'Nope', Item: { pk: 'x', sk: 'y' } } }] })),
    );
    expect(missingTable.name).toBe('ResourceNotFoundException');
  });

  it('reads with TransactGetItems, in order', async () => {
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'tg', sk: '1', v: 1 } }));
    await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: 'tg', userId: 3 } }));
    const out = await doc.send(
      new TransactGetCommand({
        ReturnConsumedCapacity: 'TOTAL',
        TransactItems: [
          { Get: { TableName: 'Connections', Key: { connectionId: 'tg' } } },
          { Get: { TableName: 'Data', Key: { pk: 'tg', sk: 'missing' } } },
          { Get: { TableName: 'Data', Key: { pk: 'tg', sk: '1' }, ProjectionExpression: 'v' } },
        ],
      }),
    );
    expect(out.Responses).toEqual([{ Item: { connectionId: 'tg', userId: 3 } }, {}, { Item: { v: 1 } }]);
    expect(out.ConsumedCapacity).toEqual([
      { TableName: 'Connections', CapacityUnits: 2, ReadCapacityUnits: 2 },
      { TableName: 'Data', CapacityUnits: 4, ReadCapacityUnits: 4 },
    ]);
  });

  it('isolates transactions from concurrent writers and readers', async () => {
    const key = (id: string) => ({ pk: 'acct', sk: id });
    await doc.send(new PutCommand({ TableName: 'Data', Item: { ...key('x'), balance: 3, hits: 0 } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { ...key('y'), balance: 2, hits: 0 } }));
    const move = (from: string, to: string) =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: 'Data', Key: key(from), UpdateExpression: 'SET balance = balance - :one', ConditionExpression: 'balance >= :one', ExpressionAttributeValues: { ':one': 1 } } },
            { Update: { TableName: 'Data', Key: key(to), UpdateExpression: 'SET balance = balance + :one', ExpressionAttributeValues: { ':one': 1 } } },
          ],
        }),
      );
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, (_, i) => (i % 5 < 3 ? move('x', 'y') : move('y', 'x'))),
      // Plain writes to the same items: a rolled-back transaction must not undo them.
      ...Array.from({ length: 40 }, (_, i) =>
        doc.send(new UpdateCommand({ TableName: 'Data', Key: key(i % 2 ? 'x' : 'y'), UpdateExpression: 'ADD hits :one', ExpressionAttributeValues: { ':one': 1 } })),
      ),
      // Readers: a transactional read never sees half a transfer.
      ...Array.from({ length: 20 }, async () => {
        const r = await doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'Data', Key: key('x') } }, { Get: { TableName: 'Data', Key: key('y') } }] }));
        const [x, y] = (r.Responses ?? []).map((res) => Number(res.Item?.balance));
        expect(x! + y!).toBe(5);
        expect(Math.min(x!, y!)).toBeGreaterThanOrEqual(0);
      }),
    ]);
    const unexpected = results.filter(
      (r) => r.status === 'rejected' && !(r.reason instanceof TransactionCanceledException),
    );
    expect(unexpected).toEqual([]);
    const cancelled = results.filter((r) => r.status === 'rejected').length;
    expect(cancelled).toBeGreaterThan(0); // the balances are small: some transfers must fail their condition
    const x = await get('acct', 'x');
    const y = await get('acct', 'y');
    expect(Number(x?.balance) + Number(y?.balance)).toBe(5);
    expect(x?.balance).toBeGreaterThanOrEqual(0);
    expect(y?.balance).toBeGreaterThanOrEqual(0);
    expect(x?.hits).toBe(20);
    expect(y?.hits).toBe(20);
  });
});

/** Runs `body` against a fresh embedded DynamoDB (sweeper off unless `options` say otherwise) and its clients; closes both afterwards. */
async function withStore<T>(
  options: Partial<EmbeddedDynamoOptions>,
  body: (store: { db: EmbeddedDynamo } & ReturnType<typeof localDynamo>) => Promise<T>,
): Promise<T> {
  const db = await startEmbeddedDynamo({ tables, sweepIntervalMs: 0, ...options });
  const c = localDynamo(db.endpoint);
  try {
    return await body({ db, ...c });
  } finally {
    c.raw.destroy();
    await db.close();
  }
}

/** Runs `body` with a fresh temporary data directory, removed afterwards. */
async function withDataDir(prefix: string, body: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
  try {
    await body(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('embedded dynamo TTL sweeper', () => {
  it('deletes expired items only, and sweeps on a timer', async () => {
    await withStore({}, async ({ db, doc }) => {
      const now = nowSeconds();
      const put = (sk: string, extra: Record<string, unknown>) =>
        doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'ttl', sk, ...extra } }));
      await put('expired', { expiresAt: now - 10 });
      await put('fresh', { expiresAt: now + 3600 });
      await put('refreshed', { expiresAt: now - 10 });
      await put('forever', {});
      await put('not-a-number', { expiresAt: String(now - 10) });
      await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: 'gone', expiresAt: now - 1 } }));
      await doc.send(
        new UpdateCommand({ TableName: 'Data', Key: { pk: 'ttl', sk: 'refreshed' }, UpdateExpression: 'SET expiresAt = :t', ExpressionAttributeValues: { ':t': now + 3600 } }),
      );

      expect(await db.sweepExpired()).toBe(2);
      const left = await doc.send(new QueryCommand({ TableName: 'Data', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'ttl' } }));
      expect(left.Items?.map((i) => i.sk).sort()).toEqual(['forever', 'fresh', 'not-a-number', 'refreshed']);
      expect((await doc.send(new GetCommand({ TableName: 'Connections', Key: { connectionId: 'gone' } }))).Item).toBeUndefined();
      expect(await db.sweepExpired()).toBe(0);
    });

    await withStore({ sweepIntervalMs: 20 }, async ({ doc }) => {
      await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: 'old', expiresAt: nowSeconds() - 5 } }));
      const deadline = Date.now() + 3000;
      let item: unknown = {};
      while (item && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        item = (await doc.send(new GetCommand({ TableName: 'Connections', Key: { connectionId: 'old' } }))).Item;
      }
      expect(item).toBeUndefined();
    });
  });
});

describe('embedded dynamo TTL index', () => {
  it('finds what every kind of write made expire, follows UpdateTimeToLive, and reads the items on disk at a restart', () =>
    withDataDir('embedded-dynamo-ttl-', async (dataDir) => {
      const past = nowSeconds() - 10;
      const left = async (doc: DynamoDBDocumentClient) =>
        (await doc.send(new QueryCommand({ TableName: 'Data', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'ttl' } }))).Items?.map((i) => i.sk).sort();
      await withStore({ dataDir }, async ({ db, raw, doc }) => {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: 'Data', Item: { pk: 'ttl', sk: 'by-transaction', expiresAt: past } } },
              { Put: { TableName: 'Data', Item: { pk: 'ttl', sk: 'deleted-first', expiresAt: past } } },
            ],
          }),
        );
        await doc.send(new BatchWriteCommand({ RequestItems: { Data: [{ PutRequest: { Item: { pk: 'ttl', sk: 'by-batch', expiresAt: past } } }] } }));
        await doc.send(new UpdateCommand({ TableName: 'Data', Key: { pk: 'ttl', sk: 'by-update' }, UpdateExpression: 'SET expiresAt = :t', ExpressionAttributeValues: { ':t': past } }));
        await doc.send(new DeleteCommand({ TableName: 'Data', Key: { pk: 'ttl', sk: 'deleted-first' } }));
        // A cancelled transaction leaves nothing to sweep.
        await rejection(
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName: 'Data', Item: { pk: 'ttl', sk: 'cancelled', expiresAt: past } } },
                { ConditionCheck: { TableName: 'Data', Key: { pk: 'ttl', sk: 'nothing' }, ConditionExpression: 'attribute_exists(pk)' } },
              ],
            }),
          ),
        );
        await raw.send(new UpdateTimeToLiveCommand({ TableName: 'Data', TimeToLiveSpecification: { Enabled: false, AttributeName: 'expiresAt' } }));
        expect(await db.sweepExpired()).toBe(0);
      });

      // TTL is on again after the restart (the tables' definition): the expired items on disk are found.
      await withStore({ dataDir }, async ({ db, raw, doc }) => {
        expect(await left(doc)).toEqual(['by-batch', 'by-transaction', 'by-update']);
        expect(await db.sweepExpired()).toBe(3);
        expect(await left(doc)).toEqual([]);
        await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'ttl', sk: 'other-attribute', gone: past } }));
        await raw.send(new UpdateTimeToLiveCommand({ TableName: 'Data', TimeToLiveSpecification: { Enabled: true, AttributeName: 'gone' } }));
        expect(await db.sweepExpired()).toBe(1);
      });
    }));
});

describe('embedded dynamo on disk', () => {
  it('keeps the data across close and restart', () =>
    withDataDir('embedded-dynamo-', async (dataDir) => {
      await withStore({ dataDir }, async ({ doc }) => {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: 'Data', Item: { pk: 'disk', sk: '1', gsi1pk: 'disk', gsi1sk: '1' } } },
              { Put: { TableName: 'Connections', Item: { connectionId: 'disk', userId: 9 } } },
            ],
          }),
        );
      });

      await withStore({ dataDir }, async ({ doc }) => {
        expect((await doc.send(new GetCommand({ TableName: 'Data', Key: { pk: 'disk', sk: '1' } }))).Item).toBeDefined();
        const q = await doc.send(
          new QueryCommand({ TableName: 'Connections', IndexName: 'byUser', KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': 9 } }),
        );
        expect(q.Items?.map((i) => i.connectionId)).toEqual(['disk']);
      });
    }));
});
