/**
 * Presence (protocol §4 `give me presence`, §5 `online` / `offline`): a user
 * is online while at least one authenticated connection lives. Every path
 * that binds a connection goes through `bindSession`; every path that unbinds
 * or forgets one calls `connectionEnded` with what it removed. The transitions
 * are decided by the presence item (storage/presence.ts), so each is announced
 * exactly once. A connection a push finds gone is forgotten here too
 * (`pushToConnection`), so every push goes through this module.
 * docs/access-patterns.md explains the design and its limits.
 */
import type { Deps } from '../deps';
import { log } from '../log';
import type { PushName, ServerPushes } from '../protocol/events';
import type { Presence } from '../protocol/objects';
import { bindConnection, closeConnection, type Binding, type Connection } from '../storage/connections';
import { linksOf } from '../storage/links';
import { joinPresence, leavePresence, presenceOf, type PresenceMember, type Presences } from '../storage/presence';
import { epochSeconds, mapBounded } from '../storage/store';
import { contactIdsOf } from './audience';

/** Lightweight connections (`isLightweight`) receive only these pushes. */
const LIGHTWEIGHT_PUSHES: ReadonlySet<PushName> = new Set<PushName>(['log out please', 'subscribe please', 'messages']);

/** Where a push goes: a connection, and the user it was found under (presence member or binding). */
export interface PushTarget {
  connectionId: string;
  userId?: number;
  lightweight?: boolean;
}

/**
 * The one way a push is delivered: lightweight connections get only
 * LIGHTWEIGHT_PUSHES; a connection found gone is forgotten and leaves
 * presence (its user may go offline); a failure is logged, never thrown — one
 * failing device must not fail the frame or stop the others.
 */
export async function pushToConnection<P extends PushName>(deps: Deps, target: PushTarget, event: P, data: ServerPushes[P]): Promise<void> {
  if (target.lightweight && !LIGHTWEIGHT_PUSHES.has(event)) return;
  try {
    if ((await deps.push.toConnection(target.connectionId, event, data)) === 'gone') await connectionGone(deps, target);
  } catch (error) {
    // The cause is logged, not the payload.
    log.error('push failed', { event, connectionId: target.connectionId, error: String(error) });
  }
}

/**
 * API Gateway no longer knows the connection (a lost `$disconnect`): its item
 * goes, and presence ends for the user it was bound to and the user it was
 * found under (usually one; leaving twice is a no-op).
 */
async function connectionGone(deps: Deps, target: PushTarget): Promise<void> {
  const removed = await closeConnection(deps, target.connectionId);
  const users = new Set([removed?.userId ?? removed?.lastUserId, target.userId].filter((id) => id !== undefined));
  for (const userId of users) await endPresence(deps, userId, target.connectionId);
}

/**
 * Pushes to every live connection of many users, found through their presence
 * items (one BatchGet per 100 users, no Query per user), posting in parallel
 * with the configured bound.
 */
export async function pushToUsers<P extends PushName>(deps: Deps, userIds: readonly number[], event: P, data: ServerPushes[P]): Promise<void> {
  await pushEach(deps, userIds, event, () => data);
}

/** Pushes to the live members already read from presence items (user id → members). */
export async function pushToMembers<P extends PushName>(deps: Deps, present: ReadonlyMap<number, PresenceMember[]>, event: P, data: ServerPushes[P]): Promise<void> {
  await pushEachToMembers(deps, present, event, () => data);
}

/**
 * Pushes to many users, each their own payload: `dataFor(userId, light)` (a
 * lightweight connection gets what `light` asks for; undefined sends nothing
 * to that user). Connections are found through the users' presence items (one
 * BatchGet per 100 users); `except` leaves out one connection (the sender's).
 */
