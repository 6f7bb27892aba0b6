/**
 * Child process of the transaction crash test (test/support/tx-crash.ts): opens
 * the embedded DynamoDB on disk and commits generation after generation of one
 * transaction until it is killed, printing `committed <generation>` after each
 * acknowledged commit.
 *
 *   node --import tsx test/support/tx-crash-child.ts <dataDir> <items>
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lambdas/storage/tables';
import { startEmbeddedDynamo } from '../../local/embedded-dynamo';
import { localDynamo } from './dynamo';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CRASH_PK = 'crash';
/** Enough bytes per item that a transaction's writes take a while. */
const PAD = 'x'.repeat(2000);

/** The transaction that moves the crash items from generation `gen - 1` to `gen`. */
function generation(gen: number, items: number) {
  return new TransactWriteCommand({
    TransactItems: [
      ...Array.from({ length: items }, (_, i) => ({
        Put: { TableName: 'Data', Item: { pk: CRASH_PK, sk: `item#${i}`, gen, gsi1pk: `crash#${gen}`, gsi1sk: String(i), pad: PAD } },
      })),
      {
        Update: {
          TableName: 'Data',
          Key: { pk: CRASH_PK, sk: 'counter' },
          UpdateExpression: 'SET gen = :gen',
          ConditionExpression: 'attribute_not_exists(gen) OR gen = :previous',
          ExpressionAttributeValues: { ':gen': gen, ':previous': gen - 1 },
        },
      },
      { Put: { TableName: 'Data', Item: { pk: CRASH_PK, sk: `marker#${gen}` } } },
      { Delete: { TableName: 'Data', Key: { pk: CRASH_PK, sk: `marker#${gen - 1}` } } },
    ],
  });
}

const [dataDir, items] = process.argv.slice(2);
const db = await startEmbeddedDynamo({ dataDir: dataDir!, tables, sweepIntervalMs: 0 });
const { doc } = localDynamo(db.endpoint);
const counter = await doc.send(new GetCommand({ TableName: 'Data', Key: { pk: CRASH_PK, sk: 'counter' }, ConsistentRead: true }));
let gen = Number(counter.Item?.gen ?? 0);
process.stdout.write(`ready ${gen}\n`);
for (;;) {
  await doc.send(generation(++gen, Number(items)));
  process.stdout.write(`committed ${gen}\n`);
}
