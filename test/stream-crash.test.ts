/**
 * The embedded DynamoDB's stream survives a kill -9 (local/dynamo/streams.ts),
 * as DynamoDB Streams keeps records 24 h whatever the consumer does: a child
 * process writes to the Connections table on disk and is killed with SIGKILL
 * mid-stream, its consumer either failing every batch (records pending) or
 * handling them (records done, checkpoints written). After the restart a
 * consumer gets every record not yet done: each acknowledged write's record
 * at least once, the records of one item in order, and the last record of
 * each item matches the item as stored (the record went in the same LevelDB
 * batch as the write). Only the batch in flight at the kill comes twice.
 * Lean here (a few kills).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { tables } from '../lambdas/storage/tables';
import type { StreamEvent, StreamRecord } from '../lambdas/streams/records';
import { startEmbeddedDynamo } from '../local/embedded-dynamo';
import { localDynamo } from './support/dynamo';
import { CRASH_BATCH, CRASH_ITEMS, isDelete, itemOf } from './support/stream-crash-child';
import { runUntilKilled } from './support/crash-child';

const CHILD = fileURLToPath(new URL('./support/stream-crash-child.ts', import.meta.url));

/** Runs the child until `acks` writes were acknowledged (plus a few ms), kills it; returns what it printed. */
async function runAndKill(dataDir: string, mode: 'fail' | 'ok', acks: number): Promise<{ acked: number; delivered: string[] }> {
  let acked = 0;
  const delivered: string[] = [];
  await runUntilKilled(CHILD, [dataDir, mode], ([word, value], kill) => {
    if (word === 'acked') acked = Number(value);
    if (word === 'delivered') delivered.push(value!);
    if (acked >= acks) kill(acks % 7);
  });
  return { acked, delivered };
}

/** Restarts the store in this process with the same consumer, collects what it gets, and checks it against the store. */
async function restartAndCollect(dataDir: string) {
  const db = await startEmbeddedDynamo({ dataDir, tables, sweepIntervalMs: 0, streams: { retryDelayMs: 5 } });
  const { raw, doc } = localDynamo(db.endpoint);
  const got: StreamRecord[] = [];
  try {
    await db.streams.subscribe({
      name: 'crash',
      table: 'Connections',
      eventNames: ['INSERT', 'MODIFY', 'REMOVE'],
      batchSize: CRASH_BATCH,
      maxRetries: 3,
      bisectOnError: false,
      handler: async (event) => void got.push(...event.Records),
    });
    await db.streams.idle();
    const stored = new Map<string, Record<string, unknown> | undefined>();
    for (let i = 0; i < CRASH_ITEMS; i++) {
      const id = itemOf(i);
      stored.set(id, (await doc.send(new GetCommand({ TableName: 'Connections', Key: { connectionId: id }, ConsistentRead: true }))).Item);
    }
    // A write after the restart continues the sequence.
    await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: 'after-restart', connectedAt: Date.now() } }));
    await db.streams.idle();
    const after = got.pop()!;
    expect(after.dynamodb.Keys.connectionId).toEqual({ S: 'after-restart' });
    return { got, stored, after, deadLetters: db.streams.deadLetters };
  } finally {
    raw.destroy();
    await db.close();
  }
}

/** The item a record leaves (its new image; none for a REMOVE). */
const imageOf = (r: StreamRecord) => (r.dynamodb.NewImage ? (unmarshall(r.dynamodb.NewImage) as { connectedAt: number }) : undefined);

