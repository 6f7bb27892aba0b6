/**
 * DynamoDB's failure modes at the embedded DynamoDB's front (local/faults.ts),
 * met by the real SDK clients: the production client (lambdas/deps.ts, the
 * SDK's default retries) retries throttling and 500s by itself and surfaces
 * them once its attempts are spent; a TransactionConflict is ours to retry
 * (storage/transact.ts), and so are a batch's unprocessed items
 * (storage/store.ts). Each fault is scripted to strike a given number of times.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createDynamoClient } from '../lambdas/deps';
import { readEach, ref, type Store } from '../lambdas/storage/store';
import { tables } from '../lambdas/storage/tables';
import { transaction } from '../lambdas/storage/transact';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../local/embedded-dynamo';
import { FAULT_KINDS, parseFaults, type FaultKind, type Faults } from '../local/faults';
import { localDynamo } from './support/dynamo';

/** The seeded fault mode, but each kind strikes exactly its next `times` occurrences. */
function scripted(): Faults & { next(kind: FaultKind, times: number): void } {
  const inner = parseFaults('');
  const left = new Map<FaultKind, number>();
  return Object.assign(inner, {
    strikes(kind: FaultKind) {
      const n = left.get(kind) ?? 0;
      if (n === 0) return false;
      left.set(kind, n - 1);
      (inner.struck as Record<FaultKind, number>)[kind]++;
      return true;
    },
    next(kind: FaultKind, times: number) {
      left.set(kind, times);
    },
  });
}

const faults = scripted();
let dynamo: EmbeddedDynamo;
let store: Store;
const config = { connectionsTable: 'Connections', dataTable: 'Data', connectionTtlSeconds: 60, connectionIdleSeconds: 60, connectionRefreshSeconds: 10, tokenTtlSeconds: 60 };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({ tables, sweepIntervalMs: 0, faults });
  store = { db: createDynamoClient({ region: 'local', dynamoEndpoint: dynamo.endpoint }), config };
});
afterAll(() => dynamo.close());
beforeEach(() => FAULT_KINDS.forEach((k) => faults.next(k, 0)));

const struck = (kind: FaultKind) => faults.struck[kind];
const get = async (pk: string, sk = 'x') => (await store.db.send(new GetCommand({ TableName: 'Data', Key: { pk, sk }, ConsistentRead: true }))).Item;

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number } }> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

it('throttling and 500s are retried by the SDK itself: two of them cost nothing but time', async () => {
  for (const kind of ['dynamoThrottle', 'dynamo500'] as const) {
    const before = struck(kind);
    faults.next(kind, 2);
    await store.db.send(new PutCommand({ TableName: 'Data', Item: { pk: `retried-${kind}`, sk: 'x' } }));
    expect(struck(kind) - before).toBe(2);
    expect(await get(`retried-${kind}`)).toEqual({ pk: `retried-${kind}`, sk: 'x' });
  }
});

it('past the SDK’s attempts, throttling and 500s reach the caller as DynamoDB names them, and nothing was written', async () => {
  // The SDK's own setting for DynamoDB (4 in its current retry defaults), not ours.
  const attempts = await store.db.config.maxAttempts();
  expect(attempts).toBeGreaterThan(1);
  faults.next('dynamoThrottle', attempts);
  const throttled = await rejection(store.db.send(new PutCommand({ TableName: 'Data', Item: { pk: 'throttled', sk: 'x' } })));
  expect(['ProvisionedThroughputExceededException', 'ThrottlingException']).toContain(throttled.name);
  expect(throttled.$metadata?.attempts).toBe(attempts);
  faults.next('dynamo500', attempts);
  const failed = await rejection(store.db.send(new PutCommand({ TableName: 'Data', Item: { pk: 'failed', sk: 'x' } })));
  expect(failed.name).toBe('InternalServerError');
  expect(failed.$metadata).toMatchObject({ attempts, httpStatusCode: 500 });
  expect(await get('throttled')).toBeUndefined();
  expect(await get('failed')).toBeUndefined();
});

it('a transaction conflict cancels with TransactionConflict for one item and None for the rest; the SDK does not retry it', async () => {
  const { doc } = localDynamo(dynamo.endpoint);
  faults.next('txConflict', 1);
  const error = await rejection(
    doc.send(new TransactWriteCommand({ TransactItems: ['a', 'b', 'c'].map((pk) => ({ Put: { TableName: 'Data', Item: { pk: `tx-${pk}`, sk: 'x' } } })) })),
  );
  expect(error).toBeInstanceOf(TransactionCanceledException);
  const codes = (error as TransactionCanceledException).CancellationReasons!.map((r) => r.Code);
  expect(codes).toHaveLength(3);
  expect(codes.filter((c) => c === 'TransactionConflict')).toHaveLength(1);
  expect(codes.filter((c) => c === 'None')).toHaveLength(2);
  for (const pk of ['a', 'b', 'c']) expect(await get(`tx-${pk}`)).toBeUndefined();
});

it('our transactions retry conflicts (storage/transact.ts) and commit once', async () => {
  faults.next('txConflict', 3);
  const tx = transaction(store);
  tx.put('one', { pk: 'conflicted', sk: 'x', n: 1 });
  tx.put('two', { pk: 'conflicted', sk: 'y', n: 2 });
  await tx.commitRetryingConflicts(store);
  expect(struck('txConflict')).toBeGreaterThanOrEqual(3);
  expect(await get('conflicted')).toMatchObject({ n: 1 });
  expect(await get('conflicted', 'y')).toMatchObject({ n: 2 });
});

it('a batch answered in part returns the rest as UnprocessedKeys, and our reads fetch them again', async () => {
  for (const pk of ['u1', 'u2', 'u3', 'u4', 'u5']) await store.db.send(new PutCommand({ TableName: 'Data', Item: { pk, sk: 'x', v: pk } }));
  const keys = ['u1', 'u2', 'u3', 'u4', 'u5'].map((pk) => ({ pk, sk: 'x' }));
  faults.next('unprocessed', 1);
  const part = await store.db.send(new BatchGetCommand({ RequestItems: { Data: { Keys: keys, ConsistentRead: true } } }));
  expect(part.Responses?.Data).toHaveLength(3);
  expect(part.UnprocessedKeys?.Data?.Keys).toHaveLength(2);
  expect(part.UnprocessedKeys?.Data?.ConsistentRead).toBe(true);

  faults.next('unprocessed', 2);
  const read = await readEach(store, ['u1', 'u2', 'u3', 'u4', 'u5'], (pk) => ({ item: ref({ pk, sk: 'x' }, (i) => i?.v as string | undefined) }));
  expect([...read.values()].map((r) => r.item)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
});
