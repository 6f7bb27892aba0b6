/**
 * Logging in and out: binds a connection to a user under a token family,
 * rotates tokens, and enforces the domain's one-device rule.
 */
import type { Deps } from '../deps';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { AuthResult, StorageUrls } from '../protocol/objects';
import type { Credentials, TokenLogin } from '../protocol/schemas';
import { closeConnection, connectionsOfUser, unbindConnection, type BoundConnection } from '../storage/connections';
import { domainKey, type DomainRecord } from '../storage/domains';
import { chargeAttempt, clearFailures } from '../storage/login-failures';
import { epochSeconds, getMany, keyOf, mapBounded } from '../storage/store';
import { familiesOfUser, revokeFamily, rotateFamily, startFamily } from '../storage/token-families';
import { userKey, usernameKey, type UserRecord, type UsernameRecord } from '../storage/users';
import { decoyHash, verifyPassword } from './passwords';
import { bindSession, connectionEnded } from './presence';
import { issueToken, newTokenId, readToken } from './tokens';

export function storageUrls(filesUrl: string): StorageUrls {
  return { get: `${filesUrl}get/`, put: `${filesUrl}put/`, putRaw: `${filesUrl}putRaw/`, delete: `${filesUrl}delete/` };
}

async function userAndDomain(deps: Deps, userId: number, domainId: number) {
  const found = await getMany(deps, [userKey(userId), domainKey(domainId)]);
  const user = found.get(keyOf(userKey(userId))) as UserRecord | undefined;
  const domain = found.get(keyOf(domainKey(domainId))) as DomainRecord | undefined;
  return { user, domain };
}

/**
 * Checks a password under `username`'s attempt limit (storage/login-failures):
 * logins and `change password` share it, one budget of guesses per password
 * whichever way they come. The attempt is charged before `check` runs; a
 * check that passes (anything but false) clears the count.
 */
export async function limitedPasswordCheck<T>(deps: Deps, username: string, check: () => Promise<T | false>): Promise<T | false> {
  const limit = { maxFailures: deps.config.loginMaxFailures, windowSeconds: deps.config.loginWindowSeconds };
  if (!(await chargeAttempt(deps, username, limit, deps.now().getTime()))) throw new ProtocolError(ERRORS.tooManyAttempts);
  const passed = await check();
  if (passed !== false) await clearFailures(deps, username);
  return passed;
}

export async function loginWithPassword(deps: Deps, connectionId: string, { username, password }: Credentials): Promise<AuthResult> {
  const { config } = deps;
  const account = await limitedPasswordCheck(deps, username, async () => {
    const entry = (await getMany(deps, [usernameKey(username)])).get(keyOf(usernameKey(username))) as UsernameRecord | undefined;
    const { user, domain } = entry ? await userAndDomain(deps, entry.userId, entry.domainId) : {};
    // Unknown users are checked against a decoy hash: same time, same answer.
    const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash(config.scryptLogN)));
    return valid && user && domain ? { user, domain } : false;
  });
  if (!account) throw new ProtocolError(ERRORS.wrongPassword);
  const { user, domain } = account;

  const familyId = newTokenId();
  const jti = newTokenId();
  await startFamily(deps, { familyId, userId: user.id, domainId: domain.id, currentJti: jti, expiresAt: epochSeconds(deps.now()) + config.tokenTtlSeconds });
  return openSession(deps, connectionId, { user, domain, familyId, jti, lightweight: false });
}

export async function loginWithToken(deps: Deps, connectionId: string, { userId, token, isLightweight }: TokenLogin): Promise<AuthResult> {
  const claims = await readToken(deps.config, token, deps.now());
  if (!claims || claims.userId !== userId) throw new ProtocolError(ERRORS.wrongToken);
  const jti = newTokenId();
  const rotation = await rotateFamily(deps, {
    familyId: claims.familyId,
    userId,
    presentedJti: claims.jti,
    nextJti: jti,
    expiresAt: epochSeconds(deps.now()) + deps.config.tokenTtlSeconds,
  });
  if (rotation.outcome === 'replayed') await endFamily(deps, userId, claims.familyId);
  if (rotation.outcome !== 'rotated') throw new ProtocolError(ERRORS.wrongToken, rotation.outcome);

  const { user, domain } = await userAndDomain(deps, userId, rotation.family.domainId);
  if (!user || !domain) throw new ProtocolError(ERRORS.wrongToken, 'user is gone');
  return openSession(deps, connectionId, { user, domain, familyId: claims.familyId, jti, lightweight: isLightweight === true });
}

