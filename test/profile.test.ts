/**
 * Profile frames (protocol §4 profile) against the real local stack: every
 * frame, every error string, the password change that logs the other devices
 * out, and the start-up wizard seen through `who am i`.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlankName } from '../lambdas/domain/profile';
import type { SelfUser } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { TestClient } from './support/client';
import { newUser } from './support/contacts';
import { errorOf } from './support/conversations';
import { loggedIn, startTestStack } from './support/stack';

const MAX_FAILURES = 3;
let stack: LocalStack;

/** A fresh account per test, so tests do not share state; named unless told otherwise. */
const profileUser = (options: Parameters<typeof newUser>[1] = {}) => newUser('user', { firstName: 'First', lastName: 'Last', ...options });

beforeAll(async () => {
  stack = await startTestStack({ env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
});
afterAll(() => stack.close());

describe('change profile', () => {
  it('stores trimmed names that who am i returns', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    const ack = await client.request('change profile', { first_name: '  Ada ', last_name: 'Lovelace' });
    expect(ack).toMatchObject({ error: null, result: null });
    expect(await client.call<SelfUser>('who am i')).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    await client.close();
  });

  it('refuses blank names and ill-typed payloads', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    expect(await errorOf(client, 'change profile', { first_name: '', last_name: 'Lovelace' })).toBe('enter name and last name');
    expect(await errorOf(client, 'change profile', { first_name: 'Ada', last_name: ' \t ' })).toBe('enter name and last name');
    expect(await errorOf(client, 'change profile', { first_name: '\u200b', last_name: 'Lovelace' })).toBe('enter name and last name');
    expect(await errorOf(client, 'change profile', { first_name: 'Ada', last_name: '\u3000\u200d\ufeff\u2066\u00a0' })).toBe('enter name and last name');
    expect(await errorOf(client, 'change profile', { first_name: 'Ada' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change profile', { first_name: 1, last_name: 'Lovelace' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change profile', { first_name: 'A'.repeat(129), last_name: 'Lovelace' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change profile')).toBe('wrong data provided');
    expect(await client.call<SelfUser>('who am i')).toMatchObject({ first_name: 'First', last_name: 'Last' });
    await client.close();
  });

  it('needs a login', async () => {
    const client = await TestClient.connect(stack.url);
    expect(await errorOf(client, 'change profile', { first_name: 'Ada', last_name: 'Lovelace' })).toBe('not authenticated');
    expect(await errorOf(client, 'change password', { current: 'a', new: 'b', newAgain: 'b' })).toBe('not authenticated');
    expect(await errorOf(client, 'change avatar', { avatar: randomUUID(), is_group: false })).toBe('not authenticated');
    expect(await errorOf(client, 'delete avatar', { is_group: false })).toBe('not authenticated');
    await client.close();
  });
});

describe('change avatar / delete avatar', () => {
  it('sets and clears the own avatar', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    const avatar = randomUUID();
    expect(await client.request('change avatar', { avatar, is_group: false })).toMatchObject({ error: null, result: null });
    expect((await client.call<SelfUser>('who am i')).avatar).toBe(avatar);
    const upper = randomUUID().toUpperCase(); // iOS spells UUIDs in capitals
    await client.call('change avatar', { avatar: upper, is_group: false });
    expect((await client.call<SelfUser>('who am i')).avatar).toBe(upper);
    expect(await client.request('delete avatar', { is_group: false })).toMatchObject({ error: null, result: null });
    expect((await client.call<SelfUser>('who am i')).avatar).toBeNull();
    await client.close();
  });

  it('asks for a UUID v4', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    for (const avatar of [undefined, null, '', 42, 'not-a-uuid', '6ba7b810-9dad-11d1-80b4-00c04fd430c8' /* v1 */, `${randomUUID()}x`]) {
      expect(await errorOf(client, 'change avatar', { avatar, is_group: false }), String(avatar)).toBe('please provide avatar uuid');
    }
    expect(await errorOf(client, 'change avatar', { avatar: randomUUID(), is_group: 'no' })).toBe('wrong data provided');
    expect((await client.call<SelfUser>('who am i')).avatar).toBeNull();
    await client.close();
  });

  it('a group avatar of a group that does not exist is refused like any other (access denied); one without id is wrong data', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    expect(await errorOf(client, 'change avatar', { avatar: randomUUID(), is_group: true, id: 1 })).toBe('access denied');
    expect(await errorOf(client, 'delete avatar', { is_group: true, id: 1 })).toBe('access denied');
    expect(await errorOf(client, 'change avatar', { avatar: randomUUID(), is_group: true })).toBe('wrong data provided');
    expect(await errorOf(client, 'change avatar', { avatar: 'nope', is_group: true, id: 1 })).toBe('please provide avatar uuid');
    await client.close();
  });
});

describe('change password', () => {
  it('answers each error string', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    expect(await errorOf(client, 'change password', { current: password, new: 'n3w-secret' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change password', { current: password, new: '', newAgain: '' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change password', { current: 7, new: 'a', newAgain: 'a' })).toBe('wrong data provided');
    expect(await errorOf(client, 'change password', { current: password, new: 'n3w-secret', newAgain: 'n3w-secreT' })).toBe(
      'new password must match verify',
    );
    expect(await errorOf(client, 'change password', { current: password, new: password, newAgain: password })).toBe(
      'new password must not match old',
    );
    expect(await errorOf(client, 'change password', { current: 'not-it', new: 'n3w-secret', newAgain: 'n3w-secret' })).toBe('wrong password');
    // None of these changed anything: the old password still logs in.
    const again = await loggedIn(stack, username, password);
    await again.client.close();
    await client.close();
  });

  it('logs the other devices out and keeps the caller in', async () => {
    const { username, password } = await profileUser();
    const me = await loggedIn(stack, username, password);
    const other = await loggedIn(stack, username, password);
    await other.client.push('storage urls');
    // A device that is offline now: only its stored token can bring it back.
    const offline = await loggedIn(stack, username, password);
    await offline.client.close();

    expect(await me.client.request('change password', { current: password, new: 'n3w-secret', newAgain: 'n3w-secret' })).toMatchObject({
      error: null,
      result: null,
    });

    // The other device is asked to authenticate again, and its login is gone.
    expect(await other.client.push('subscribe please')).toBe('token expired');
    expect(await errorOf(other.client, 'who am i')).toBe('not authenticated');
    expect(await errorOf(other.client, 'auth by token', { userId: other.userId, token: other.token })).toBe('wrong token, use credentials');
    expect(await errorOf(other.client, 'auth by credentials', { username, password })).toBe('wrong password');
    expect(await other.client.call('auth by credentials', { username, password: 'n3w-secret' })).toMatchObject({ userId: me.userId });
    const back = await TestClient.connect(stack.url);
    expect(await errorOf(back, 'auth by token', { userId: offline.userId, token: offline.token })).toBe('wrong token, use credentials');

    // The caller's connection and token still work; it was told nothing.
    expect(await me.client.call<SelfUser>('who am i')).toMatchObject({ id: me.userId, username });
    expect(me.client.pushes.filter((p) => p.event !== 'storage urls')).toEqual([]);
    const relaunch = await TestClient.connect(stack.url);
    expect(await relaunch.call('auth by token', { userId: me.userId, token: me.token })).toMatchObject({ userId: me.userId });

    await Promise.all([me.client.close(), other.client.close(), relaunch.close(), back.close()]);
  });

  it('counts wrong current passwords like failed logins', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(await errorOf(client, 'change password', { current: `guess-${i}`, new: 'n3w-secret', newAgain: 'n3w-secret' })).toBe('wrong password');
    }
    expect(await errorOf(client, 'change password', { current: password, new: 'n3w-secret', newAgain: 'n3w-secret' })).toBe('too many attempts');
    // One budget per password: logins of this username are locked too, for the window.
    const elsewhere = await TestClient.connect(stack.url);
    expect(await errorOf(elsewhere, 'auth by credentials', { username, password })).toBe('too many attempts');
    // The session itself is untouched.
    expect((await client.call<SelfUser>('who am i')).username).toBe(username);
    await Promise.all([client.close(), elsewhere.close()]);
  });

  it('limits parallel wrong current passwords like sequential ones', async () => {
    const { username, password } = await profileUser();
    const { client } = await loggedIn(stack, username, password);
    const guesses = Array.from({ length: 12 }, (_, i) => errorOf(client, 'change password', { current: `guess-${i}`, new: 'n3w-secret', newAgain: 'n3w-secret' }));
    const errors = await Promise.all(guesses);
    expect(errors.filter((e) => e === 'wrong password')).toHaveLength(MAX_FAILURES);
    expect(errors.filter((e) => e === 'too many attempts')).toHaveLength(12 - MAX_FAILURES);
    await client.close();
  });
});

