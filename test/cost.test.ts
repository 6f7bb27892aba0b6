/**
 * What a frame costs in DynamoDB requests, read from the chain's per-frame
 * measurement (metrics.observeFrames: the numbers of the `frame` log line),
 * for a user with a few contacts and one with a few hundred.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { addKey } from '../lambdas/domain/keys';
import { mapBounded } from '../lambdas/storage/store';
import type { LocalStack } from '../local/stack';
import type { TestClient } from './support/client';
import { keyName, newUser, online } from './support/contacts';
import { recordFrames } from './support/frame-costs';
import { startTestStack } from './support/stack';

const FEW = 2;
const MANY = 260;

let stack: LocalStack;
let recorder: ReturnType<typeof recordFrames>;

beforeAll(async () => {
  stack = await startTestStack();
  recorder = recordFrames();
});
afterAll(async () => {
  recorder.stop();
  await stack.close();
});

/** A user with `n` accepted contacts (each with a key), seeded through the domain functions, not the socket. */
async function userWithContacts(n: number) {
  const deps = getDeps();
  const user = await newUser('hub');
  await mapBounded(Array.from({ length: n }, (_, i) => i), 8, async () => {
    const contact = await newUser('spoke');
    await addKey(deps, contact.id, keyName(), true);
    await linkUsers(deps, user.id, contact.id);
  });
  return user;
}

/** DynamoDB requests of one frame sent by `client`. */
const requestsOf = async (client: TestClient, event: string, data?: unknown) => (await recorder.costOf(client, event, data)).dynamoRequests;

const batches = (keys: number) => Math.ceil(keys / 100);

describe('frame cost does not grow per contact', () => {
  it(`login, give me users / presence / keys, who am i, handle userlink, new key: ${FEW} vs ${MANY} contacts`, { timeout: 180_000 }, async () => {
    const few = await userWithContacts(FEW);
    const many = await userWithContacts(MANY);
    // Logging in announces `online` to the accepted contacts (their presence items, 100 a request).
    const a = await online(stack, few);
    const loginFew = recorder.frames.filter((c) => c.route === 'auth by credentials').at(-1)!.dynamoRequests;
    const b = await online(stack, many);
    const loginMany = recorder.frames.filter((c) => c.route === 'auth by credentials').at(-1)!.dynamoRequests;
    expect(await a.client.call<unknown[]>('give me users')).toHaveLength(FEW);
    expect(await b.client.call<unknown[]>('give me users')).toHaveLength(MANY);

    const table: Record<string, [number, number]> = { 'auth by credentials': [loginFew, loginMany] };
    for (const event of ['give me users', 'give me presence', 'give me keys', 'who am i']) {
      table[event] = [await requestsOf(a.client, event), await requestsOf(b.client, event)];
    }
    const stranger = await newUser('stranger');
    const other = await newUser('stranger');
    table['handle userlink'] = [
      await requestsOf(a.client, 'handle userlink', { from_user_id: few.id, to_user_id: stranger.id, action: 'request' }),
      await requestsOf(b.client, 'handle userlink', { from_user_id: many.id, to_user_id: other.id, action: 'request' }),
    ];
    table['new key'] = [
      await requestsOf(a.client, 'new key', { name: keyName(), is_default: true }),
      await requestsOf(b.client, 'new key', { name: keyName(), is_default: true }),
    ];
    console.info(`DynamoDB requests per frame (${FEW} vs ${MANY} contacts):`, JSON.stringify(table));

    // Session lookup + one Query of the links + BatchGets of 100 keys (profile and keyring per contact).
    expect(table['give me users']).toEqual([2 + batches(2 * FEW), 2 + batches(2 * MANY)]);
    // Session + Query + BatchGets of presence items.
    expect(table['give me presence']).toEqual([2 + batches(FEW), 2 + batches(MANY)]);
    // Session + Query of the links + Query of the group memberships (none here) + BatchGets of keyrings (the caller's included).
    expect(table['give me keys']).toEqual([3 + batches(FEW + 1), 3 + batches(MANY + 1)]);
    expect(loginMany - loginFew).toBe(batches(MANY) - batches(FEW));
    // Fixed: nothing here depends on the contact list.
    expect(table['who am i']![0]).toBe(table['who am i']![1]);
    expect(table['handle userlink']![0]).toBe(table['handle userlink']![1]);
    // Announcing a key: one Query of the links + BatchGets of the contacts' presence items.
    expect(table['new key']![1]! - table['new key']![0]!).toBe(batches(MANY) - batches(FEW));
    await Promise.all([a.client.close(), b.client.close()]);
  });
});
