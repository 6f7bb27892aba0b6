/**
 * One all-or-nothing write of many items (TransactWriteItems), built up by
 * the storage modules and committed once. Each action carries a tag, so a
 * cancelled transaction says which conditions failed (a message id already
 * taken, a `client_id` already used, a dialog changed since it was read …).
 *
 * DynamoDB's limits, checked here before sending: at most 100 actions, no
 * two on one item. The 4 MB request limit cannot be reached: transactions
 * hold heads, group items, names and message items, never a copy per
 * recipient (those follow by writeMany, domain/delivery.ts), and every
 * payload is itself capped at 128 KB (LIMITS.payloadBytes).
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { retry } from './retry';
import { keyOf, type Key, type Store } from './store';

export const MAX_TRANSACTION_ACTIONS = 100;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The transaction would need more actions than DynamoDB allows. */
export class TransactionTooLarge extends Error {}

/**
 * Cancelled, nothing written: `failed` holds the tags whose condition failed;
 * `conflict` is true when another transaction (or throttling) was in the way,
 * which says nothing about the data: the same write may simply be tried again.
 */
export class TransactionCancelled extends Error {
  constructor(
    readonly failed: ReadonlySet<string>,
    readonly conflict: boolean,
  ) {
    super(`transaction cancelled (${[...failed].join(', ') || (conflict ? 'conflict' : 'unknown')})`);
    this.name = 'TransactionCancelled';
  }
}

const merge = (a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined) =>
  a || b ? { ...(a ?? {}), ...(b ?? {}) } : undefined;

export class Transaction {
  private readonly items: { tag: string; item: TransactItem }[] = [];
  private readonly keys = new Set<string>();

  constructor(private readonly table: string) {}

  get size(): number {
    return this.items.length;
  }

  private add(tag: string, key: Key, item: TransactItem): this {
    const id = keyOf(key);
    // A programming error, never the client's: DynamoDB refuses two actions on one item.
    if (this.keys.has(id)) throw new Error(`two actions on ${id} in one transaction`);
    this.keys.add(id);
    this.items.push({ tag, item });
    return this;
  }

  put(tag: string, item: Key & Record<string, unknown>, condition?: Condition): this {
    return this.add(tag, item, {
      Put: {
        TableName: this.table,
        Item: item,
        ...(condition
          ? { ConditionExpression: condition.expression, ExpressionAttributeNames: condition.names, ExpressionAttributeValues: condition.values }
          : {}),
      },
    });
  }

  update(tag: string, key: Key, update: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }, condition?: Condition): this {
    const names = merge(update.names, condition?.names) as Record<string, string> | undefined;
    const values = merge(update.values, condition?.values);
    return this.add(tag, key, {
      Update: {
        TableName: this.table,
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: update.expression,
        ...(condition ? { ConditionExpression: condition.expression } : {}),
        ...(names ? { ExpressionAttributeNames: names } : {}),
        ...(values ? { ExpressionAttributeValues: values } : {}),
      },
    });
  }

  delete(tag: string, key: Key, condition?: Condition): this {
    return this.add(tag, key, {
      Delete: {
        TableName: this.table,
        Key: { pk: key.pk, sk: key.sk },
        ...(condition
          ? { ConditionExpression: condition.expression, ExpressionAttributeNames: condition.names, ExpressionAttributeValues: condition.values }
          : {}),
      },
    });
  }

  check(tag: string, key: Key, condition: Condition): this {
    return this.add(tag, key, {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: key.pk, sk: key.sk },
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      },
    });
  }

  /**
   * Commits once, and again while only `conflict` stood in the way (nothing
   * was wrong with the data; each try is all or nothing). A failed condition
   * is thrown as TransactionCancelled for the caller to read and decide again;
   * TransactionTooLarge is thrown before sending.
   */
  async commitRetryingConflicts(store: Store): Promise<void> {
    await retry(() => this.commit(store), (error) => error instanceof TransactionCancelled && error.failed.size === 0);
  }

  /** Commits everything at once; TransactionCancelled (nothing written) or TransactionTooLarge (nothing sent). */
  async commit(store: Store): Promise<void> {
    if (this.items.length === 0) return;
    if (this.items.length > MAX_TRANSACTION_ACTIONS) throw new TransactionTooLarge(`${this.items.length} actions`);
    try {
      await store.db.send(new TransactWriteCommand({ TransactItems: this.items.map((i) => i.item) }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = new Set<string>();
      let conflict = false;
      (error.CancellationReasons ?? []).forEach((reason, i) => {
        if (reason.Code === 'ConditionalCheckFailed') failed.add(this.items[i]!.tag);
        else if (reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError' || reason.Code === 'ProvisionedThroughputExceeded') conflict = true;
        // A reason of any other code (ValidationError, ItemCollectionSizeLimitExceeded) is a fault, not a race.
        else if (reason.Code && reason.Code !== 'None') throw error;
      });
      throw new TransactionCancelled(failed, conflict || failed.size === 0);
    }
  }
}

export const transaction = (store: Store) => new Transaction(store.config.dataTable);
