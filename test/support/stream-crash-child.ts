/**
 * Child process of the stream crash test (test/stream-crash.test.ts): opens
 * the embedded DynamoDB on disk with one consumer of the Connections stream
 * and writes until it is killed: puts of 7 items in turn (each put's
 * `connectedAt` is its number), every 5th write a delete, printing
 * `acked <n>` after each acknowledged write. Mode `fail`: the consumer fails
 * every batch (retried for ever). Mode `ok`: it handles them, printing
 * `delivered <sequence number>` per record before it returns.
 *
 *   node --import tsx test/support/stream-crash-child.ts <dataDir> <fail|ok>
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lambdas/storage/tables';
import { startEmbeddedDynamo } from '../../local/embedded-dynamo';
import { localDynamo } from './dynamo';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const CRASH_ITEMS = 7;
export const CRASH_BATCH = 10;
export const itemOf = (n: number) => `crash-${n % CRASH_ITEMS}`;
export const isDelete = (n: number) => n % 5 === 0;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [dataDir, mode] = process.argv.slice(2);
  const db = await startEmbeddedDynamo({ dataDir: dataDir!, tables, sweepIntervalMs: 0, streams: { retryDelayMs: 5 } });
  await db.streams.subscribe({
    name: 'crash',
    table: 'Connections',
    eventNames: ['INSERT', 'MODIFY', 'REMOVE'],
    batchSize: CRASH_BATCH,
    maxRetries: Number.MAX_SAFE_INTEGER,
    bisectOnError: false,
    handler: async (event) => {
      if (mode === 'fail') throw new Error('consumer down');
      // A pipe's writes are synchronous on Linux: printed means handled.
      for (const record of event.Records) process.stdout.write(`delivered ${record.dynamodb.SequenceNumber}\n`);
    },
  });
  const { doc } = localDynamo(db.endpoint);
  process.stdout.write('ready\n');
  for (let n = 1; ; n++) {
    const connectionId = itemOf(n);
    if (isDelete(n)) await doc.send(new DeleteCommand({ TableName: 'Connections', Key: { connectionId } }));
    else await doc.send(new PutCommand({ TableName: 'Connections', Item: { connectionId, connectedAt: n, expiresAt: 4_000_000_000 } }));
    process.stdout.write(`acked ${n}\n`);
  }
}
