/**
 * Public keys (protocol §4 "keys"): `give me keys`, `new key`,
 * `set default key`, the `user changed key` push, and the same operations
 * for operators (no domain check).
 */
import type { Deps } from '../deps';
import { log } from '../log';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { Key } from '../protocol/objects';
import type { FrameData } from '../protocol/events';
import { publicKey } from '../protocol/schemas';
import type { BoundConnection } from '../storage/connections';
import { getDomain } from '../storage/domains';
import * as keyring from '../storage/keys';
import { keyAudienceOf, keySourcesOf } from './audience';
import { pushToUsers } from './presence';

/** `give me keys`: every key, current and past, of the caller and of everyone who may have written to them. */
export async function giveMeKeys(deps: Deps, userId: number): Promise<Key[]> {
  try {
    const sources = await keySourcesOf(deps, userId);
    const rings = await keyring.keyringsOf(deps, [userId, ...sources]);
    return [...rings.values()].flatMap(keyring.keysOf);
  } catch (error) {
    log.error('give me keys failed', { userId, error: String(error) });
    throw new ProtocolError(ERRORS.giveMeKeysError);
  }
}

/** Tells contacts and group co-members that `key` is now the user's default. */
export async function announceKey(deps: Deps, userId: number, key: Key): Promise<void> {
  await pushToUsers(deps, await keyAudienceOf(deps, userId), 'user changed key', key);
}

async function requireKeyManagement(deps: Deps, session: BoundConnection): Promise<void> {
  const domain = await getDomain(deps, session.domainId);
  if (!domain?.config.key_management_by_user) throw new ProtocolError(ERRORS.accessDenied, 'keys managed by the domain');
}

/**
 * Operators (and `new key`): adds a key to a user's ring; a default key
 * replaces the previous default atomically and is announced.
 */
export async function addKey(deps: Deps, userId: number, name: string, isDefault: boolean): Promise<Key> {
  if (!publicKey.safeParse(name).success) throw new ProtocolError(ERRORS.wrongData, 'a key is base64 of 32 bytes');
  let key: Key;
  try {
    key = await keyring.addKey(deps, userId, name, isDefault, deps.now());
  } catch (error) {
    if (error instanceof keyring.KeyringFullError) throw new ProtocolError(ERRORS.somethingWentWrong, error.message);
    throw error;
  }
  if (isDefault) await announceKey(deps, userId, key);
  return key;
}

/** Operators (and `set default key`): makes one of the user's keys the default; announced if it changed. */
export async function makeDefaultKey(deps: Deps, userId: number, keyId: number): Promise<Key> {
  let outcome: { key: Key; changed: boolean };
  try {
    outcome = await keyring.setDefaultKey(deps, userId, keyId, deps.now());
  } catch (error) {
    // Someone else's key or no key at all: the same answer, so nothing is revealed.
    if (error instanceof keyring.UnknownKeyError) throw new ProtocolError(ERRORS.accessDenied, error.message);
    throw error;
  }
  if (outcome.changed) await announceKey(deps, userId, outcome.key);
  return outcome.key;
}

export async function newKey(deps: Deps, session: BoundConnection, input: FrameData<'new key'>): Promise<Key> {
  await requireKeyManagement(deps, session);
  return addKey(deps, session.userId, input.name, input.is_default);
}

export async function setDefaultKey(deps: Deps, session: BoundConnection, keyId: number): Promise<Key> {
  await requireKeyManagement(deps, session);
  return makeDefaultKey(deps, session.userId, keyId);
}
