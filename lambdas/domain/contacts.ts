/**
 * Contact lists (protocol §4 "users, contacts, presence"): `give me users`,
 * `find contacts`, `handle userlink`, and `linkUsers` for operators.
 *
 * A link has one canonical status — requested (from → to), accepted,
 * rejected (to refused from's request), withdrawn — and each side its own
 * `listed` and `read`. What a user sees (`link_status`) is derived:
 * `requested` for the requester, `received` for the addressee, the status
 * itself otherwise. The rules are the pure link-rules.ts (planTransition);
 * docs/access-patterns.md explains them.
 */
import type { Deps } from '../deps';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { ContactUser, Dialog, FoundUser, Link, Message, UserContainer, UserlinkUpdate } from '../protocol/objects';
import { formatDate } from '../protocol/frames';
import type { FrameData } from '../protocol/events';
import type { BoundConnection } from '../storage/connections';
import { domainRef, getDomain, type DomainRecord } from '../storage/domains';
import { nextId } from '../storage/ids';
import { keyringRef, keysOf, type Keyring } from '../storage/keys';
import { LinkConflictError, linkRef, linksOf, markRead, writePair, type LinkItem, type SharedLink } from '../storage/links';
import { liveMembers, presenceRef, type PresenceMember } from '../storage/presence';
import { retry } from '../storage/retry';
import { readEach, readRecords } from '../storage/store';
import { normaliseSearch, searchUsers } from '../storage/user-search';
import { userRef, type UserRecord } from '../storage/users';
import { dialogMembershipsOf } from '../storage/dialogs';
import { unreadCopies } from '../storage/messages';
import { dialogsFor } from './dialogs';
import { ANSWER_BUDGET_BYTES, newestAndUnread, UNREAD_LIMIT } from './messages';
import { canRequest, planTransition, shared, statusFor, type PairState, type Plan } from './link-rules';
import { pushToMembers, pushToUsers } from './presence';

/** `find contacts` answers at most this many users ... */
export const FIND_LIMIT = 50;
/** ... reading at most this many index pages of 100 entries (a fixed cost). */
const FIND_PAGES = 5;

// ---------------------------------------------------------------- views

/** The link object (§3) as its owner sees it: the owner's own `read`. */
export function linkObject(link: LinkItem): Link {
  const { id, from_user_id, to_user_id, status, read, created_at, updated_at, created_by, updated_by } = link;
  return { id, from_user_id, to_user_id, status, read, created_at, updated_at, created_by, updated_by };
}

/** A user as a contact of `link.owner` (§3): names and avatar only once accepted. */
export function contactOf(link: LinkItem, user: UserRecord, ring: Keyring): ContactUser {
  const status = statusFor(link, link.owner);
  const visible = status === 'accepted';
  const keys = keysOf(ring);
  return {
    id: user.id,
    first_name: visible ? user.first_name : '',
    last_name: visible ? user.last_name : '',
    username: user.username,
    avatar: visible ? user.avatar : null,
    domain_id: user.domain_id,
    LinkedWith: [linkObject(link)],
    PublicKeys: keys,
    key: keys.find((k) => k.is_default) ?? null,
    link_status: status,
    link_status_read: link.read,
    link_status_date: link.updated_at,
  };
}

/**
 * Dialogs and messages between two users, for `user container` and the
 * `request` result: the dialogs outside groups that both are recipients of,
 * as `userId` sees them, with the newest message of each and the unread ones
 * (as `give me messages` chooses them). A Query of the memberships; if any
 * dialog is outside groups, a BatchGet of heads and names; if one is shared,
 * the unread Query and a BatchGet of the newest copies.
 */
export async function conversationOf(deps: Deps, userId: number, otherId: number): Promise<{ dialogs: Dialog[]; messages: Message[] }> {
  const outside = (await dialogMembershipsOf(deps, userId)).filter((m) => m.groupId === null);
  if (outside.length === 0) return { dialogs: [], messages: [] };
  const dialogs = [...(await dialogsFor(deps, userId, outside.map((m) => m.dialogId))).values()].filter((d) => d.head.recipients.includes(otherId));
  if (dialogs.length === 0) return { dialogs: [], messages: [] };
  const visible = dialogs.map((d) => ({ membership: outside.find((m) => m.dialogId === d.head.id)!, head: d.head }));
  const messages = await newestAndUnread(deps, userId, visible, await unreadCopies(deps, userId, UNREAD_LIMIT, ANSWER_BUDGET_BYTES));
  return { dialogs: dialogs.map((d) => d.view).sort((a, b) => a.id - b.id), messages };
}

// ---------------------------------------------------------------- pair I/O

interface Pair extends PairState {
  me: number;
  them: number;
  domain?: DomainRecord;
  users: Map<number, UserRecord>;
  rings: Map<number, Keyring>;
  present: Map<number, PresenceMember[]>;
}

