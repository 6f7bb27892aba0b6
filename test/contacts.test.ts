/** Contact lists through the real local stack: handle userlink from both sides, give me users, find contacts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { addKey } from '../lambdas/domain/keys';
import { configureDomain } from '../lambdas/domain/provisioning';
import type { ContactUser, UserContainer, UserlinkUpdate } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import type { TestClient } from './support/client';
import { contactIn, contactsOf, keyName, newUser, online, pause, pushCount, userlink } from './support/contacts';
import { startTestStack } from './support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

interface Person {
  id: number;
  username: string;
  client: TestClient;
}

/** Two logged-in users of the default domain, with names, the first with a default key. */
async function pair(): Promise<[Person, Person]> {
  const a = await newUser('ann', { firstName: 'Ann', lastName: 'Archer' });
  const b = await newUser('bob', { firstName: 'Bob', lastName: 'Baker' });
  await addKey(getDeps(), a.id, keyName(), true);
  const [sa, sb] = await Promise.all([online(stack, a), online(stack, b)]);
  return [
    { id: a.id, username: a.username, client: sa.client },
    { id: b.id, username: b.username, client: sb.client },
  ];
}

const close = (...people: Person[]) => Promise.all(people.map((p) => p.client.close()));

/** Both sides' lists, to prove that a refused frame changed nothing. */
const lists = (a: Person, b: Person) => Promise.all([contactsOf(a.client), contactsOf(b.client)]);

