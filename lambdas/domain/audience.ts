/**
 * Who hears about a user: the answers to "whose clients must learn of this
 * user's presence / keys", in one place.
 */
import type { Deps } from '../deps';
import { groupIdsOf, groupRef, isMember, memberIdsOf, membersProjection } from '../storage/groups';
import { linksOf, type LinksQuery } from '../storage/links';
import { readEach } from '../storage/store';

/** The other users of a user's links (one Query of the user's partition). */
export async function contactIdsOf(deps: Deps, userId: number, filter: LinksQuery = {}): Promise<number[]> {
  return (await linksOf(deps, userId, filter)).map((link) => link.other);
}

/**
 * Members of the groups the user belongs to, the user excluded: a Query of
 * the user's group memberships and a BatchGet of those groups' member lists
 * (100 groups a request). `give me keys` and `user changed key` use it.
 */
export async function groupCoMemberIdsOf(deps: Deps, userId: number, options: { former?: boolean } = {}): Promise<number[]> {
  const ids = await groupIdsOf(deps, userId);
  const found = await readEach(deps, ids, (id) => ({ group: groupRef(id) }), { projection: membersProjection });
  const members = [...found.values()].flatMap(({ group }) => {
    if (!isMember(group, userId)) return [];
    return options.former ? [...memberIdsOf(group), ...(group.former ?? [])] : memberIdsOf(group);
  });
  return [...new Set(members)].filter((id) => id !== userId);
}

/**
 * Users whose clients need this user's public keys: everyone linked with the
 * user (any status — they may hold messages encrypted with those keys) and
 * every group co-member.
 */
export async function keyAudienceOf(deps: Deps, userId: number): Promise<number[]> {
  const [contacts, coMembers] = await Promise.all([contactIdsOf(deps, userId), groupCoMemberIdsOf(deps, userId)]);
  return [...new Set([...contacts, ...coMembers])].filter((id) => id !== userId);
}

/**
 * Users whose keys this user may need to decrypt what they hold: the key
 * audience, plus members kicked from the user's groups (their old messages
 * stay in the group's dialogs).
 */
export async function keySourcesOf(deps: Deps, userId: number): Promise<number[]> {
  const [contacts, coMembers] = await Promise.all([contactIdsOf(deps, userId), groupCoMemberIdsOf(deps, userId, { former: true })]);
  return [...new Set([...contacts, ...coMembers])].filter((id) => id !== userId);
}