/** Everything a pair transition needs, in one (consistent) BatchGet of 9 keys. */
async function loadPair(deps: Deps, me: number, them: number, domainId?: number): Promise<Pair> {
  const r = await readRecords(
    deps,
    {
      domain: domainId !== undefined ? domainRef(domainId) : undefined,
      mine: linkRef(me, them),
      theirs: linkRef(them, me),
      myUser: userRef(me),
      theirUser: userRef(them),
      myRing: keyringRef(me),
      theirRing: keyringRef(them),
      myPresence: presenceRef(me),
      theirPresence: presenceRef(them),
    },
    { consistent: true },
  );
  const now = deps.now().getTime();
  const sides = [
    { id: me, user: r.myUser, ring: r.myRing, live: liveMembers(r.myPresence, now) },
    { id: them, user: r.theirUser, ring: r.theirRing, live: liveMembers(r.theirPresence, now) },
  ];
  return {
    me,
    them,
    domain: r.domain,
    mine: r.mine,
    theirs: r.theirs,
    users: new Map(sides.flatMap((s) => (s.user ? [[s.id, s.user] as const] : []))),
    rings: new Map(sides.map((s) => [s.id, s.ring])),
    present: new Map(sides.flatMap((s) => (s.live.length > 0 ? [[s.id, s.live] as const] : []))),
  };
}

interface Committed {
  mine: LinkItem;
  theirs: LinkItem;
}

/** Writes a plan (LinkConflictError if the pair changed since `pair` was read). */
async function commit(deps: Deps, pair: Pair, plan: Plan): Promise<Committed> {
  const previous = shared(pair);
  const date = formatDate(deps.now());
  const link: SharedLink = {
    id: previous?.id ?? (await nextId(deps, 'link')),
    from_user_id: plan.from,
    to_user_id: plan.to,
    status: plan.status,
    created_at: previous?.created_at ?? date,
    updated_at: plan.touch || !previous ? date : previous.updated_at,
    created_by: previous?.created_by ?? pair.me,
    updated_by: plan.touch || !previous ? pair.me : previous.updated_by,
  };
  const written = await writePair(deps, {
    a: pair.me,
    b: pair.them,
    link,
    sides: { a: plan.me, b: plan.them },
    versions: { a: pair.mine?.version, b: pair.theirs?.version },
  });
  return { mine: written.a, theirs: written.b };
}

type Transition = { pair: Pair; plan: Plan; written: Committed } | { pair: Pair; plan?: undefined; written?: undefined };

/**
 * Reads the pair, asks `decide` for a plan (undefined: nothing to write; it
 * may throw to refuse), and writes it. A pair that changed between the read
 * and the write is read and decided again (storage/retry.ts's policy).
 */
async function transition(deps: Deps, me: number, them: number, domainId: number | undefined, decide: (pair: Pair) => Plan | undefined): Promise<Transition> {
  return retry(
    async (): Promise<Transition> => {
      const pair = await loadPair(deps, me, them, domainId);
      const plan = decide(pair);
      if (!plan) return { pair };
      return { pair, plan, written: await commit(deps, pair, plan) };
    },
    (error) => error instanceof LinkConflictError,
  );
}

/** After a link became accepted, each side learns whether the other is online. */
async function exchangePresence(deps: Deps, pair: Pair): Promise<void> {
  const tell = (to: number, about: number) =>
    pair.present.has(about) && pair.present.has(to) ? pushToMembers(deps, new Map([[to, pair.present.get(to)!]]), 'online', [about]) : undefined;
  await Promise.all([tell(pair.me, pair.them), tell(pair.them, pair.me)]);
}

async function container(deps: Deps, link: LinkItem, user: UserRecord, ring: Keyring, withConversation: boolean): Promise<UserContainer> {
  const conversation = withConversation ? await conversationOf(deps, link.owner, link.other) : { dialogs: [], messages: [] };
  return { user: contactOf(link, user, ring), ...conversation };
}

/** Tells `to` about the change of its link with `about` (user container or userlink update). */
async function notify(deps: Deps, kind: Plan['notify'], link: LinkItem, about: UserRecord, ring: Keyring, wasListed: boolean): Promise<void> {
  if (kind === 'container') {
    await pushToUsers(deps, [link.owner], 'user container', await container(deps, link, about, ring, !wasListed));
  } else if (kind === 'update') {
    const update: UserlinkUpdate = { user_id: about.id, date: link.updated_at, status: statusFor(link, link.owner) };
    await pushToUsers(deps, [link.owner], 'userlink update', update);
  }
}

// ---------------------------------------------------------------- frames