describe('handle userlink', () => {
  it('request → user container on the other side → accept → both accepted, names visible', async () => {
    const [ann, bob] = await pair();

    const request = await userlink(ann.client, ann.id, bob.id, 'request');
    expect(request.error).toBeNull();
    const asked = request.result as UserContainer;
    expect(asked.user).toMatchObject({ id: bob.id, username: bob.username, first_name: '', last_name: '', avatar: null, link_status: 'requested', link_status_read: true });
    expect(asked).toMatchObject({ dialogs: [], messages: [] });

    const received = await bob.client.push<UserContainer>('user container');
    expect(received.user).toMatchObject({ id: ann.id, username: ann.username, first_name: '', last_name: '', link_status: 'received', link_status_read: false });
    expect(received.user.key).toMatchObject({ user_id: ann.id, is_default: true });
    expect(received.user.PublicKeys).toHaveLength(1);
    expect(received.user.LinkedWith).toEqual([expect.objectContaining({ from_user_id: ann.id, to_user_id: bob.id, status: 'requested', read: false, created_by: ann.id })]);

    const accept = await userlink(bob.client, bob.id, ann.id, 'accept');
    expect(accept.error).toBeNull();
    const accepted = accept.result as UserContainer;
    expect(accepted).toEqual({ user: expect.objectContaining({ id: ann.id, first_name: 'Ann', last_name: 'Archer', link_status: 'accepted' }), dialogs: [], messages: [] });

    const told = await ann.client.push<UserContainer>('user container');
    expect(told.user).toMatchObject({ id: bob.id, first_name: 'Bob', last_name: 'Baker', link_status: 'accepted', link_status_read: false, key: null });

    const [annList, bobList] = await lists(ann, bob);
    expect(annList).toEqual([expect.objectContaining({ id: bob.id, first_name: 'Bob', link_status: 'accepted' })]);
    expect(bobList).toEqual([expect.objectContaining({ id: ann.id, first_name: 'Ann', link_status: 'accepted' })]);
    // The same link, seen from both sides.
    expect(annList[0]!.LinkedWith[0]!.id).toBe(bobList[0]!.LinkedWith[0]!.id);
    expect(annList[0]!.link_status_date).toBe(bobList[0]!.link_status_date);
    await close(ann, bob);
  });

  it('reject: the requester sees rejected, the request leaves the rejecter\'s list; only the rejecter may ask again', async () => {
    const [ann, bob] = await pair();
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    await bob.client.push('user container');

    expect(await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'reject' })).toBe('success');
    const update = await ann.client.push<UserlinkUpdate>('userlink update');
    expect(update).toMatchObject({ user_id: bob.id, status: 'rejected' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'rejected', link_status_read: false, first_name: '' });
    expect(await contactIn(bob.client, ann.id)).toBeUndefined();

    // Asking again after a refusal is not possible; the rejecter changing their mind is.
    const before = await lists(ann, bob);
    expect((await userlink(ann.client, ann.id, bob.id, 'request')).error).toBe('something went wrong');
    expect(await lists(ann, bob)).toEqual(before);
    expect((await userlink(bob.client, bob.id, ann.id, 'request')).error).toBeNull();
    expect(await ann.client.push<UserlinkUpdate>('userlink update')).toMatchObject({ user_id: bob.id, status: 'received' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'received' });
    expect(await contactIn(bob.client, ann.id)).toMatchObject({ link_status: 'requested' });
    await close(ann, bob);
  });

  it('withdraw a request, then remove from each side; a new request comes back as a user container', async () => {
    const [ann, bob] = await pair();
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    await bob.client.push('user container');

    expect(await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'withdraw' })).toBe('success');
    expect(await bob.client.push<UserlinkUpdate>('userlink update')).toMatchObject({ user_id: ann.id, status: 'withdrawn' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'withdrawn' });
    expect(await contactIn(bob.client, ann.id)).toMatchObject({ link_status: 'withdrawn' });

    expect(await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'remove' })).toBe('success');
    expect(await contactIn(bob.client, ann.id)).toBeUndefined();
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'withdrawn' });
    expect(await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'remove' })).toBe('success');
    expect(await contactsOf(ann.client)).toEqual([]);
    expect(pushCount(ann.client, 'userlink update') + pushCount(bob.client, 'userlink update')).toBe(0);

    // Bob no longer lists Ann: a new request reaches him as a user container.
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    expect((await bob.client.push<UserContainer>('user container')).user).toMatchObject({ id: ann.id, link_status: 'received' });
    await close(ann, bob);
  });

  it('withdraw an accepted link from the addressee\'s side: both see withdrawn, names hidden again', async () => {
    const [ann, bob] = await pair();
    await linkUsers(getDeps(), ann.id, bob.id);
    await Promise.all([ann.client.push('user container'), bob.client.push('user container')]);
    expect(await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'withdraw' })).toBe('success');
    expect(await ann.client.push<UserlinkUpdate>('userlink update')).toMatchObject({ user_id: bob.id, status: 'withdrawn' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'withdrawn', first_name: '', last_name: '' });
    expect(await contactIn(bob.client, ann.id)).toMatchObject({ link_status: 'withdrawn', first_name: '' });
    // Either side may ask again.
    await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'request' });
    expect(await ann.client.push<UserlinkUpdate>('userlink update')).toMatchObject({ user_id: bob.id, status: 'received' });
    await close(ann, bob);
  });

  it('read marks the link status read for the caller only', async () => {
    const [ann, bob] = await pair();
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    await bob.client.push('user container');
    expect(await contactIn(bob.client, ann.id)).toMatchObject({ link_status_read: false });
    expect(await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'read' })).toBe('success');
    const seen = await contactIn(bob.client, ann.id);
    expect(seen).toMatchObject({ link_status: 'received', link_status_read: true });
    expect(seen!.LinkedWith[0]!.read).toBe(true);
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status_read: true });
    // A status change by the other side is news again.
    await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'accept' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status: 'accepted', link_status_read: false });
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'read' });
    expect(await contactIn(ann.client, bob.id)).toMatchObject({ link_status_read: true });
    await close(ann, bob);
  });

  it('transitions that make no sense are answered something went wrong and change nothing', async () => {
    const [ann, bob] = await pair();
    const refused = async (who: Person, to: number, action: string) => {
      const before = await lists(ann, bob);
      expect((await userlink(who.client, who.id, to, action)).error, `${action} by ${who.username}`).toBe('something went wrong');
      expect(await lists(ann, bob)).toEqual(before);
    };
    // Nothing between them yet.
    for (const action of ['accept', 'reject', 'withdraw', 'remove', 'read']) await refused(ann, bob.id, action);
    await refused(ann, ann.id, 'request'); // oneself
    await refused(ann, 999_999, 'request'); // nobody

    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    await refused(ann, bob.id, 'request'); // twice
    await refused(ann, bob.id, 'accept'); // one's own request
    await refused(ann, bob.id, 'reject');
    await refused(bob, ann.id, 'withdraw'); // the addressee rejects, not withdraws
    await refused(bob, ann.id, 'remove'); // a live request is not removed
    await refused(ann, bob.id, 'remove');

    await bob.client.call('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'accept' });
    await refused(bob, ann.id, 'accept');
    await refused(ann, bob.id, 'request');
    await refused(bob, ann.id, 'reject');
    await refused(ann, bob.id, 'remove'); // withdraw first
    await close(ann, bob);
  });

  it('both asking at once ends accepted', async () => {
    const [ann, bob] = await pair();
    await ann.client.call('handle userlink', { from_user_id: ann.id, to_user_id: bob.id, action: 'request' });
    const second = await bob.client.call<UserContainer>('handle userlink', { from_user_id: bob.id, to_user_id: ann.id, action: 'request' });
    expect(second.user).toMatchObject({ id: ann.id, link_status: 'accepted', first_name: 'Ann' });
    expect((await ann.client.push<UserContainer>('user container')).user).toMatchObject({ id: bob.id, link_status: 'accepted' });
    await close(ann, bob);
  });

  it('concurrent actions on one link: both sides always agree', async () => {
    const [ann, bob] = await pair();
    const second = await online(stack, { username: ann.username, password: `${ann.username}-secret` });
    // The same request from two devices at once: one wins, the other is refused, Bob is told once.
    const acks = await Promise.all([userlink(ann.client, ann.id, bob.id, 'request'), userlink(second.client, ann.id, bob.id, 'request')]);
    expect(acks.map((a) => a.error).sort()).toEqual([null, 'something went wrong'].sort());
    await bob.client.push('user container');
    await pause(150);
    expect(pushCount(bob.client, 'user container') + pushCount(bob.client, 'userlink update')).toBe(0);

    // Accept and withdraw at once: in either order the link ends withdrawn, on both sides.
    await Promise.all([userlink(bob.client, bob.id, ann.id, 'accept'), userlink(ann.client, ann.id, bob.id, 'withdraw')]);
    const [annList, bobList] = await lists(ann, bob);
    expect(annList[0]).toMatchObject({ link_status: 'withdrawn' });
    expect(bobList[0]).toMatchObject({ link_status: 'withdrawn' });
    expect({ ...annList[0]!.LinkedWith[0], read: null }).toEqual({ ...bobList[0]!.LinkedWith[0], read: null });
    await Promise.all([close(ann, bob), second.client.close()]);
  });

  it('from_user_id must be the caller: access denied, nothing changed', async () => {
    const [ann, bob] = await pair();
    const before = await lists(ann, bob);
    for (const action of ['request', 'accept', 'read']) {
      expect((await userlink(ann.client, bob.id, ann.id, action)).error).toBe('access denied');
    }
    expect(await lists(ann, bob)).toEqual(before);
    expect(pushCount(bob.client, 'user container')).toBe(0);
    await close(ann, bob);
  });

  it('payloads are checked', async () => {
    const [ann, bob] = await pair();
    for (const data of [undefined, { from_user_id: ann.id, to_user_id: bob.id }, { from_user_id: ann.id, to_user_id: bob.id, action: 'befriend' }, { from_user_id: '1', to_user_id: bob.id, action: 'request' }]) {
      expect((await ann.client.request('handle userlink', data)).error).toBe('wrong data provided');
    }
    await close(ann, bob);
  });

  it('users of another domain cannot be asked (and look like nobody)', async () => {
    const [ann] = await pair();
    const stranger = await newUser('far', { domain: 'elsewhere' });
    expect((await userlink(ann.client, ann.id, stranger.id, 'request')).error).toBe('something went wrong');
    await close(ann);
  });
});

