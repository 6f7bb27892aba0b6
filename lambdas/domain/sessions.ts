/**
 * Logging in and out: binds a connection to a user under a token family,
 * rotates tokens, and enforces the domain's one-device rule.
 */
import type { Deps } from '../deps';
import { issueFileCapability } from '../files/capabilities';
import { ERRORS, ProtocolError, type ErrorString } from '../protocol/errors';
import type { AuthResult, StorageUrls } from '../protocol/objects';
import type { FrameData } from '../protocol/events';
import type { Credentials } from '../protocol/schemas';
import { closeConnection, connectionsOfUser, restoreConnection, unbindConnection, type Binding, type BoundConnection, type Connection } from '../storage/connections';
import { domainRef, type DomainRecord } from '../storage/domains';
import { clearFailures, failuresRef, isLocked, recordFailure, type FailureRecord } from '../storage/login-failures';
import { epochSeconds, mapBounded, readRecords } from '../storage/store';
import { attachConnection, familiesOfUser, revokeFamily, rotateFamily, staleConnections, startFamily } from '../storage/token-families';
import { userRef, usernameRef, type UserRecord } from '../storage/users';
import { decoyHash, verifyPassword } from './passwords';
import { bindSession, connectionEnded, pushToConnection } from './presence';
import { issueToken, newTokenId, readToken } from './tokens';

/**
 * The file server's prefixes (protocol §7, docs/files.md). Downloads are
 * open; the upload and delete prefixes carry `capability`, which lets this
 * login upload (files it uploads are its user's) and delete its user's files.
 */
export function storageUrls(filesUrl: string, capability: string): StorageUrls {
  return {
    get: `${filesUrl}get/`,
    put: `${filesUrl}put/${capability}/`,
    putRaw: `${filesUrl}putRaw/${capability}/`,
    delete: `${filesUrl}delete/${capability}/`,
  };
}

async function userAndDomain(deps: Deps, userId: number, domainId: number) {
  return readRecords(deps, { user: userRef(userId), domain: domainRef(domainId) });
}

/**
 * Checks a password under `username`'s attempt limit (storage/login-failures):
 * logins and `change password` share it, one budget of guesses per password
 * whichever way they come. `failures` is the window as read before (a full
 * one is refused without running `check`); the answer is decided after the
 * check by one conditional write. Returns what a passing `check` returned.
 */
export async function limitedPasswordCheck<T>(
  deps: Deps,
  username: string,
  failures: FailureRecord | undefined,
  check: () => Promise<T | false>,
): Promise<T> {
  const { loginMaxFailures: maxFailures, loginWindowSeconds: windowSeconds } = deps.config;
  const now = deps.now().getTime();
  if (isLocked(failures, maxFailures, now)) throw new ProtocolError(ERRORS.tooManyAttempts);
  const passed = await check();
  if (passed === false) {
    const counted = await recordFailure(deps, username, { maxFailures, windowSeconds }, now);
    throw new ProtocolError(counted ? ERRORS.wrongPassword : ERRORS.tooManyAttempts);
  }
  // No window when read: this login comes before any failure counted since. One: it must not be full now.
  if (failures && !(await clearFailures(deps, username, maxFailures, now))) throw new ProtocolError(ERRORS.tooManyAttempts);
  return passed;
}

export async function loginWithPassword(deps: Deps, connectionId: string, { username, password }: Credentials): Promise<AuthResult> {
  const { config } = deps;
  const { entry, failures } = await readRecords(deps, { entry: usernameRef(username), failures: failuresRef(username) });
  const { user, domain } = await limitedPasswordCheck(deps, username, failures, async () => {
    const account: Partial<Awaited<ReturnType<typeof userAndDomain>>> = entry ? await userAndDomain(deps, entry.userId, entry.domainId) : {};
    // Unknown users are checked against a decoy hash: same time, same answer.
    const valid = await verifyPassword(password, account.user?.passwordHash ?? (await decoyHash(config.scryptLogN)));
    // A disabled account is answered as one that does not exist (docs/design.md, Logins, "Disabled accounts").
    return valid && account.user && !account.user.disabled && account.domain ? { user: account.user, domain: account.domain } : false;
  });

  const familyId = newTokenId();
  const jti = newTokenId();
  await startFamily(deps, { familyId, userId: user.id, domainId: domain.id, currentJti: jti, expiresAt: epochSeconds(deps.now()) + config.tokenTtlSeconds });
  return openSession(deps, connectionId, { user, domain, familyId, jti, lightweight: false, refusal: ERRORS.wrongPassword });
}

