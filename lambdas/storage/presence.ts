/**
 * Presence: one item per user (`USER#<id>` / `PRESENCE`) with one attribute
 * per authenticated connection, `c#<connectionId>` = `{ exp, light }`.
 *
 * Joining SETs the connection's attribute, leaving REMOVEs it, each in one
 * UpdateItem that returns the item as it was (ALL_OLD). DynamoDB applies the
 * updates of one item one after the other, so exactly one caller sees the
 * live set go from empty to not empty (it announces `online`) and exactly one
 * sees it go from not empty to empty (it announces `offline`), however many
 * devices connect or leave at the same moment.
 *
 * A member is live while `exp` (epoch seconds) is in the future. `exp` is an
 * upper bound of the connection's life (login time + the connection TTL, which
 * outlasts API Gateway's 2-hour limit), so a member whose `$disconnect` was
 * missed stops counting by itself instead of keeping its user online forever;
 * such stale members are removed by the next join or leave of that user.
 * The item also serves pushes: a BatchGet of many users' presence items lists
 * their live connections without a Query per user.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, isConditionFailure, readEach, ref, type Item, type Store } from './store';

export const presenceKey = (userId: number) => ({ pk: `USER#${userId}`, sk: 'PRESENCE' });

const PREFIX = 'c#';

export interface PresenceMember {
  connectionId: string;
  /** Epoch seconds after which the member no longer counts. */
  exp: number;
  /** A lightweight connection (only some pushes). */
  light: boolean;
}

function membersOf(item: Item | undefined): PresenceMember[] {
  if (!item) return [];
  return Object.entries(item)
    .filter(([name]) => name.startsWith(PREFIX))
    .map(([name, value]) => ({ connectionId: name.slice(PREFIX.length), ...(value as { exp: number; light: boolean }) }));
}

/** A user's presence members (none: an empty list). */
export const presenceRef = (userId: number) => ref(presenceKey(userId), membersOf);

export const liveMembers = (members: PresenceMember[], now = Date.now()) => members.filter((m) => m.exp > epochSeconds(now));

/** Removes members that expired (found by a join or leave); best effort, idempotent. */
async function prune(store: Store, userId: number, stale: PresenceMember[]): Promise<void> {
  if (stale.length === 0) return;
  const names = Object.fromEntries(stale.map((m, i) => [`#s${i}`, PREFIX + m.connectionId]));
  await store.db.send(
    new UpdateCommand({
      TableName: store.config.dataTable,
      Key: presenceKey(userId),
      UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
      ExpressionAttributeNames: names,
    }),
  );
}

/** Adds a connection; `cameOnline` is true for exactly one of concurrent joins of an offline user. */
export async function joinPresence(store: Store, userId: number, member: PresenceMember, now = Date.now()): Promise<{ cameOnline: boolean }> {
  const { Attributes } = await store.db.send(
    new UpdateCommand({
      TableName: store.config.dataTable,
      Key: presenceKey(userId),
      UpdateExpression: 'SET #m = :m, userId = :u',
      ExpressionAttributeNames: { '#m': PREFIX + member.connectionId },
      ExpressionAttributeValues: { ':m': { exp: member.exp, light: member.light }, ':u': userId },
      ReturnValues: 'ALL_OLD',
    }),
  );
  const before = membersOf(Attributes);
  const live = liveMembers(before, now);
  await prune(store, userId, before.filter((m) => !live.includes(m) && m.connectionId !== member.connectionId));
  return { cameOnline: live.length === 0 };
}

/** Removes a connection; `wentOffline` is true for exactly one caller: the one that removed the last live member. */
export async function leavePresence(store: Store, userId: number, connectionId: string, now = Date.now()): Promise<{ wentOffline: boolean }> {
  let Attributes: Record<string, unknown> | undefined;
  try {
    ({ Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: presenceKey(userId),
        UpdateExpression: 'REMOVE #m',
        ConditionExpression: 'attribute_exists(#m)',
        ExpressionAttributeNames: { '#m': PREFIX + connectionId },
        ReturnValues: 'ALL_OLD',
      }),
    ));
  } catch (error) {
    // Not a member (already left): someone else did the transition, if any.
    if (isConditionFailure(error)) return { wentOffline: false };
    throw error;
  }
  const before = membersOf(Attributes);
  const live = liveMembers(before, now);
  await prune(store, userId, before.filter((m) => !live.includes(m) && m.connectionId !== connectionId));
  return { wentOffline: live.length > 0 && live.every((m) => m.connectionId === connectionId) };
}

/** Live members of many users: one BatchGet per 100 users. Users without live connections are absent. */
/** Live connections by user id, as read from presence items. */
export type Presences = ReadonlyMap<number, PresenceMember[]>;

export async function presenceOf(store: Store, userIds: readonly number[], now = Date.now()): Promise<Map<number, PresenceMember[]>> {
  const found = await readEach(store, userIds, (id) => ({ members: presenceRef(id) }));
  const result = new Map<number, PresenceMember[]>();
  for (const [id, { members }] of found) {
    const live = liveMembers(members, now);
    if (live.length > 0) result.set(id, live);
  }
  return result;
}
