/**
 * Integer ids from a counter item per kind. Fine for rare writes (users,
 * domains, keys); the message path must not use a shared counter.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

/** The highest id handed out so far (0: none), so operator listings can read ids 1…n by key instead of scanning. */
export async function lastId(store: Store, kind: string): Promise<number> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: { pk: `COUNTER#${kind}`, sk: 'COUNTER' } }));
  return (Item?.value as number | undefined) ?? 0;
}

/** Ids 1…n of a kind: the keys of every item ever created (deleted ones are simply not found). */
export const idsUpTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
