import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { createTestUser, loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
  await createTestUser({ username: 'alice', password: 'alice-secret', firstName: 'Alice', lastName: 'Liddell' });
});
afterAll(() => stack.close());

describe('auth by credentials', () => {
  it('logs in, pushes storage urls and answers who am i', async () => {
    const client = await TestClient.connect(stack.url);
    const ack = await client.request('auth by credentials', { username: 'alice', password: 'alice-secret' });
    expect(ack.error).toBeNull();
    const result = ack.result as { userId: number; token: string };
    expect(result.userId).toBeGreaterThan(0);
    expect(result.token.split('.')).toHaveLength(3);
    const urls = await client.push<Record<string, string>>('storage urls');
    expect(Object.keys(urls).sort()).toEqual(['delete', 'get', 'put', 'putRaw']);
    const me = await client.call<Record<string, unknown>>('who am i');
    expect(me).toMatchObject({ id: result.userId, username: 'alice', first_name: 'Alice', last_name: 'Liddell', PublicKeys: [] });
    expect(me.Domain).toMatchObject({ name: 'default', config: { key_management_by_user: true, contactlist_management_by_user: true } });
    await client.close();
  });
});