/** `handle userlink` (§4): the caller acts on their link with `to_user_id`. */
export async function handleUserlink(deps: Deps, session: BoundConnection, input: FrameData<'handle userlink'>): Promise<UserContainer | 'success'> {
  if (input.from_user_id !== session.userId) throw new ProtocolError(ERRORS.accessDenied, 'from_user_id is not the caller');
  const me = session.userId;
  const them = input.to_user_id;
  if (input.action === 'read') {
    // Allowed whatever the domain says: it changes nothing but the caller's own flag.
    if (them === me || !(await markRead(deps, me, them))) throw new ProtocolError(ERRORS.somethingWentWrong, 'no such link');
    return 'success';
  }
  const action = input.action;
  const { pair, plan, written } = await transition(deps, me, them, session.domainId, (pair) => {
    if (!pair.domain?.config.contactlist_management_by_user) throw new ProtocolError(ERRORS.accessDenied, 'contact list managed by the domain');
    const other = pair.users.get(them);
    if (them === me || !other || !pair.users.has(me)) throw new ProtocolError(ERRORS.somethingWentWrong, 'no such user');
    // Users find and ask users of their own domain; another domain looks exactly like nobody.
    if (!shared(pair) && other.domain_id !== session.domainId) throw new ProtocolError(ERRORS.somethingWentWrong, 'no such user');
    const plan = planTransition(action, pair, me, them);
    if (!plan) throw new ProtocolError(ERRORS.somethingWentWrong, `${action} is not valid now`);
    return plan;
  });
  if (!plan) throw new Error('unreachable: every userlink action writes');
  await notify(deps, plan.notify, written.theirs, pair.users.get(me)!, pair.rings.get(me)!, pair.theirs?.listed ?? false);
  if (plan.status === 'accepted') await exchangePresence(deps, pair);
  if (action === 'request' || action === 'accept') {
    // An accept answers with no conversation (protocol §4); a request (even one that became an acceptance) with it.
    return container(deps, written.mine, pair.users.get(them)!, pair.rings.get(them)!, action === 'request');
  }
  return 'success';
}

/** `give me users` (§4): the caller's contact list. One Query, then one BatchGet per 50 contacts. */
export async function giveMeUsers(deps: Deps, userId: number): Promise<ContactUser[]> {
  const links = await linksOf(deps, userId, { listed: true });
  const found = await readEach(deps, links, (l) => ({ user: userRef(l.other), ring: keyringRef(l.other) }));
  return [...found].flatMap(([link, { user, ring }]) => (user ? [contactOf(link, user, ring)] : []));
}

/**
 * `find contacts` (§4): users of the caller's domain whose username, first or
 * last name starts with the search text (see storage/user-search.ts),
 * without the caller and without users already in the list (or who cannot
 * be asked: they rejected the caller). At most FIND_LIMIT.
 */
export async function findContacts(deps: Deps, session: BoundConnection, search: string): Promise<FoundUser[]> {
  const domain = await getDomain(deps, session.domainId);
  if (!domain?.config.contactlist_management_by_user) throw new ProtocolError(ERRORS.accessDenied, 'contact list managed by the domain');
  const prefix = normaliseSearch(search);
  if (!prefix) return [];
  const links = await linksOf(deps, session.userId);
  const excluded = new Set([session.userId, ...links.filter((l) => l.listed || !canRequest(l, session.userId)).map((l) => l.other)]);
  const found = new Map<number, FoundUser>();
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < FIND_PAGES && found.size < FIND_LIMIT; page++) {
    const { hits, next } = await searchUsers(deps, session.domainId, prefix, 100, start);
    for (const hit of hits) {
      if (found.size < FIND_LIMIT && !excluded.has(hit.userId)) found.set(hit.userId, { id: hit.userId, username: hit.username, domain_id: hit.domain_id });
    }
    if (!next) break;
    start = next;
  }
  return [...found.values()];
}

/**
 * Operators: makes two users `accepted` contacts, whatever their link was
 * and whatever their domains say. Idempotent: an accepted link both list is
 * left alone. Both users get `user container` (and `online` of the other).
 */
export async function linkUsers(deps: Deps, userIdA: number, userIdB: number): Promise<Link> {
  if (userIdA === userIdB) throw new Error('a user cannot be linked with themselves');
  const { pair, plan, written } = await transition(deps, userIdA, userIdB, undefined, (pair) => {
    if (!pair.users.has(userIdA) || !pair.users.has(userIdB)) throw new Error(`no user ${pair.users.has(userIdA) ? userIdB : userIdA}`);
    const link = shared(pair);
    if (link?.status === 'accepted' && pair.mine?.listed && pair.theirs?.listed) return undefined;
    return {
      status: 'accepted',
      from: link?.from_user_id ?? userIdA,
      to: link?.to_user_id ?? userIdB,
      me: { listed: true, read: false },
      them: { listed: true, read: false },
      touch: true,
      notify: 'container',
    };
  });
  if (!plan) return linkObject(pair.mine!);
  const [a, b] = [pair.users.get(userIdA)!, pair.users.get(userIdB)!];
  await Promise.all([
    notify(deps, 'container', written.theirs, a, pair.rings.get(userIdA)!, pair.theirs?.listed ?? false),
    notify(deps, 'container', written.mine, b, pair.rings.get(userIdB)!, pair.mine?.listed ?? false),
  ]);
  await exchangePresence(deps, pair);
  return linkObject(written.mine);
}
