/** Helpers for the contact, presence and key tests. */
import { randomBytes } from 'node:crypto';
import { getDeps } from '../../lambdas/deps';
import { linkUsers } from '../../lambdas/domain/contacts';
import type { NewAccount } from '../../lambdas/domain/provisioning';
import type { ContactUser } from '../../lambdas/protocol/objects';
import type { LocalStack } from '../../local/stack';
import type { TestClient } from './client';
import { createTestUser, loggedIn } from './stack';

/** A valid public key name: base64 of 32 random bytes. */
export const keyName = () => randomBytes(32).toString('base64');

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let serial = 0;

/** A fresh account (unique username with `prefix`) in `domain`. */
export async function newUser(prefix: string, options: Omit<NewAccount, 'username' | 'password'> = {}) {
  const username = `${prefix}${++serial}`;
  const password = `${username}-secret`;
  const user = await createTestUser({ username, password, ...options });
  return { id: user.id, username, password };
}

/** Logs a user in on a new connection and swallows the `storage urls` push. */
export async function online(stack: LocalStack, user: { username: string; password: string }) {
  const session = await loggedIn(stack, user.username, user.password);
  await session.client.push('storage urls');
  return session;
}

/** A watcher (logged in) and a subject who are accepted contacts; the subject is not connected. */
export async function watcherAndSubject(stack: LocalStack, domain?: string) {
  const watcher = await newUser('watcher', { domain });
  const subject = await newUser('subject', { domain });
  await linkUsers(getDeps(), watcher.id, subject.id);
  const { client } = await online(stack, watcher);
  return { watcher: { ...watcher, client }, subject };
}

/** How many pushes of `event` a client has received (and not consumed). */
export const pushCount = (client: TestClient, event: string) => client.pushes.filter((p) => p.event === event).length;

/** All pushes of `event` received so far, consumed. */
export function takePushes<T = unknown>(client: TestClient, event: string): T[] {
  const taken = client.pushes.filter((p) => p.event === event);
  for (const p of taken) client.pushes.splice(client.pushes.indexOf(p), 1);
  return taken.map((p) => p.data as T);
}

export async function contactsOf(client: TestClient): Promise<ContactUser[]> {
  return client.call<ContactUser[]>('give me users');
}

export async function contactIn(client: TestClient, id: number): Promise<ContactUser | undefined> {
  return (await contactsOf(client)).find((c) => c.id === id);
}

/** `handle userlink` by the client's own user. */
export function userlink(client: TestClient, from: number, to: number, action: string) {
  return client.request('handle userlink', { from_user_id: from, to_user_id: to, action });
}
