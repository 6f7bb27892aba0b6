/**
 * Integer ids from a counter item per kind. Fine for rare writes (users,
 * domains, keys); the message path must not use a shared counter.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './store';

export async function nextId(store: Store, kind: string): Promise<number> {
  const { Attributes } = await store.db.send(
    new UpdateCommand({
      TableName: store.config.dataTable,
      Key: { pk: `COUNTER#${kind}`, sk: 'COUNTER' },
      UpdateExpression: 'ADD #v :one',
      ExpressionAttributeNames: { '#v': 'value' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Attributes!.value as number;
}