export async function loginWithToken(deps: Deps, connectionId: string, { userId, token, isLightweight }: FrameData<'auth by token'>): Promise<AuthResult> {
  const claims = await readToken(deps.config, token, deps.now());
  if (!claims || claims.userId !== userId) throw new ProtocolError(ERRORS.wrongToken);
  const jti = newTokenId();
  // One round trip for both: the rotation, and the user and domain the token names (a refused token costs that read for nothing).
  const [rotation, named] = await Promise.all([
    rotateFamily(deps, {
      familyId: claims.familyId,
      userId,
      presentedJti: claims.jti,
      nextJti: jti,
      expiresAt: epochSeconds(deps.now()) + deps.config.tokenTtlSeconds,
    }),
    claims.domainId === undefined ? undefined : userAndDomain(deps, userId, claims.domainId),
  ]);
  if (rotation.outcome === 'replayed') await endFamily(deps, claims.familyId);
  if (rotation.outcome !== 'rotated') throw new ProtocolError(ERRORS.wrongToken, rotation.outcome);

  // The family's domain decides (a token issued before tokens named it names none).
  const { user, domain } = named && claims.domainId === rotation.family.domainId ? named : await userAndDomain(deps, userId, rotation.family.domainId);
  if (!user || !domain) throw new ProtocolError(ERRORS.wrongToken, 'user is gone');
  if (user.disabled) throw new ProtocolError(ERRORS.wrongToken, 'user is disabled');
  return openSession(deps, connectionId, {
    user,
    domain,
    familyId: claims.familyId,
    jti,
    lightweight: isLightweight === true,
    stale: staleConnections(rotation.family, deps.now().getTime()),
    refusal: ERRORS.wrongToken,
  });
}

interface SessionStart {
  user: UserRecord;
  domain: DomainRecord;
  familyId: string;
  jti: string;
  lightweight: boolean;
  /** Connections the family lists that are surely gone: dropped from the list as this one joins it. */
  stale?: string[];
  /** The answer if the login is revoked while this connection is being bound. */
  refusal: ErrorString;
}

/**
 * Binds the connection; if its item is gone, asks API Gateway: a socket it
 * still lists (its item expired, or a push's 410 was taken as gone) gets its
 * item back and logs in; a closed one is answered `not authenticated` (nobody
 * hears it).
 */
async function bindLive(deps: Deps, connectionId: string, binding: Binding): Promise<void> {
  if (await bindSession(deps, connectionId, binding)) return;
  const connectedAt = await deps.push.connectedAt(connectionId);
  const restored = connectedAt !== undefined && (await restoreConnection(deps, connectionId, connectedAt, deps.now().getTime()));
  if (!restored || !(await bindSession(deps, connectionId, binding))) throw new ProtocolError(ERRORS.notAuthenticated, 'connection closed during login');
}

async function openSession(deps: Deps, connectionId: string, s: SessionStart): Promise<AuthResult> {
  await bindLive(deps, connectionId, { userId: s.user.id, domainId: s.domain.id, familyId: s.familyId, lightweight: s.lightweight });
  const goneBy = epochSeconds(deps.now()) + deps.config.connectionTtlSeconds;
  if (!(await attachConnection(deps, s.familyId, { connectionId, goneBy }, s.stale))) {
    // Revoked meanwhile (the same token replayed in the same instant): this connection must not stay logged in.
    await connectionEnded(deps, await unbindConnection(deps, connectionId, s.familyId));
    throw new ProtocolError(s.refusal, 'login revoked while binding');
  }
  // Lives as long as the connection can: every login (so every new connection) gets fresh urls.
  const capability = await issueFileCapability(deps.config, { userId: s.user.id, familyId: s.familyId }, deps.config.connectionTtlSeconds, deps.now());
  // The push goes out while the ack is prepared (and the other devices are logged out): none waits for another.
  const [token] = await Promise.all([
    issueToken(deps.config, { userId: s.user.id, familyId: s.familyId, jti: s.jti, domainId: s.domain.id }, deps.now()),
    pushToConnection(deps, { connectionId, userId: s.user.id, lightweight: s.lightweight }, 'storage urls', storageUrls(deps.config.filesUrl, capability)),
    s.domain.single_device ? logOutOtherDevices(deps, s.user.id, connectionId, s.familyId) : undefined,
  ]);
  return { userId: s.user.id, token };
}