interface SessionStart {
  user: UserRecord;
  domain: DomainRecord;
  familyId: string;
  jti: string;
  lightweight: boolean;
}

async function openSession(deps: Deps, connectionId: string, s: SessionStart): Promise<AuthResult> {
  const bound = await bindSession(deps, connectionId, {
    userId: s.user.id,
    domainId: s.domain.id,
    familyId: s.familyId,
    lightweight: s.lightweight,
  });
  if (!bound) throw new Error('connection vanished during login');
  const token = await issueToken(deps.config, { userId: s.user.id, familyId: s.familyId, jti: s.jti }, deps.now());
  if (s.domain.single_device) await logOutOtherDevices(deps, s.user.id, connectionId, s.familyId);
  await deps.push.toConnections([{ connectionId, lightweight: s.lightweight }], 'storage urls', storageUrls(deps.config.filesUrl));
  return { userId: s.user.id, token };
}

/** One-device domains: every other device is told, loses its login and is closed. */
async function logOutOtherDevices(deps: Deps, userId: number, keep: string, keepFamily: string): Promise<void> {
  const others = (await connectionsOfUser(deps, userId)).filter((c) => c.connectionId !== keep);
  await mapBounded(others, deps.config.pushConcurrency, async (other) => {
    // A reconnect of this same login may leave its stale connection behind: close it, keep the login.
    if (other.familyId !== keepFamily) await revokeFamily(deps, other.familyId);
    await deps.push.toConnection(other.connectionId, 'log out please', 'another device logged in');
    await connectionEnded(deps, await closeConnection(deps, other.connectionId));
    await deps.push.disconnect(other.connectionId);
  });
}

/**
 * Revokes a login (a replayed token): its family dies, and every connection
 * it authenticated is unbound and asked to authenticate again.
 */
export async function endFamily(deps: Deps, userId: number, familyId: string): Promise<BoundConnection[]> {
  await revokeFamily(deps, familyId);
  const affected = (await connectionsOfUser(deps, userId)).filter((c) => c.familyId === familyId);
  await mapBounded(affected, deps.config.pushConcurrency, async (c) => {
    await connectionEnded(deps, await unbindConnection(deps, c.connectionId));
    await deps.push.toConnection(c.connectionId, 'subscribe please', 'token expired');
  });
  return affected;
}

/**
 * Revokes every login of the user but `keepFamilyId` (after a password
 * change): the families die first, so a device told `subscribe please` cannot
 * come back with its old token; then every connection not of the kept login is
 * unbound and asked to authenticate again. `subscribe please`, not `log out
 * please`: the device keeps its local data (keys, history) and only has to
 * log in again with the new password.
 */
export async function endOtherLogins(deps: Deps, userId: number, keepFamilyId: string): Promise<BoundConnection[]> {
  const [indexed, connections] = await Promise.all([familiesOfUser(deps, userId), connectionsOfUser(deps, userId)]);
  const affected = connections.filter((c) => c.familyId !== keepFamilyId);
  // Both indexes lag a little: a login seen only through its connection is revoked too.
  const families = new Set([...indexed, ...affected.map((c) => c.familyId)]);
  families.delete(keepFamilyId);
  await mapBounded([...families], deps.config.pushConcurrency, (familyId) => revokeFamily(deps, familyId));
  await mapBounded(affected, deps.config.pushConcurrency, async (c) => {
    await connectionEnded(deps, await unbindConnection(deps, c.connectionId));
    await deps.push.toConnection(c.connectionId, 'subscribe please', 'token expired');
  });
  return affected;
}

export async function logout(deps: Deps, session: BoundConnection): Promise<void> {
  await revokeFamily(deps, session.familyId);
  await connectionEnded(deps, await unbindConnection(deps, session.connectionId));
  await deps.push.toConnection(session.connectionId, 'log out please', null);
}