let dataDir: string;
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('local DynamoDB Streams across kill -9', () => {
  it('pending records (the consumer failing) are all delivered after the restart, in per-item order, matching the store', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'stream-crash-'));
    let lastSequence = '';
    for (const acks of [40, 90]) {
      const { acked, delivered } = await runAndKill(dataDir, 'fail', acks);
      expect(delivered).toEqual([]);
      const { got, stored, after, deadLetters } = await restartAndCollect(dataDir);
      expect(deadLetters).toEqual([]);
      // Every acknowledged put is there (deletes: their REMOVE names the item).
      const puts = new Set(got.flatMap((r) => imageOf(r)?.connectedAt ?? []));
      // Each run of the child numbers its writes from 1; this run's records are all that is pending.
      const ackedPuts = Array.from({ length: acked }, (_, i) => i + 1).filter((n) => !isDelete(n));
      expect(ackedPuts.filter((n) => !puts.has(n))).toEqual([]);
      // A delete is a REMOVE unless its item was already gone (only an item's first delete of the run can find it so).
      const removes = got.filter((r) => r.eventName === 'REMOVE').length;
      expect(removes).toBeGreaterThanOrEqual(Math.floor(acked / 5) - CRASH_ITEMS);
      // In sequence order, per item in write order, and the last record of each item is what the store holds.
      const sequences = got.map((r) => r.dynamodb.SequenceNumber);
      expect([...sequences].sort()).toEqual(sequences);
      expect(new Set(sequences).size).toBe(sequences.length);
      expect(sequences[0]! > lastSequence).toBe(true);
      for (const [id, item] of stored) {
        const ofItem = got.filter((r) => r.dynamodb.Keys.connectionId?.S === id);
        const writes = ofItem.flatMap((r) => imageOf(r)?.connectedAt ?? []);
        expect([...writes].sort((a, b) => a - b)).toEqual(writes);
        const last = ofItem.at(-1);
        if (last) expect(imageOf(last)).toEqual(item);
      }
      expect(after.dynamodb.SequenceNumber > sequences.at(-1)!).toBe(true);
      lastSequence = after.dynamodb.SequenceNumber;
    }
  }, 120_000);

  it('records already handled are not delivered again, except the batch in flight at the kill', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'stream-crash-'));
    for (const acks of [60, 120]) {
      const { delivered } = await runAndKill(dataDir, 'ok', acks);
      expect(delivered.length).toBeGreaterThan(0);
      const { got, stored } = await restartAndCollect(dataDir);
      const again = got.filter((r) => delivered.includes(r.dynamodb.SequenceNumber));
      expect(again.length).toBeLessThanOrEqual(CRASH_BATCH);
      // Nothing is skipped: what the child handled and what came now join up, and the last record of each item is the store's.
      const seen = new Set([...delivered, ...got.map((r) => r.dynamodb.SequenceNumber)]);
      const numbers = [...seen].map(Number).sort((a, b) => a - b);
      const first = Number(delivered[0]);
      expect(numbers.filter((n) => n >= first)).toEqual(Array.from({ length: numbers.at(-1)! - first + 1 }, (_, i) => first + i));
      for (const [id, item] of stored) {
        const last = got.filter((r) => r.dynamodb.Keys.connectionId?.S === id).at(-1);
        if (last) expect(imageOf(last)).toEqual(item);
      }
    }
  }, 120_000);

  it('trims the records every consumer is past, and drops those older than the retention (24 h; 300 ms here)', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'stream-retention-'));
    const consumer = (handler: (event: StreamEvent) => Promise<void>) => ({
      name: 'retained',
      table: 'Connections',
      eventNames: ['INSERT', 'MODIFY', 'REMOVE'] as const,
      batchSize: CRASH_BATCH,
      maxRetries: Number.MAX_SAFE_INTEGER,
      bisectOnError: false,
      handler,
    });
    const open = () => startEmbeddedDynamo({ dataDir, tables, sweepIntervalMs: 0, streams: { retryDelayMs: 20, retentionMs: 300, trimIntervalMs: 50 } });
    // A consumer that fails: its records stay journalled; the next run, past the retention, no longer gets them.
    let db = await open();
    await db.streams.subscribe(consumer(async () => Promise.reject(new Error('down'))));
    let { raw, doc } = localDynamo(db.endpoint);
    for (let i = 0; i < 5; i++) await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: `r${i}`, connectedAt: i } }));
    expect(await db.streams.journalled('Connections')).toBe(5);
    raw.destroy();
    await db.close();
    // Creation times are whole seconds: past 300 ms of retention for certain after 2.1 s.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    db = await open();
    const got: StreamRecord[] = [];
    await db.streams.subscribe(consumer(async (e) => void got.push(...e.Records)));
    await db.streams.idle();
    expect(got).toEqual([]);
    expect(await db.streams.journalled('Connections')).toBe(0);
    // Records a consumer handled are trimmed once it is past them.
    ({ raw, doc } = localDynamo(db.endpoint));
    for (let i = 0; i < 5; i++) await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId: `t${i}`, connectedAt: i } }));
    await db.streams.idle();
    expect(got).toHaveLength(5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await db.streams.journalled('Connections')).toBe(0);
    raw.destroy();
    await db.close();
  });
});
