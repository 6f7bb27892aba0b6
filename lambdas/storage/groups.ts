/**
 * Groups: two kinds of items.
 *
 *   group       pk = `GROUP#<id>`, sk = `GROUP`   admin, avatar, dates, authors,
 *               `members` (id → { id, username, domain_id }), `bodies` (id → encrypted
 *               name), `dialogs` (ids of the group's dialogs), `version`
 *   membership  pk = `USER#<user>`, sk = `GROUP#<id>`   `groupId`
 *
 * The group item is the truth about who belongs: every change is a write
 * conditional on the `version` read (and bumps it). It holds every member's
 * encrypted name, so re-encrypting the name is one write; membership items are
 * written when someone joins or leaves and list a user's groups with one Query.
 * Members' keys are not copied: they are read from the keyrings when a group
 * is shown, so a new default key needs no group write.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Stamps } from '../protocol/objects';
import type { StoredName } from './dialogs';
import { fieldsDecoder, isConditionFailure, queryPrefix, ref, type Store } from './store';
import type { Transaction } from './transact';

export interface StoredMember {
  id: number;
  username: string;
  domain_id: number;
}

export interface GroupRecord extends Stamps {
  id: number;
  admin_id: number;
  avatar: string | null;
  members: Record<string, StoredMember>;
  bodies: Record<string, StoredName>;
  dialogs: number[];
  version: number;
  /** Kicked members: the others keep their messages, so `give me keys` still serves their keys. */
  former?: number[];
}

export const groupKey = (id: number) => ({ pk: `GROUP#${id}`, sk: 'GROUP' });
export const groupMemberKey = (userId: number, groupId: number) => ({ pk: `USER#${userId}`, sk: `GROUP#${groupId}` });

const FIELDS = ['id', 'admin_id', 'avatar', 'created_at', 'updated_at', 'created_by', 'updated_by', 'members', 'bodies', 'dialogs', 'version', 'former'] as const;

const toGroup = fieldsDecoder<GroupRecord>(FIELDS);
export const groupRef = (id: number) => ref(groupKey(id), toGroup);

export const memberIdsOf = (group: Pick<GroupRecord, 'members'>): number[] => Object.keys(group.members).map(Number);

export const isMember = (group: Pick<GroupRecord, 'members'> | undefined, userId: number): group is GroupRecord =>
  group !== undefined && Object.hasOwn(group.members, String(userId));

/** Reads of many groups: everything but other members' names (`bodies` only the viewer's). */
export const groupProjection = (viewer: number) => ({
  expression: ['pk', 'sk', ...FIELDS.filter((f) => f !== 'bodies').map((f) => `#${f}`), '#bodies.#viewer'].join(', '),
  names: { ...Object.fromEntries(FIELDS.map((f) => [`#${f}`, f])), '#viewer': String(viewer) },
});

/** Only the member lists (the audience of a user's keys). */
export const membersProjection = { expression: 'pk, sk, #members, #former', names: { '#members': 'members', '#former': 'former' } };

/** Ids of the groups a user belongs to (one Query of their partition). */
export async function groupIdsOf(store: Store, userId: number): Promise<number[]> {
  return (await queryPrefix(store, `USER#${userId}`, 'GROUP#')).map((i) => i.groupId as number);
}

// ---------------------------------------------------------------- writes

const item = (group: GroupRecord) => ({ ...groupKey(group.id), ...group });

/** A new group; fails (tag `groupId`) if the id is taken. */
export function createGroup(tx: Transaction, group: GroupRecord): void {
  tx.put('groupId', item(group), { expression: 'attribute_not_exists(pk)' });
}

/** Rewrites the group, only if nobody changed it since it was read. */
export function replaceGroup(tx: Transaction, group: GroupRecord, readVersion: number): void {
  tx.put(`group:${group.id}`, item(group), {
    expression: '#version = :version',
    names: { '#version': 'version' },
    values: { ':version': readVersion },
  });
}

/** A new dialog of the group, only if the members are still those read. */
export function appendDialog(tx: Transaction, groupId: number, dialogId: number, readVersion: number): void {
  tx.update(
    `group:${groupId}`,
    groupKey(groupId),
    { expression: 'SET #dialogs = list_append(#dialogs, :d), #version = :next', names: { '#dialogs': 'dialogs' }, values: { ':d': [dialogId], ':next': readVersion + 1 } },
    { expression: '#version = :version', names: { '#version': 'version' }, values: { ':version': readVersion } },
  );
}

/** A membership item: derived from the group item (written after it, by writeMany; repaired by the stream consumer). */
export const groupMembershipItem = (userId: number, groupId: number) => ({ ...groupMemberKey(userId, groupId), groupId });

/**
 * Sets or clears the avatar, only if `adminId` is the group's admin (one
 * conditional UpdateItem). Returns the group as written, or undefined if
 * there is no such group or `adminId` is not its admin.
 */
export async function setAvatar(store: Store, groupId: number, adminId: number, avatar: string | null, date: string): Promise<GroupRecord | undefined> {
  try {
    const { Attributes } = await store.db.send(
      new UpdateCommand({
        TableName: store.config.dataTable,
        Key: groupKey(groupId),
        UpdateExpression: 'SET #avatar = :avatar, #updated_at = :date, #updated_by = :admin, #version = #version + :one',
        ConditionExpression: '#admin_id = :admin',
        ExpressionAttributeNames: { '#avatar': 'avatar', '#updated_at': 'updated_at', '#updated_by': 'updated_by', '#version': 'version', '#admin_id': 'admin_id' },
        ExpressionAttributeValues: { ':avatar': avatar, ':date': date, ':admin': adminId, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toGroup(Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
