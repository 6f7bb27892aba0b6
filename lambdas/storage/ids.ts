/**
 * Integer ids from a counter item per kind. Fine for rare writes (users,
 * domains, keys); the message path must not use a shared counter.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from './store';

export function nextId(store: Store, kind: string): Promise<number> {
  return reserveIds(store, kind, 1);
}

/** `count` consecutive ids in one write (bulk provisioning); returns the first. */
export async function reserveIds(store: Store, kind: string, count: number): Promise<number> {
  const { Attributes } = await store.db.send(
    new UpdateCommand({
      TableName: store.config.dataTable,
      Key: { pk: `COUNTER#${kind}`, sk: 'COUNTER' },
      UpdateExpression: 'ADD #v :count',
      ExpressionAttributeNames: { '#v': 'value' },
      ExpressionAttributeValues: { ':count': count },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return (Attributes!.value as number) - count + 1;
}