/** One-device domains: every other device is told, loses its login and is closed. */
async function logOutOtherDevices(deps: Deps, userId: number, keep: string, keepFamily: string): Promise<void> {
  const others = (await connectionsOfUser(deps, userId)).filter((c) => c.connectionId !== keep);
  await mapBounded(others, deps.config.pushConcurrency, async (other) => {
    // A reconnect of this same login may leave its stale connection behind: close it, keep the login.
    if (other.familyId !== keepFamily) await revokeFamily(deps, other.familyId);
    await closeDevice(deps, other, 'another device logged in');
  });
}

/** Tells a device its login is over, forgets its connection and closes it. */
async function closeDevice(deps: Deps, device: BoundConnection | Connection, reason: 'another device logged in' | null): Promise<void> {
  await pushToConnection(deps, device, 'log out please', reason);
  await connectionEnded(deps, await closeConnection(deps, device.connectionId));
  await deps.push.disconnect(device.connectionId);
}

/**
 * Revokes logins: each family dies, and every connection bound under it —
 * those its item lists, and `seen` ones found bound under it otherwise — is
 * unbound (if still bound under it) and told so. A connection bound but not
 * yet listed finds the family gone and unbinds itself (openSession). By
 * default `subscribe please`: the device keeps its local data (keys,
 * history) and only has to log in again. `logOut` (a disabled account): `log
 * out please` and the connection is closed.
 */
async function revokeLogins(
  deps: Deps,
  familyIds: readonly string[],
  options: { seen?: BoundConnection[]; except?: string; logOut?: boolean } = {},
): Promise<string[]> {
  const listed = await mapBounded(familyIds, deps.config.pushConcurrency, async (familyId) =>
    (await revokeFamily(deps, familyId)).map((connectionId) => ({ connectionId, familyId })),
  );
  const targets = new Map([...listed.flat(), ...(options.seen ?? [])].map((c) => [c.connectionId, c.familyId]));
  if (options.except) targets.delete(options.except);
  const asked = await mapBounded([...targets], deps.config.pushConcurrency, async ([connectionId, familyId]) => {
    const unbound = await unbindConnection(deps, connectionId, familyId);
    if (!unbound) return undefined;
    await connectionEnded(deps, unbound);
    if (options.logOut) await closeDevice(deps, unbound, null);
    else await pushToConnection(deps, unbound, 'subscribe please', 'token expired');
    return connectionId;
  });
  return asked.filter((id) => id !== undefined);
}

/** Revokes a login whose token was replayed: every connection it authenticated must authenticate again. */
export async function endFamily(deps: Deps, familyId: string): Promise<void> {
  await revokeLogins(deps, [familyId]);
}

/** Every login of the user: those gsi1 lists, and those seen through a bound connection (gsi1 lags a little). */
async function loginsOf(deps: Deps, userId: number) {
  const [indexed, connections] = await Promise.all([familiesOfUser(deps, userId), connectionsOfUser(deps, userId)]);
  return { families: new Set([...indexed, ...connections.map((c) => c.familyId)]), connections };
}

/**
 * Revokes every login of the user but `keepFamilyId` (after a password
 * change): the families die first, so a device told `subscribe please` cannot
 * come back with its old token. The caller's own login and connection stay.
 * Returns the connections asked to authenticate again.
 */
export async function endOtherLogins(deps: Deps, userId: number, keepFamilyId: string): Promise<string[]> {
  const { families, connections } = await loginsOf(deps, userId);
  families.delete(keepFamilyId);
  return revokeLogins(deps, [...families], { seen: connections.filter((c) => c.familyId !== keepFamilyId) });
}

/**
 * A disabled (or deleted) account: every login dies, every device is told
 * `log out please` and closed. Returns the connections closed.
 */
export async function logOutEverywhere(deps: Deps, userId: number): Promise<string[]> {
  const { families, connections } = await loginsOf(deps, userId);
  return revokeLogins(deps, [...families], { seen: connections, logOut: true });
}

/** `log me out`: the login is revoked; its other connections are asked to authenticate again. */
export async function logout(deps: Deps, session: BoundConnection): Promise<void> {
  await revokeLogins(deps, [session.familyId], { except: session.connectionId });
  await connectionEnded(deps, await unbindConnection(deps, session.connectionId));
  await pushToConnection(deps, session, 'log out please', null);
}
