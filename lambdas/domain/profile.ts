/** The caller's own user (protocol §3 "user (self)") and the profile frames that change it (§4 profile). */
import type { Deps } from '../deps';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { SelfUser } from '../protocol/objects';
import { isUuidV4 } from '../protocol/file-ids';
import type { FrameData } from '../protocol/events';
import type { BoundConnection } from '../storage/connections';
import { domainRef, publicDomain } from '../storage/domains';
import { keyringRef, keysOf } from '../storage/keys';
import { failuresRef } from '../storage/login-failures';
import { readRecords } from '../storage/store';
import { reindexUserSearch } from '../storage/user-search';
import { getUser, updateUser, userRef, UserChangedError } from '../storage/users';
import { setGroupAvatar } from './groups';
import { hashPassword, verifyPassword } from './passwords';
import { endOtherLogins, limitedPasswordCheck } from './sessions';

export async function whoAmI(deps: Deps, session: BoundConnection): Promise<SelfUser> {
  const { user, domain, ring } = await readRecords(deps, { user: userRef(session.userId), domain: domainRef(session.domainId), ring: keyringRef(session.userId) });
  if (!user || !domain) throw new Error(`user ${session.userId} or domain ${session.domainId} missing`);
  const { id, name, url, passphrase, is_base, config } = publicDomain(domain);
  return {
    id: user.id,
    first_name: user.first_name,
    last_name: user.last_name,
    avatar: user.avatar,
    username: user.username,
    is_planned_password_change: user.is_planned_password_change,
    is_planned_client_update: user.is_planned_client_update,
    PublicKeys: keysOf(ring),
    Domain: { id, name, url, passphrase, is_base, config },
  };
}

/**
 * A name that shows nothing: only whitespace and invisible format characters
 * (Unicode White_Space and Cf: zero-width spaces and joiners, BOM, bidi marks).
 */
export const isBlankName = (name: string): boolean => /^[\p{White_Space}\p{Cf}]*$/u.test(name);

/** `change profile`: both names, trimmed; blank ones are refused. */
export async function changeProfile(deps: Deps, session: BoundConnection, { first_name, last_name }: FrameData<'change profile'>): Promise<void> {
  const first = first_name.trim();
  const last = last_name.trim();
  if (isBlankName(first) || isBlankName(last)) throw new ProtocolError(ERRORS.enterName);
  const user = await updateUser(deps, session.userId, { first_name: first, last_name: last }, { now: deps.now() });
  // `find contacts` matches names: their index entries follow.
  await reindexUserSearch(deps, user);
}

/** Passwords compare as scrypt hashes them (NFKC), so "new must not match old" cannot be dodged by normalisation. */
const samePassword = (a: string, b: string) => a.normalize('NFKC') === b.normalize('NFKC');

/**
 * `change password`. Cheap checks on the payload first; then `current` is
 * checked as login checks a password, counted in the same failure window as
 * logins of this username (one budget of guesses per password, whichever way
 * they come); then the new hash is stored (only over the hash just verified),
 * the planned change is cleared, and every other login of the user is revoked.
 * The caller's own login (token family) and connection keep working.
 */
export async function changePassword(deps: Deps, session: BoundConnection, change: FrameData<'change password'>): Promise<void> {
  const { config } = deps;
  if (change.new !== change.newAgain) throw new ProtocolError(ERRORS.passwordsDiffer);
  if (samePassword(change.new, change.current)) throw new ProtocolError(ERRORS.passwordUnchanged);
  const user = await getUser(deps, session.userId);
  if (!user) throw new Error(`user ${session.userId} missing`);
  const { failures } = await readRecords(deps, { failures: failuresRef(user.username) });
  await limitedPasswordCheck(deps, user.username, failures, async () => (await verifyPassword(change.current, user.passwordHash)) || false);
  const passwordHash = await hashPassword(change.new, config.scryptLogN);
  try {
    await updateUser(
      deps,
      session.userId,
      { passwordHash, is_planned_password_change: false },
      { expectedPasswordHash: user.passwordHash, now: deps.now() },
    );
  } catch (error) {
    // Another change got in between: `current` is no longer the password.
    if (error instanceof UserChangedError) throw new ProtocolError(ERRORS.wrongPassword, 'changed concurrently');
    throw error;
  }
  await endOtherLogins(deps, session.userId, session.familyId);
}

/**
 * `change avatar`: the avatar is the UUID v4 of a file the client has
 * uploaded to the file server; stored as sent. The server does not check the
 * file exists, nor delete the previous one (clients do, as before). With
 * `is_group: true` it is the avatar of group `id`, admin only (see groups).
 */
export async function changeAvatar(deps: Deps, session: BoundConnection, { avatar, is_group, id }: FrameData<'change avatar'>): Promise<void> {
  if (!isUuidV4(avatar)) throw new ProtocolError(ERRORS.provideAvatar);
  if (is_group === true) return setGroupAvatar(deps, session, id ?? undefined, avatar);
  await updateUser(deps, session.userId, { avatar }, { now: deps.now() });
}

/** `delete avatar`: the user (or, with `is_group: true`, group `id`, admin only) has no avatar (`null`) again. */
export async function deleteAvatar(deps: Deps, session: BoundConnection, data: FrameData<'delete avatar'>): Promise<void> {
  if (data?.is_group === true) return setGroupAvatar(deps, session, data.id ?? undefined, null);
  await updateUser(deps, session.userId, { avatar: null }, { now: deps.now() });
}
