/**
 * DynamoDB Streams of the embedded DynamoDB (local/dynamo/streams.ts): the
 * records AWS documents for NEW_AND_OLD_IMAGES, per-item order, the TTL
 * service's identity on sweeper deletions, partial batch responses, retries,
 * bisection and the dead-letter list. Emulated: dynalite has no streams.
 */
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { tables } from '../lambdas/storage/tables';
import type { BatchResponse, StreamEvent, StreamRecord } from '../lambdas/streams/records';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../local/embedded-dynamo';
import type { LocalStreamConsumer } from '../local/dynamo/streams';
import { localDynamo } from './support/dynamo';

let db: EmbeddedDynamo | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

async function start(consumer: Partial<LocalStreamConsumer> & Pick<LocalStreamConsumer, 'handler'>) {
  db = await startEmbeddedDynamo({ tables, sweepIntervalMs: 0, streams: { retryDelayMs: 1 } });
  db.streams.subscribe({ name: 'test', table: 'Connections', eventNames: ['INSERT', 'MODIFY', 'REMOVE'], batchSize: 100, maxRetries: 3, bisectOnError: false, ...consumer });
  return { db, doc: localDynamo(db.endpoint).doc };
}

const put = (connectionId: string, extra: Record<string, unknown> = {}) =>
  new PutCommand({ TableName: 'Connections', Item: { connectionId, connectedAt: 1, expiresAt: 4_000_000_000, ...extra } });

/** Holds the consumer on the warm-up record until `open()`, so the records written meanwhile arrive as one batch. */
function gated() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    open,
    async holds(e: StreamEvent): Promise<boolean> {
      if (e.Records[0]?.dynamodb.Keys.connectionId?.S !== 'warm-up') return false;
      await opened;
      return e.Records.length === 1;
    },
  };
}

describe('local DynamoDB Streams', () => {
  it('emits INSERT / MODIFY / REMOVE with both images, in order, for the streamed table only', async () => {
    const seen: StreamRecord[] = [];
    const { db, doc } = await start({ handler: async (e) => void seen.push(...e.Records) });
    await doc.send(put('a'));
    await doc.send(new UpdateCommand({ TableName: 'Connections', Key: { connectionId: 'a' }, UpdateExpression: 'SET userId = :u', ExpressionAttributeValues: { ':u': 7 } }));
    await doc.send(new UpdateCommand({ TableName: 'Connections', Key: { connectionId: 'a' }, UpdateExpression: 'SET userId = :u', ExpressionAttributeValues: { ':u': 7 } }));
    await doc.send(new PutCommand({ TableName: 'Data', Item: { pk: 'x', sk: 'y' } }));
    await doc.send(new TransactWriteCommand({ TransactItems: [{ Delete: { TableName: 'Connections', Key: { connectionId: 'a' } } }, { Put: { TableName: 'Connections', Item: { connectionId: 'b' } } }] }));
    await db.streams.idle();
    // Per item in order (AWS orders no two items of one transaction).
    const ofItem = (id: string) => seen.filter((r) => r.dynamodb.Keys.connectionId?.S === id);
    expect(ofItem('a').map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(ofItem('b').map((r) => r.eventName)).toEqual(['INSERT']);
    expect(seen).toHaveLength(4);
    const [insert, modify, remove] = ofItem('a');
    expect(insert!.dynamodb.OldImage).toBeUndefined();
    expect(insert!.dynamodb.NewImage).toMatchObject({ connectionId: { S: 'a' }, expiresAt: { N: '4000000000' } });
    expect(modify!.dynamodb.OldImage!.userId).toBeUndefined();
    expect(modify!.dynamodb.NewImage!.userId).toEqual({ N: '7' });
    expect(remove!.dynamodb.OldImage!.userId).toEqual({ N: '7' });
    expect(remove!.dynamodb.NewImage).toBeUndefined();
    expect(remove!.userIdentity).toBeUndefined();
    const sequence = seen.map((r) => r.dynamodb.SequenceNumber);
    expect([...sequence].sort()).toEqual(sequence);
    expect(new Set(sequence).size).toBe(4);
  });

  it('marks the TTL sweeper\'s deletions as the service\'s, and filters by event name', async () => {
    const seen: StreamRecord[] = [];
    const { db, doc } = await start({ eventNames: ['REMOVE'], handler: async (e) => void seen.push(...e.Records) });
    await doc.send(put('old', { expiresAt: Math.floor(Date.now() / 1000) - 10 }));
    await doc.send(put('gone'));
    await doc.send(new DeleteCommand({ TableName: 'Connections', Key: { connectionId: 'gone' } }));
    expect(await db.sweepExpired()).toBe(1);
    await db.streams.idle();
    expect(seen.map((r) => [r.eventName, r.dynamodb.Keys.connectionId?.S, r.userIdentity])).toEqual([
      ['REMOVE', 'gone', undefined],
      ['REMOVE', 'old', { type: 'Service', principalId: 'dynamodb.amazonaws.com' }],
    ]);
  });

  it('retries from the first failed record of a partial batch response; at least once', async () => {
    const deliveries: string[][] = [];
    let failOnce = true;
    const gate = gated();
    const { db, doc } = await start({
      handler: async (e: StreamEvent): Promise<BatchResponse> => {
        if (await gate.holds(e)) return { batchItemFailures: [] };
        deliveries.push(e.Records.map((r) => r.dynamodb.Keys.connectionId!.S!));
        const b = e.Records.find((r) => r.dynamodb.Keys.connectionId!.S === 'b');
        if (b && failOnce) {
          failOnce = false;
          return { batchItemFailures: [{ itemIdentifier: b.dynamodb.SequenceNumber }] };
        }
        return { batchItemFailures: [] };
      },
    });
    await doc.send(put('warm-up'));
    await Promise.all(['a', 'b', 'c'].map((id) => doc.send(put(id))));
    gate.open();
    await db.streams.idle();
    expect(deliveries[0]).toHaveLength(3);
    const flat = deliveries.flat();
    expect(flat.filter((id) => id === 'b')).toHaveLength(2);
    expect(flat.filter((id) => id === 'a').length).toBeGreaterThanOrEqual(1);
    expect(deliveries.at(-1)).toContain('c');
    expect(db.streams.deadLetters).toEqual([]);
  });

  it('bisects a throwing batch down to the poison record, retries it, then dead-letters it alone', async () => {
    const handled = new Set<string>();
    const sizes: number[] = [];
    const gate = gated();
    const { db, doc } = await start({
      bisectOnError: true,
      maxRetries: 4,
      handler: async (e) => {
        if (await gate.holds(e)) return;
        sizes.push(e.Records.length);
        if (e.Records.some((r) => r.dynamodb.Keys.connectionId!.S === 'poison')) throw new Error('poison');
        for (const r of e.Records) handled.add(r.dynamodb.Keys.connectionId!.S!);
      },
    });
    const ids = ['a', 'b', 'c', 'poison', 'd', 'e', 'f', 'g'];
    await doc.send(put('warm-up'));
    await Promise.all(ids.map((id) => doc.send(put(id))));
    gate.open();
    await db.streams.idle();
    expect([...handled].sort()).toEqual(ids.filter((id) => id !== 'poison').sort());
    expect(db.streams.deadLetters).toHaveLength(1);
    expect(db.streams.deadLetters[0]).toMatchObject({ consumer: 'test', batchSize: 1, reason: 'Error: poison' });
    expect(sizes[0]).toBe(8);
    expect(sizes).toContain(1);
  });
});
