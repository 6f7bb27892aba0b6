/**
 * Dialogs: three kinds of items.
 *
 *   head        pk = `DIALOG#<id>`, sk = `HEAD`    recipients, dates, authors, `version`, `lastId`
 *   names       pk = `DIALOG#<id>`, sk = `NAMES`   `bodies`: recipient id → encrypted name
 *   membership  pk = `USER#<user>`, sk = `DIALOG#<id>`   `groupId`, `since`
 *
 * The head is small and is the dialog's lock: every change of the recipients
 * or the names is a write of the head conditional on the `version` (and
 * `lastId`) read, and bumps `version`; every message moves `lastId` forward,
 * conditional on `version` (the recipients it was addressed to are still the
 * dialog's) and on `lastId` being smaller (messages of a dialog commit in id
 * order). The names of all recipients live in one item, so renaming or
 * re-encrypting a dialog is one write whatever its size; membership items are
 * written only when someone joins or leaves, and list a user's dialogs with one
 * Query of their partition. `since` is the dialog's `lastId` when the user
 * joined: a newer `lastId` is a message the user received.
 */
import type { EncryptedNameFields, Stamps } from '../protocol/objects';
import { fieldsDecoder, queryPrefix, ref, type Item, type Store } from './store';
import type { Transaction } from './transact';

/** An encrypted name as stored for one recipient (keyed by recipient; the id is the dialog's or group's). */
export type StoredName = Omit<EncryptedNameFields, 'id' | 'recipient_id'>;

export interface DialogHead extends Stamps {
  id: number;
  group_id: number | null;
  recipients: number[];
  /** Bumped by every change of recipients or names. */
  version: number;
  /** The newest message's id (0: none yet). */
  lastId: number;
}

export interface DialogMembership {
  dialogId: number;
  groupId: number | null;
  since: number;
}

export const dialogHeadKey = (id: number) => ({ pk: `DIALOG#${id}`, sk: 'HEAD' });
export const dialogNamesKey = (id: number) => ({ pk: `DIALOG#${id}`, sk: 'NAMES' });
export const dialogMemberKey = (userId: number, dialogId: number) => ({ pk: `USER#${userId}`, sk: `DIALOG#${dialogId}` });

const HEAD_FIELDS = ['id', 'group_id', 'created_at', 'updated_at', 'created_by', 'updated_by', 'recipients', 'version', 'lastId'] as const;

const toHead = fieldsDecoder<DialogHead>(HEAD_FIELDS);
export const dialogHeadRef = (id: number) => ref(dialogHeadKey(id), toHead);

/** The names item: recipient id → name (read with `dialogProjection(viewer)`, that viewer's only). */
export const dialogNamesRef = (id: number) => ref(dialogNamesKey(id), (item): Record<string, StoredName> => ({ ...((item?.bodies as Record<string, StoredName> | undefined) ?? {}) }));

const toMembership = (item: Item): DialogMembership => ({ dialogId: item.dialogId as number, groupId: (item.groupId as number | null) ?? null, since: (item.since as number) ?? 0 });
export const dialogMemberRef = (userId: number, dialogId: number) => ref(dialogMemberKey(userId, dialogId), (item) => (item ? toMembership(item) : undefined));

/**
 * One BatchGet projection for heads and names together, that reads of the
 * names only the viewer's body (a dialog of 30 holds 30 names).
 */
export const dialogProjection = (viewer: number) => ({
  expression: ['pk', 'sk', ...HEAD_FIELDS.map((f) => `#${f}`), '#bodies.#viewer'].join(', '),
  names: { ...Object.fromEntries(HEAD_FIELDS.map((f) => [`#${f}`, f])), '#bodies': 'bodies', '#viewer': String(viewer) },
});

/** The user's dialog memberships (one Query of their partition). */
export async function dialogMembershipsOf(store: Store, userId: number): Promise<DialogMembership[]> {
  const items = await queryPrefix(store, `USER#${userId}`, 'DIALOG#');
  return items.map(toMembership);
}

// ---------------------------------------------------------------- writes (into a transaction)

const headItem = (head: DialogHead) => ({ ...dialogHeadKey(head.id), ...head });

/** A new dialog's head; fails (tag `dialogId`) if the id is taken. */
export function createHead(tx: Transaction, head: DialogHead): void {
  tx.put('dialogId', headItem(head), { expression: 'attribute_not_exists(pk)' });
}

/** Rewrites a head, only if nobody changed it (nor sent a message) since it was read. */
export function replaceHead(tx: Transaction, head: DialogHead, read: Pick<DialogHead, 'version' | 'lastId'>): void {
  tx.put(`dialog:${head.id}`, headItem(head), {
    expression: '#version = :version AND #lastId = :lastId',
    names: { '#version': 'version', '#lastId': 'lastId' },
    values: { ':version': read.version, ':lastId': read.lastId },
  });
}

/** A rename: new dates and version, only if nobody changed the recipients or names since `readVersion` (messages may come meanwhile). */
export function touchHead(tx: Transaction, head: DialogHead, readVersion: number): void {
  tx.update(
    `dialog:${head.id}`,
    dialogHeadKey(head.id),
    {
      expression: 'SET updated_at = :at, updated_by = :by, #version = :next',
      values: { ':at': head.updated_at, ':by': head.updated_by, ':next': head.version },
    },
    { expression: '#version = :version', names: { '#version': 'version' }, values: { ':version': readVersion } },
  );
}

/** A message: `lastId` moves to `id`, if the recipients are still those read (`version`) and no newer message came first. */
export function advanceLastId(tx: Transaction, dialogId: number, version: number, id: number): void {
  tx.update(
    `dialog:${dialogId}`,
    dialogHeadKey(dialogId),
    { expression: 'SET #lastId = :id', names: { '#lastId': 'lastId' }, values: { ':id': id } },
    { expression: '#version = :version AND #lastId < :id', names: { '#version': 'version' }, values: { ':version': version } },
  );
}

/** The recipients are still those read (no member joined or left). */
export function checkVersion(tx: Transaction, dialogId: number, version: number): void {
  tx.check(`dialog:${dialogId}`, dialogHeadKey(dialogId), {
    expression: '#version = :version',
    names: { '#version': 'version' },
    values: { ':version': version },
  });
}

export function putNames(tx: Transaction, dialogId: number, bodies: Record<string, StoredName>): void {
  tx.put(`names:${dialogId}`, { ...dialogNamesKey(dialogId), bodies });
}

/** Drops the names of users who left (no read needed). */
export function removeNames(tx: Transaction, dialogId: number, userIds: number[]): void {
  if (userIds.length === 0) return;
  const names = Object.fromEntries(userIds.map((u, i) => [`#u${i}`, String(u)]));
  tx.update(`names:${dialogId}`, dialogNamesKey(dialogId), {
    expression: `REMOVE ${Object.keys(names).map((n) => `#bodies.${n}`).join(', ')}`,
    names: { ...names, '#bodies': 'bodies' },
  });
}

/** A membership item: derived from the head (written after it, by writeMany; repaired by the stream consumer). */
export const dialogMembershipItem = (userId: number, membership: DialogMembership) => ({ ...dialogMemberKey(userId, membership.dialogId), ...membership });
