/**
 * TransactWriteItems and TransactGetItems on top of dynalite's single-item
 * operations. The caller holds the front server's lock (exclusive for writes,
 * shared for reads), so nothing else reads or writes while these run.
 *
 * A write transaction snapshots every target item, then applies every action
 * with its own condition through dynalite (so dynalite evaluates the
 * conditions) as one atomic unit of the store: its writes reach LevelDB in
 * one batch if every condition holds, and not at all otherwise — nor if the
 * process dies halfway (see DynaliteCore.atomically).
 */
import { DynaliteCore, SchemaCache, keyOf } from './dynalite-core';
import { DYNAMO_PREFIX, WireError, validationError, type Payload } from './wire';

export interface TxContext {
  core: DynaliteCore;
  schemas: SchemaCache;
}

const MAX_ACTIONS = 100;
const KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
type Kind = (typeof KINDS)[number];
const CONDITION_FIELDS = ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'];

interface Action {
  kind: Kind;
  spec: Payload;
  /** Key of the target item, as given (Put: extracted from the item). */
  key: Payload;
  /** The item before the transaction, if it existed. */
  before?: Payload;
}

type Outcome =
  | { status: 'ok'; units: number }
  | { status: 'failed' }
  | { status: 'error'; error: unknown };

function checkList(list: unknown, member: string): Payload[] {
  if (list == null) {
    throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  if (!Array.isArray(list)) throw validationError(`Value at '${member}' must be a list`);
  if (list.length < 1 || list.length > MAX_ACTIONS) {
    const bound = list.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ACTIONS}`;
    throw validationError(
      `1 validation error detected: Value '[${list.length} items]' at '${member}' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  return list as Payload[];
}

function pick(spec: Payload, fields: string[]): Payload {
  const out: Payload = {};
  for (const f of fields) if (spec[f] !== undefined) out[f] = spec[f];
  return out;
}

async function parseActions(ctx: TxContext, list: Payload[]): Promise<Action[]> {
  const actions: Action[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of list.entries()) {
    const kinds = KINDS.filter((k) => entry?.[k] != null);
    const kind = kinds[0];
    if (kinds.length !== 1 || !kind) {
      throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
    }
    const spec = entry[kind] as Payload;
    if (typeof spec !== 'object') throw validationError(`Invalid ${kind} at transactItems.${i + 1}`);
    if (kind === 'ConditionCheck' && spec.ConditionExpression == null) {
      throw validationError(
        `1 validation error detected: Value null at 'transactItems.${i + 1}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (kind === 'Update' && spec.UpdateExpression == null) {
      throw validationError(
        `1 validation error detected: Value null at 'transactItems.${i + 1}.member.update.updateExpression' failed to satisfy constraint: Member must not be null`,
      );
    }
    const schema = await ctx.schemas.get(spec.TableName);
    const fullKey = keyOf(schema, kind === 'Put' ? spec.Item : spec.Key);
    if (kind === 'Put' && !fullKey) throw validationError('One or more parameter values were invalid: Missing the key in the item');
    if (fullKey) {
      // Incomplete keys are left for dynalite to reject with its own message.
      const id = JSON.stringify([spec.TableName, fullKey[schema.hash], schema.range ? fullKey[schema.range] : null]);
      if (seen.has(id)) throw validationError('Transaction request cannot include multiple operations on one item');
      seen.add(id);
    }
    actions.push({ kind, spec, key: (kind === 'Put' ? fullKey : spec.Key) as Payload });
  }
  return actions;
}

async function apply(core: DynaliteCore, a: Action): Promise<Outcome> {
  const common: Payload = { TableName: a.spec.TableName, ...pick(a.spec, CONDITION_FIELDS), ReturnConsumedCapacity: 'TOTAL' };
  try {
    let res: Payload;
    switch (a.kind) {
      case 'Put':
        res = await core.call('PutItem', { ...common, Item: a.spec.Item });
        break;
      case 'Update':
        res = await core.call('UpdateItem', { ...common, Key: a.key, UpdateExpression: a.spec.UpdateExpression });
        break;
      case 'Delete':
        res = await core.call('DeleteItem', { ...common, Key: a.key });
        break;
      case 'ConditionCheck':
        // Evaluate the condition with a write that changes nothing: put the
        // item back as it is, or delete the item that is not there.
        res = a.before
          ? await core.call('PutItem', { ...common, Item: a.before })
          : await core.call('DeleteItem', { ...common, Key: a.key });
        break;
    }
    return { status: 'ok', units: Number(res.ConsumedCapacity?.CapacityUnits ?? 1) };
  } catch (error) {
    if (error instanceof WireError && error.is('ConditionalCheckFailedException')) return { status: 'failed' };
    return { status: 'error', error };
  }
}

/** ConsumedCapacity as DynamoDB reports it for transactions: twice the units, per table. */
function consumed(
  mode: unknown,
  entries: { table: string; units: number }[],
  unitsField: 'WriteCapacityUnits' | 'ReadCapacityUnits',
): Payload[] | undefined {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return undefined;
  const perTable = new Map<string, number>();
  for (const { table, units } of entries) perTable.set(table, (perTable.get(table) ?? 0) + 2 * units);
  return [...perTable].map(([TableName, units]) => ({
    TableName,
    CapacityUnits: units,
    [unitsField]: units,
    ...(mode === 'INDEXES' ? { Table: { CapacityUnits: units, [unitsField]: units } } : {}),
  }));
}

export async function transactWriteItems(ctx: TxContext, input: Payload): Promise<Payload> {
  const actions = await parseActions(ctx, checkList(input.TransactItems, 'transactItems'));

  const snapshots = await Promise.all(
    actions.map((a) => ctx.core.call('GetItem', { TableName: a.spec.TableName, Key: a.key, ConsistentRead: true })),
  );
  actions.forEach((a, i) => (a.before = snapshots[i]?.Item as Payload | undefined));

  // Every action targets a different item, so applying them all (rather than
  // stopping at the first failure) evaluates every condition against the
  // state before the transaction, as DynamoDB does.
  const outcomes = await ctx.core.atomically(async (discard) => {
    const all = await Promise.all(actions.map((a) => apply(ctx.core, a)));
    if (!all.every((o) => o.status === 'ok')) discard();
    return all;
  });

  if (outcomes.every((o) => o.status === 'ok')) {
    const entries = outcomes.map((o, i) => ({
      table: String(actions[i]!.spec.TableName),
      units: o.status === 'ok' ? o.units : 0,
    }));
    const capacity = consumed(input.ReturnConsumedCapacity, entries, 'WriteCapacityUnits');
    return capacity ? { ConsumedCapacity: capacity } : {};
  }

  const error = outcomes.find((o) => o.status === 'error');
  if (error?.status === 'error') throw error.error;

  const reasons = outcomes.map((o, i) => {
    if (o.status !== 'failed') return { Code: 'None' };
    const a = actions[i]!;
    return {
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      ...(a.spec.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && a.before ? { Item: a.before } : {}),
    };
  });
  throw new WireError(400, {
    __type: `${DYNAMO_PREFIX}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    CancellationReasons: reasons,
  });
}

export async function transactGetItems(ctx: TxContext, input: Payload): Promise<Payload> {
  const list = checkList(input.TransactItems, 'transactItems');
  const gets = list.map((entry, i) => {
    const get = entry?.Get as Payload | undefined;
    if (!get || typeof get !== 'object') {
      throw validationError(
        `1 validation error detected: Value null at 'transactItems.${i + 1}.member.get' failed to satisfy constraint: Member must not be null`,
      );
    }
    return get;
  });
  const results = await Promise.allSettled(
    gets.map((get) =>
      ctx.core.call('GetItem', {
        ...pick(get, ['TableName', 'Key', 'ProjectionExpression', 'ExpressionAttributeNames']),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    ),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure?.status === 'rejected') throw failure.reason;

  const bodies = results.map((r) => (r.status === 'fulfilled' ? r.value : {}));
  const out: Payload = { Responses: bodies.map((b) => (b.Item ? { Item: b.Item } : {})) };
  const capacity = consumed(
    input.ReturnConsumedCapacity,
    bodies.map((b, i) => ({ table: String(gets[i]!.TableName), units: Number(b.ConsumedCapacity?.CapacityUnits ?? 1) })),
    'ReadCapacityUnits',
  );
  if (capacity) out.ConsumedCapacity = capacity;
  return out;
}
