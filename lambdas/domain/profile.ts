/** The caller's own user object (protocol §3 "user (self)"). */
import type { Deps } from '../deps';
import type { SelfUser } from '../protocol/objects';
import type { BoundConnection } from '../storage/connections';
import { domainKey, publicDomain, type DomainRecord } from '../storage/domains';
import { keyringFrom, keyringKey, keysOf } from '../storage/keys';
import { getMany, keyOf } from '../storage/store';
import { userKey, type UserRecord } from '../storage/users';

export async function whoAmI(deps: Deps, session: BoundConnection): Promise<SelfUser> {
  const found = await getMany(deps, [userKey(session.userId), domainKey(session.domainId), keyringKey(session.userId)]);
  const user = found.get(keyOf(userKey(session.userId))) as UserRecord | undefined;
  const domain = found.get(keyOf(domainKey(session.domainId))) as DomainRecord | undefined;
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
    PublicKeys: keysOf(keyringFrom(found, session.userId)),
    Domain: { id, name, url, passphrase, is_base, config },
  };
}
