/**
 * The contact-link state machine (protocol §4 `handle userlink`), pure: what
 * an action of one user does to the pair's link, decided from the two items
 * as read. domain/contacts.ts reads the pair, asks `planTransition` and
 * writes the plan; test/link-rules.test.ts checks every action in every state
 * from both sides against a table.
 *
 * A link has one canonical status — requested (from → to), accepted,
 * rejected (to refused from's request), withdrawn — and each side its own
 * `listed` and `read`. What a user sees (`link_status`) is derived.
 */
import type { FrameData } from '../protocol/events';
import type { LinkStatus } from '../protocol/objects';
import type { LinkItem, LinkSide, SharedLink } from '../storage/links';

export type UserlinkAction = FrameData<'handle userlink'>['action'];
/** The actions that change the link (`read` only sets the caller's flag). */
export type LinkAction = Exclude<UserlinkAction, 'read'>;

/** The status of a link as `viewer` sees it (protocol §3 link_status). */
export function statusFor(link: Pick<SharedLink, 'status' | 'from_user_id'>, viewer: number): LinkStatus {
  if (link.status === 'requested') return link.from_user_id === viewer ? 'requested' : 'received';
  return link.status;
}

export interface PairState {
  /** The caller's item and the other user's item (either may be missing). */
  mine?: LinkItem;
  theirs?: LinkItem;
}

export interface Plan {
  status: SharedLink['status'];
  from: number;
  to: number;
  me: LinkSide;
  them: LinkSide;
  /** The status changed (dates and author move; `remove` only hides). */
  touch: boolean;
  /** What the other user is told. */
  notify: 'container' | 'update' | 'none';
}

export const shared = (pair: PairState) => pair.mine ?? pair.theirs;

/** `request` is valid: no link, a withdrawn one, or one the caller rejected (they changed their mind). */
export function canRequest(link: SharedLink | undefined, me: number): boolean {
  return !link || link.status === 'withdrawn' || (link.status === 'rejected' && link.to_user_id === me);
}

/**
 * The transition `action` of `me` on the pair, or undefined when it makes no
 * sense (answered `something went wrong`, nothing written).
 */
export function planTransition(action: LinkAction, pair: PairState, me: number, them: number): Plan | undefined {
  const link = shared(pair);
  const themListed = pair.theirs?.listed ?? false;
  const receivedByMe = link?.status === 'requested' && link.to_user_id === me;
  switch (action) {
    case 'request':
      // Both asked at the same time: the second request is an acceptance.
      if (receivedByMe) return planTransition('accept', pair, me, them);
      if (!canRequest(link, me)) return undefined;
      return { status: 'requested', from: me, to: them, me: { listed: true, read: true }, them: { listed: true, read: false }, touch: true, notify: themListed ? 'update' : 'container' };
    case 'accept':
      if (!receivedByMe) return undefined;
      return { status: 'accepted', from: link.from_user_id, to: me, me: { listed: true, read: true }, them: { listed: true, read: false }, touch: true, notify: 'container' };
    case 'reject':
      // The requester sees `rejected`; the request leaves the rejecter's list.
      if (!receivedByMe) return undefined;
      return { status: 'rejected', from: link.from_user_id, to: me, me: { listed: false, read: true }, them: { listed: themListed, read: false }, touch: true, notify: themListed ? 'update' : 'none' };
    case 'withdraw':
      // The requester takes a request back, or either side breaks an accepted link off.
      if (!link || !((link.status === 'requested' && link.from_user_id === me) || link.status === 'accepted')) return undefined;
      return { status: 'withdrawn', from: link.from_user_id, to: link.to_user_id, me: { listed: true, read: true }, them: { listed: themListed, read: false }, touch: true, notify: themListed ? 'update' : 'none' };
    case 'remove':
      // Only dead entries leave the list: a withdrawn link, or my request they rejected.
      if (!link || !pair.mine?.listed || !(link.status === 'withdrawn' || (link.status === 'rejected' && link.from_user_id === me))) return undefined;
      return { status: link.status, from: link.from_user_id, to: link.to_user_id, me: { listed: false, read: true }, them: { listed: themListed, read: pair.theirs?.read ?? true }, touch: false, notify: 'none' };
  }
}

