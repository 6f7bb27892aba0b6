/**
 * Gives one user a large network quickly, for scale tests and benchmarks:
 * `contacts` accepted contacts (each with `keysPerContact` keys), then
 * `dialogs` dialogs and `groups` groups with them. Contacts, keys and links
 * are written in bulk (ids reserved in blocks, items built by the storage
 * modules, 25 a BatchWrite); dialogs and groups go through the domain
 * functions (`new dialog`, `new group`), as their frames would, so they obey
 * every rule. Nobody is online, so nothing is pushed.
 */
import { randomBytes } from 'node:crypto';
import type { Deps } from '../lambdas/deps';
import { newDialog } from '../lambdas/domain/dialogs';
import { newGroup } from '../lambdas/domain/groups';
import { formatDate } from '../lambdas/protocol/frames';
import type { BoundConnection } from '../lambdas/storage/connections';
import { reserveIds } from '../lambdas/storage/ids';
import { ringItem, type StoredKey } from '../lambdas/storage/keys';
import { linkItem, type LinkItem } from '../lambdas/storage/links';
import { mapBounded, putMany } from '../lambdas/storage/store';
import { getUser, userItems, type UserRecord } from '../lambdas/storage/users';

export interface NetworkSize {
  contacts: number;
  /** @default 2 (the first is the default key) */
  keysPerContact?: number;
  /** Dialogs of the owner with one contact each (round robin). @default 0 */
  dialogs?: number;
  /** Groups of the owner with `groupMembers` contacts each. @default 0 */
  groups?: number;
  /** @default 5 */
  groupMembers?: number;
  /** Usernames are `<prefix>-<n>`. @default a random one */
  prefix?: string;
}

export interface Network {
  contactIds: number[];
  dialogIds: number[];
  groupIds: number[];
}

const seal = (text: string) => Buffer.from(text).toString('base64');
const nameFor = (recipient: number, label: string) => ({ recipient_id: recipient, key_id: 1, key_from_id: 1, nonce: seal('nonce'), name: seal(`${label} for ${recipient}`) });

/** Contacts share the owner's password hash: each can log in with the owner's password. */
export async function provisionNetwork(deps: Deps, ownerId: number, size: NetworkSize): Promise<Network> {
  const owner = await getUser(deps, ownerId);
  if (!owner) throw new Error(`no user ${ownerId}`);
  const keysPer = size.keysPerContact ?? 2;
  const prefix = size.prefix ?? `net-${randomBytes(4).toString('hex')}`;
  const n = size.contacts;
  const date = formatDate(deps.now());
  const [firstUser, firstKey, firstLink] = await Promise.all([
    reserveIds(deps, 'user', n),
    reserveIds(deps, 'key', n * keysPer),
    reserveIds(deps, 'link', n),
  ]);
  const items: Record<string, unknown>[] = [];
  const contactIds: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = firstUser + i;
    contactIds.push(id);
    const user: UserRecord = {
      id,
      username: `${prefix}-${i}`,
      first_name: `First${i}`,
      last_name: `Last${i}`,
      avatar: null,
      domain_id: owner.domain_id,
      passwordHash: owner.passwordHash,
      is_planned_password_change: false,
      is_planned_client_update: false,
      created_at: date,
      updated_at: date,
    };
    const keys: StoredKey[] = Array.from({ length: keysPer }, (_, k) => ({ id: firstKey + i * keysPer + k, name: randomBytes(32).toString('base64'), created_at: date, updated_at: date }));
    const shared = { id: firstLink + i, from_user_id: ownerId, to_user_id: id, status: 'accepted' as const, created_at: date, updated_at: date, created_by: ownerId, updated_by: ownerId };
    const side = (owner: number, other: number): LinkItem => ({ ...shared, owner, other, listed: true, read: true, version: 1 });
    items.push(...userItems(user), ringItem({ userId: id, keys, defaultKeyId: keys[0]?.id ?? null, version: 1 }), linkItem(side(ownerId, id)), linkItem(side(id, ownerId)));
  }
  await putMany(deps, items);

  const session: BoundConnection = { connectionId: 'provisioning', connectedAt: Date.now(), expiresAt: 0, userId: ownerId, domainId: owner.domain_id, familyId: 'provisioning', lightweight: false };
  const pick = (i: number) => contactIds[i % n]!;
  const dialogIds = (
    await mapBounded(Array.from({ length: size.dialogs ?? 0 }, (_, i) => i), 8, (i) => {
      const recipients = [ownerId, pick(i)];
      return newDialog(deps, session, { recipients, bodies: recipients.map((r) => nameFor(r, `dialog ${i}`)), dialog: { group_id: null } });
    })
  ).map((d) => d.id);
  const members = size.groupMembers ?? 5;
  const groupIds = (
    await mapBounded(Array.from({ length: size.groups ?? 0 }, (_, i) => i), 8, (i) => {
      const recipients = [ownerId, ...Array.from({ length: Math.min(members, n) }, (_, m) => pick(i * members + m))];
      return newGroup(deps, session, { recipients, bodies: recipients.map((r) => nameFor(r, `group ${i}`)), admin_id: ownerId, avatar: null });
    })
  ).map((g) => g.id);
  return { contactIds, dialogIds, groupIds };
}