describe('start-up wizard', () => {
  it('fixes a new account step by step, as who am i shows', async () => {
    const { username, password } = await profileUser({ plannedPasswordChange: true, firstName: '', lastName: '' });
    const { client } = await loggedIn(stack, username, password);
    expect(await client.call<SelfUser>('who am i')).toMatchObject({
      first_name: '',
      last_name: '',
      avatar: null,
      is_planned_password_change: true,
      PublicKeys: [],
    });

    await client.call('change password', { current: password, new: 'wizard-secret', newAgain: 'wizard-secret' });
    expect((await client.call<SelfUser>('who am i')).is_planned_password_change).toBe(false);

    await client.call('change profile', { first_name: 'Grace', last_name: 'Hopper' });
    const avatar = randomUUID();
    await client.call('change avatar', { avatar, is_group: false });
    // (No default key: `new key` is the keys issue's frame.)
    expect(await client.call<SelfUser>('who am i')).toMatchObject({
      first_name: 'Grace',
      last_name: 'Hopper',
      avatar,
      is_planned_password_change: false,
      PublicKeys: [],
    });
    await client.close();
  });
});

describe('isBlankName', () => {
  // Unicode White_Space and a sample of Cf (format) characters: soft hyphen, Arabic letter mark, zero-width ones, bidi controls, BOM, a tag.
  const invisible = [...'\t\n\v\f\r \u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000', ...'\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2060\u2066\u2069\ufeff', '\u{e0041}'];

  it('is true of any string of whitespace and format characters only', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...invisible)), (chars) => isBlankName(chars.join(''))));
  });

  it('is false as soon as one visible character is there', () => {
    const visible = fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => /[\p{L}\p{N}\p{P}\p{S}]/u.test(c));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...invisible)), visible, fc.array(fc.constantFrom(...invisible)), (before, c, after) =>
        !isBlankName([...before, c, ...after].join('')),
      ),
    );
  });
});