describe('domain settings', () => {
  it('contactlist_management_by_user=false refuses every action but read, and find contacts', async () => {
    const a = await newUser('cora', { domain: 'managed' });
    const b = await newUser('cole', { domain: 'managed' });
    const c = await newUser('cleo', { domain: 'managed' });
    await configureDomain(getDeps(), 'managed', ['contactlist_management_by_user=false']);
    // Operators still link people.
    await linkUsers(getDeps(), a.id, b.id);
    const [sa, sb] = await Promise.all([online(stack, a), online(stack, b)]);
    for (const [to, action] of [[c.id, 'request'], [b.id, 'withdraw'], [b.id, 'remove'], [b.id, 'accept'], [b.id, 'reject']] as const) {
      expect((await userlink(sa.client, a.id, to, action)).error).toBe('access denied');
    }
    expect((await sa.client.request('find contacts', { search: 'c' })).error).toBe('access denied');
    expect(await sa.client.call('handle userlink', { from_user_id: a.id, to_user_id: b.id, action: 'read' })).toBe('success');
    expect(await contactIn(sa.client, b.id)).toMatchObject({ link_status: 'accepted', link_status_read: true });
    expect(await contactIn(sb.client, a.id)).toMatchObject({ link_status: 'accepted', link_status_read: false });
    await Promise.all([sa.client.close(), sb.client.close()]);
  });
});