export async function pushEach<P extends PushName>(
  deps: Deps,
  userIds: readonly number[],
  event: P,
  dataFor: (userId: number, light: boolean) => ServerPushes[P] | undefined,
  options: { except?: string; present?: Presences } = {},
): Promise<void> {
  if (userIds.length === 0) return;
  const ids = [...new Set(userIds)];
  // A caller pushing several frames to the same people reads their presence once and passes it.
  const present = options.present
    ? new Map(ids.flatMap((id) => (options.present!.has(id) ? [[id, options.present!.get(id)!] as const] : [])))
    : await presenceOf(deps, ids, deps.now().getTime());
  await pushEachToMembers(deps, present, event, dataFor, options);
}

async function pushEachToMembers<P extends PushName>(
  deps: Deps,
  present: ReadonlyMap<number, PresenceMember[]>,
  event: P,
  dataFor: (userId: number, light: boolean) => ServerPushes[P] | undefined,
  options: { except?: string } = {},
): Promise<void> {
  const targets = [...present].flatMap(([userId, members]) =>
    members
      .filter((m) => m.connectionId !== options.except)
      .flatMap((m) => {
        const data = dataFor(userId, m.light);
        return data === undefined ? [] : [{ target: { userId, connectionId: m.connectionId, lightweight: m.light }, data }];
      }),
  );
  await mapBounded(targets, deps.config.pushConcurrency, ({ target, data }) => pushToConnection(deps, target, event, data));
}

/** Tells a user's accepted contacts that the user came online or went offline. */
export async function announce(deps: Deps, userId: number, event: 'online' | 'offline'): Promise<void> {
  await pushToUsers(deps, await contactIdsOf(deps, userId, { status: 'accepted' }), event, [userId]);
}

async function endPresence(deps: Deps, userId: number, connectionId: string): Promise<void> {
  const { wentOffline } = await leavePresence(deps, userId, connectionId, deps.now().getTime());
  if (wentOffline) await announce(deps, userId, 'offline');
}

/**
 * Binds a connection to a user and joins presence. The member is added before
 * the binding: a `$disconnect` that deletes the connection first makes the
 * (conditional) binding fail, and we leave again; one that comes after the
 * binding finds it and leaves. So no member outlives its connection.
 * Returns false if the connection is gone.
 */
export async function bindSession(deps: Deps, connectionId: string, binding: Binding): Promise<boolean> {
  const now = deps.now().getTime();
  const member = { connectionId, exp: epochSeconds(now) + deps.config.connectionTtlSeconds, light: binding.lightweight };
  const { cameOnline } = await joinPresence(deps, binding.userId, member, now);
  const before = await bindConnection(deps, connectionId, binding, now);
  if (!before) {
    const { wentOffline } = await leavePresence(deps, binding.userId, connectionId, now);
    // Both transitions were ours: nobody saw anything. One of them only: someone relied on us to announce it.
    if (cameOnline && !wentOffline) await announce(deps, binding.userId, 'online');
    if (!cameOnline && wentOffline) await announce(deps, binding.userId, 'offline');
    return false;
  }
  // The connection was logged in as someone else: that user's membership ends.
  if ((before.userId ?? before.lastUserId ?? binding.userId) !== binding.userId) await connectionEnded(deps, before);
  if (cameOnline) await announce(deps, binding.userId, 'online');
  return true;
}

/**
 * A connection was unbound or deleted (`connection` is what the write removed;
 * undefined if nothing). A deleted connection that had been unbound still
 * names its last user: if whoever unbound it did not end its presence, this
 * does (leaving twice is a no-op).
 */
export async function connectionEnded(deps: Deps, connection: Connection | undefined): Promise<void> {
  const userId = connection?.userId ?? connection?.lastUserId;
  if (connection && userId !== undefined) await endPresence(deps, userId, connection.connectionId);
}

/** `give me presence`: every listed contact; only `accepted` contacts can be seen online. */
export async function givePresence(deps: Deps, userId: number): Promise<Presence> {
  const links = await linksOf(deps, userId, { listed: true });
  const online = await presenceOf(deps, links.filter((l) => l.status === 'accepted').map((l) => l.other), deps.now().getTime());
  return Object.fromEntries(links.map((l) => [String(l.other), online.has(l.other)]));
}
