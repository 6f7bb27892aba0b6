/**
 * The Transaction builder against the local stack's TransactWriteItems: a
 * failed condition anywhere cancels everything (nothing written, the failed
 * action named by its tag), over 100 actions is refused before sending, two
 * actions on one item are a programming error.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { RetriesExhausted } from '../lambdas/storage/retry';
import { readEach, readRecords, ref } from '../lambdas/storage/store';
import { MAX_TRANSACTION_ACTIONS, TransactionCancelled, TransactionTooLarge, transaction } from '../lambdas/storage/transact';
import { createUser, getUser, UsernameTakenError } from '../lambdas/storage/users';
import type { LocalStack } from '../local/stack';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const key = (n: number) => ({ pk: `TXTEST#${n}`, sk: 'ITEM' });
/** The item as stored (no aggregate decodes these). */
const raw = (n: number) => ref(key(n), (item) => item);

describe('Transaction', () => {
  it('a failed condition cancels every action: nothing written, the failing tag reported', async () => {
    const deps = getDeps();
    const setup = transaction(deps);
    setup.put('seed', { ...key(0), value: 'old', version: 1 });
    setup.put('guard', { ...key(50), version: 1 });
    await setup.commit(deps);

    const tx = transaction(deps);
    for (let n = 1; n <= 40; n++) tx.put(`new:${n}`, { ...key(n), value: 'new' }, { expression: 'attribute_not_exists(pk)' });
    tx.update('bump', key(0), { expression: 'SET #value = :v', names: { '#value': 'value' }, values: { ':v': 'changed' } });
    tx.check('stale', key(50), { expression: '#version = :v', names: { '#version': 'version' }, values: { ':v': 0 } });
    expect(tx.size).toBe(42);
    // Two actions on one item: refused before anything is sent.
    expect(() => tx.delete('twice', key(50))).toThrow(/two actions/);

    const error = await tx.commit(deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelled);
    expect([...(error as TransactionCancelled).failed]).toEqual(['stale']);
    const found = await readEach(deps, Array.from({ length: 41 }, (_, n) => n), (n) => ({ item: raw(n) }), { consistent: true });
    expect([...found].filter(([, { item }]) => item).map(([n]) => n)).toEqual([0]);
    expect(found.get(0)!.item).toMatchObject({ value: 'old', version: 1 });
  });

  it('a collision on a new item is reported by tag (how message and dialog ids are kept unique)', async () => {
    const deps = getDeps();
    const first = transaction(deps);
    first.put('messageId', { ...key(100) }, { expression: 'attribute_not_exists(pk)' });
    first.put('copy', { ...key(101) });
    await first.commit(deps);
    const second = transaction(deps);
    second.put('messageId', { ...key(100), other: true }, { expression: 'attribute_not_exists(pk)' });
    second.put('copy', { ...key(102) });
    const error = (await second.commit(deps).catch((e: unknown) => e)) as TransactionCancelled;
    expect([...error.failed]).toEqual(['messageId']);
    expect((await readRecords(deps, { item: raw(102) }, { consistent: true })).item).toBeUndefined();
  });

  it(`more than ${MAX_TRANSACTION_ACTIONS} actions are refused before sending`, async () => {
    const deps = getDeps();
    const tx = transaction(deps);
    for (let n = 0; n <= MAX_TRANSACTION_ACTIONS; n++) tx.put(`p${n}`, { ...key(1000 + n) });
    await expect(tx.commit(deps)).rejects.toBeInstanceOf(TransactionTooLarge);
    expect((await readRecords(deps, { item: raw(1000) }, { consistent: true })).item).toBeUndefined();
  });
});

/**
 * DynamoDB cancels a transaction that meets another one on an item with
 * `TransactionConflict` (the local store serialises every write, so it cannot
 * happen here): emulated by answering the first TransactWriteItems with the
 * exception the SDK raises for it, then passing everything through.
 */
describe('a transaction conflict', () => {
  const conflicting = (failures: number) => {
    const deps = getDeps();
    let left = failures;
    const db = {
      send: (command: unknown) => {
        if (command instanceof TransactWriteCommand && left-- > 0) {
          const reasons = command.input.TransactItems!.map((_, i) => ({ Code: i === 0 ? 'TransactionConflict' : 'None' }));
          return Promise.reject(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons }));
        }
        return deps.db.send(command as never);
      },
    } as unknown as typeof deps.db;
    return { ...deps, db };
  };

  it('is retried, never reported as the username being taken', async () => {
    const username = `conflict-${Date.now()}`;
    const user = await createUser(conflicting(2), { username, domain_id: 1, passwordHash: 'x' });
    expect((await getUser(getDeps(), user.id))?.username).toBe(username);
  });

  it('that never clears is answered `too many attempts`, not `username taken`', async () => {
    const error = await createUser(conflicting(1000), { username: `stuck-${Date.now()}`, domain_id: 1, passwordHash: 'x' }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(UsernameTakenError);
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect((error as RetriesExhausted).error).toBe('too many attempts');
  });

  it('a taken username is still reported as such', async () => {
    const username = `taken-${Date.now()}`;
    await createUser(getDeps(), { username, domain_id: 1, passwordHash: 'x' });
    await expect(createUser(getDeps(), { username, domain_id: 1, passwordHash: 'x' })).rejects.toBeInstanceOf(UsernameTakenError);
  });
});