describe('linkUsers (operators)', () => {
  it('makes two users accepted contacts, pushes user container to both, and is idempotent', async () => {
    const [ann, bob] = await pair();
    const link = await linkUsers(getDeps(), ann.id, bob.id);
    expect(link).toMatchObject({ from_user_id: ann.id, to_user_id: bob.id, status: 'accepted' });
    expect((await ann.client.push<UserContainer>('user container')).user).toMatchObject({ id: bob.id, first_name: 'Bob', link_status: 'accepted' });
    expect((await bob.client.push<UserContainer>('user container')).user).toMatchObject({ id: ann.id, first_name: 'Ann', link_status: 'accepted' });
    expect(await linkUsers(getDeps(), bob.id, ann.id)).toEqual(link);
    await pause(100);
    expect(pushCount(ann.client, 'user container') + pushCount(bob.client, 'user container')).toBe(0);
    await close(ann, bob);
  });
});

describe('find contacts', () => {
  it('matches username or name prefixes in the caller\'s domain, without self, contacts, or more than 50', async () => {
    const seeker = await newUser('seeker', { domain: 'search' });
    const zed = await newUser('zed', { domain: 'search', firstName: 'Quentin', lastName: 'Zylstra' });
    const friend = await newUser('zedfriend', { domain: 'search' });
    await newUser('zed', { domain: 'search-other' });
    await linkUsers(getDeps(), seeker.id, friend.id);
    for (let i = 0; i < 55; i++) await newUser('many', { domain: 'search' });
    const { client } = await online(stack, seeker);

    const byUsername = await client.call<{ id: number; username: string; domain_id: number }[]>('find contacts', { search: 'ZED' });
    expect(byUsername).toEqual([{ id: zed.id, username: zed.username, domain_id: expect.any(Number) }]);
    expect(await client.call('find contacts', { search: 'quen' })).toEqual([expect.objectContaining({ id: zed.id })]);
    expect(await client.call('find contacts', { search: 'zyl' })).toEqual([expect.objectContaining({ id: zed.id })]);
    expect(await client.call('find contacts', { search: 'seeker' })).toEqual([]);
    expect(await client.call('find contacts', { search: 'nobody-like-this' })).toEqual([]);
    const many = await client.call<unknown[]>('find contacts', { search: 'many' });
    expect(many).toHaveLength(50);
    expect(new Set(many.map((u) => (u as { id: number }).id)).size).toBe(50);
    expect((await client.request('find contacts', { search: '' })).error).toBe('wrong data provided');
    await client.close();
  });

  it('follows change profile: new names are found, old ones no longer', async () => {
    const seeker = await newUser('looker', { domain: 'renames' });
    const renamed = await newUser('renamed', { domain: 'renames', firstName: 'Oldfirst', lastName: 'Oldlast' });
    const [looking, changing] = await Promise.all([online(stack, seeker), online(stack, renamed)]);
    expect(await looking.client.call('find contacts', { search: 'oldf' })).toEqual([expect.objectContaining({ id: renamed.id })]);
    await changing.client.call('change profile', { first_name: 'Newfirst', last_name: 'Newlast' });
    expect(await looking.client.call('find contacts', { search: 'oldf' })).toEqual([]);
    expect(await looking.client.call('find contacts', { search: 'newl' })).toEqual([expect.objectContaining({ id: renamed.id, username: renamed.username })]);
    await Promise.all([looking.client.close(), changing.client.close()]);
  });
});

describe('give me users', () => {
  it('lists PublicKeys and the default key of each contact', async () => {
    const [ann, bob] = await pair();
    const old = await addKey(getDeps(), bob.id, keyName(), true);
    const current = await addKey(getDeps(), bob.id, keyName(), true);
    await linkUsers(getDeps(), ann.id, bob.id);
    const seen = (await contactIn(ann.client, bob.id)) as ContactUser;
    expect(seen.PublicKeys.map((k) => [k.id, k.is_default])).toEqual([
      [old.id, false],
      [current.id, true],
    ]);
    expect(seen.key).toEqual(expect.objectContaining({ id: current.id, name: current.name, user_id: bob.id }));
    await close(ann, bob);
  });
});
