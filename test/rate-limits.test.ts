/**
 * Per-user limits on the frames that cost (token buckets in DynamoDB,
 * lambdas/storage/rate-limits.ts), at cheap test values set through
 * RATE_LIMITS; every other test file runs with the production defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../local/stack';
import { keyName, pause } from './support/contacts';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;
const ids: Record<string, number> = {};

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      RATE_LIMITS: JSON.stringify({
        'new key': { burst: 3, intervalMs: 60_000 },
        'find contacts': { burst: 3, intervalMs: 1000 },
        'handle userlink': { burst: 2, intervalMs: 60_000 },
      }),
    },
  });
  for (const name of ['ann', 'ben', 'cat', 'dan', 'eve']) ids[name] = (await createTestUser({ username: name, password: `${name}-secret` })).id;
});
afterAll(() => stack.close());

const errors = (acks: { error: string | null }[]) => acks.map((a) => a.error);

describe('per-user limits', () => {
  it('answers too many attempts past the burst; other users are unaffected', async () => {
    const ann = await loggedIn(stack, 'ann', 'ann-secret');
    const ben = await loggedIn(stack, 'ben', 'ben-secret');
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await ann.client.request('new key', { name: keyName(), is_default: false }));
    expect(errors(sent)).toEqual([null, null, null, 'too many attempts']);
    // Nothing was stored for the refused frame.
    expect((await ann.client.call<unknown[]>('give me keys')).length).toBe(3);
    expect((await ben.client.request('new key', { name: keyName(), is_default: false })).error).toBeNull();
    await Promise.all([ann.client.close(), ben.client.close()]);
  });

  it('limits frames sent at once exactly like frames in sequence, and refills with time', async () => {
    const cat = await loggedIn(stack, 'cat', 'cat-secret');
    const acks = await Promise.all(Array.from({ length: 10 }, () => cat.client.request('find contacts', { search: 'da' })));
    expect(errors(acks).filter((e) => e === null)).toHaveLength(3);
    expect(errors(acks).filter((e) => e === 'too many attempts')).toHaveLength(7);
    await pause(1100);
    expect((await cat.client.request('find contacts', { search: 'da' })).error).toBeNull();
    expect((await cat.client.request('find contacts', { search: 'da' })).error).toBe('too many attempts');
    await cat.client.close();
  });

  it('counts only contact requests of handle userlink', async () => {
    const dan = await loggedIn(stack, 'dan', 'dan-secret');
    const request = (to: string) => dan.client.request('handle userlink', { from_user_id: ids.dan, to_user_id: ids[to], action: 'request' });
    expect(errors([await request('ann'), await request('ben'), await request('eve')])).toEqual([null, null, 'too many attempts']);
    // Other actions are not limited.
    const withdraw = await dan.client.request('handle userlink', { from_user_id: ids.dan, to_user_id: ids.ann, action: 'withdraw' });
    expect(withdraw.error).toBeNull();
    await dan.client.close();
  });

  it('refuses, at start-up, RATE_LIMITS naming a frame that takes no bucket', async () => {
    await expect(startTestStack({ env: { RATE_LIMITS: JSON.stringify({ 'who am i': { burst: 1, intervalMs: 1 } }) } })).rejects.toThrow(/who am i/);
  });
});
