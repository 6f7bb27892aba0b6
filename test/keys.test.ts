/** Public keys through the real local stack: new key, set default key, give me keys, user changed key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { addKey, makeDefaultKey } from '../lambdas/domain/keys';
import { configureDomain } from '../lambdas/domain/provisioning';
import type { Key, SelfUser } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { keyName, newUser, online, pause, pushCount } from './support/contacts';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const defaults = (keys: Key[], userId: number) => keys.filter((k) => k.user_id === userId && k.is_default);

describe('new key', () => {
  it('saves the key, lists it in who am i, and a default key is pushed to contacts only', async () => {
    const me = await newUser('keen');
    const friend = await newUser('friend');
    const stranger = await newUser('stranger');
    await linkUsers(getDeps(), me.id, friend.id);
    const [mine, theirs, other] = await Promise.all([online(stack, me), online(stack, friend), online(stack, stranger)]);

    const name = keyName();
    const first = await mine.client.call<Key>('new key', { name, is_default: false });
    expect(first).toEqual({ id: expect.any(Number), user_id: me.id, name, is_default: false, created_at: expect.any(String), updated_at: expect.any(String) });
    await pause(150);
    expect(pushCount(theirs.client, 'user changed key')).toBe(0);

    const second = await mine.client.call<Key>('new key', { name: keyName(), is_default: true });
    expect(second.is_default).toBe(true);
    expect(await theirs.client.push<Key>('user changed key')).toEqual(second);
    await pause(150);
    expect(pushCount(other.client, 'user changed key')).toBe(0);

    const self = await mine.client.call<SelfUser>('who am i');
    expect(self.PublicKeys.map((k) => [k.id, k.is_default])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    await Promise.all([mine.client.close(), theirs.client.close(), other.client.close()]);
  });

  it('refuses a name that is not base64 of 32 bytes', async () => {
    const me = await newUser('strict');
    const { client } = await online(stack, me);
    const valid = keyName();
    const invalid = [
      '',
      'not base64 at all',
      Buffer.alloc(31).toString('base64'), // 31 bytes
      Buffer.alloc(33).toString('base64'), // 33 bytes
      valid.slice(0, 43), // padding missing
      `${valid.slice(0, 42)}B=`, // non-canonical: bits set past the 32nd byte
      valid.replace(/.$/, '!'),
      42,
    ];
    for (const name of invalid) expect((await client.request('new key', { name, is_default: true })).error, String(name)).toBe('wrong data provided');
    expect((await client.request('new key', { name: valid })).error).toBe('wrong data provided');
    expect((await client.call<SelfUser>('who am i')).PublicKeys).toEqual([]);
    await client.close();
  });
});

describe('set default key', () => {
  it('switches the default, pushes user changed key, and refuses keys that are not the caller\'s', async () => {
    const me = await newUser('switch');
    const friend = await newUser('friend');
    await linkUsers(getDeps(), me.id, friend.id);
    const a = await addKey(getDeps(), me.id, keyName(), true);
    const b = await addKey(getDeps(), me.id, keyName(), false);
    const foreign = await addKey(getDeps(), friend.id, keyName(), false);
    const [mine, theirs] = await Promise.all([online(stack, me), online(stack, friend)]);

    const saved = await mine.client.call<Key>('set default key', { id: b.id });
    expect(saved).toMatchObject({ id: b.id, user_id: me.id, is_default: true });
    expect(await theirs.client.push<Key>('user changed key')).toEqual(saved);
    const keys = (await mine.client.call<SelfUser>('who am i')).PublicKeys;
    expect(keys.map((k) => [k.id, k.is_default])).toEqual([
      [a.id, false],
      [b.id, true],
    ]);

    // Already the default: answered, nothing announced.
    expect(await mine.client.call<Key>('set default key', { id: b.id })).toEqual(saved);
    for (const id of [foreign.id, 987_654]) expect((await mine.client.request('set default key', { id })).error).toBe('access denied');
    await pause(150);
    expect(pushCount(theirs.client, 'user changed key')).toBe(0);
    expect((await mine.client.call<SelfUser>('who am i')).PublicKeys).toEqual(keys);
    expect(defaults(await theirs.client.call<Key[]>('give me keys'), friend.id)).toEqual([]);
    await Promise.all([mine.client.close(), theirs.client.close()]);
  });
});

describe('one default key under concurrency', () => {
  it('concurrent new default keys from two devices: all saved, exactly one default', async () => {
    const me = await newUser('racer');
    const [phone, laptop] = await Promise.all([online(stack, me), online(stack, me)]);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? phone : laptop).client.call<Key>('new key', { name: keyName(), is_default: true })),
    );
    const keys = (await phone.client.call<SelfUser>('who am i')).PublicKeys;
    expect(keys).toHaveLength(8);
    expect(new Set(keys.map((k) => k.id))).toEqual(new Set(results.map((k) => k.id)));
    expect(keys.filter((k) => k.is_default)).toHaveLength(1);

    await Promise.all(keys.map((k, i) => (i % 2 ? phone : laptop).client.call('set default key', { id: k.id })));
    expect((await laptop.client.call<SelfUser>('who am i')).PublicKeys.filter((k) => k.is_default)).toHaveLength(1);
    await Promise.all([phone.client.close(), laptop.client.close()]);
  });
});

describe('give me keys', () => {
  it('returns the caller\'s keys and every key of everyone in the list, whatever the status, and no one else\'s', async () => {
    const me = await newUser('holder');
    const accepted = await newUser('acc');
    const asked = await newUser('asked');
    const stranger = await newUser('stranger');
    await linkUsers(getDeps(), me.id, accepted.id);
    const own = await addKey(getDeps(), me.id, keyName(), true);
    const old = await addKey(getDeps(), accepted.id, keyName(), true);
    const current = await addKey(getDeps(), accepted.id, keyName(), true);
    const pending = await addKey(getDeps(), asked.id, keyName(), true);
    await addKey(getDeps(), stranger.id, keyName(), true);
    const { client } = await online(stack, me);
    await client.call('handle userlink', { from_user_id: me.id, to_user_id: asked.id, action: 'request' });

    const keys = await client.call<Key[]>('give me keys');
    expect(keys.map((k) => k.id).sort((x, y) => x - y)).toEqual([own.id, old.id, current.id, pending.id].sort((x, y) => x - y));
    expect(defaults(keys, accepted.id).map((k) => k.id)).toEqual([current.id]);
    await client.close();
  });
});

describe('domain settings', () => {
  it('key_management_by_user=false refuses new key and set default key; operators still manage keys', async () => {
    const me = await newUser('kept', { domain: 'keys-managed' });
    const friend = await newUser('kfriend', { domain: 'keys-managed' });
    await configureDomain(getDeps(), 'keys-managed', ['key_management_by_user=false']);
    await linkUsers(getDeps(), me.id, friend.id);
    const given = await addKey(getDeps(), me.id, keyName(), false);
    const [mine, theirs] = await Promise.all([online(stack, me), online(stack, friend)]);

    expect((await mine.client.request('new key', { name: keyName(), is_default: true })).error).toBe('access denied');
    expect((await mine.client.request('set default key', { id: given.id })).error).toBe('access denied');
    expect((await mine.client.call<SelfUser>('who am i')).PublicKeys).toEqual([given]);

    const made = await makeDefaultKey(getDeps(), me.id, given.id);
    expect(made.is_default).toBe(true);
    expect(await theirs.client.push<Key>('user changed key')).toEqual(made);
    expect(await mine.client.call<Key[]>('give me keys')).toEqual([made]);
    await Promise.all([mine.client.close(), theirs.client.close()]);
  });
});
