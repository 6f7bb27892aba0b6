/**
 * Who hears about a user: the answers to "whose clients must learn of this
 * user's presence / keys", in one place so that groups (issue 4) are added
 * once, here.
 */
import type { Deps } from '../deps';
import { linksOf, type LinksQuery } from '../storage/links';

/** The other users of a user's links (one Query of the user's partition). */
export async function contactIdsOf(deps: Deps, userId: number, filter: LinksQuery = {}): Promise<number[]> {
  return (await linksOf(deps, userId, filter)).map((link) => link.other);
}

/**
 * Members of the groups the user belongs to, the user excluded.
 * Groups do not exist yet: issue 4 fills this in (with a fixed number of
 * requests, e.g. a Query of the user's memberships and a BatchGet of the
 * groups' member lists). `give me keys` and the `user changed key` push
 * already go through here.
 */
export async function groupCoMemberIdsOf(_deps: Deps, _userId: number): Promise<number[]> {
  return [];
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
