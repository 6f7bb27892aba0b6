/**
 * The objects of protocol §3 built from stored items, for one viewer: a
 * viewer only ever gets the body addressed to them.
 */
import type { Dialog, DialogName, Group, GroupName, Message } from '../protocol/objects';
import type { DialogHead, StoredName } from '../storage/dialogs';
import type { GroupRecord } from '../storage/groups';
import { defaultKeyOf, type Keyring } from '../storage/keys';
import type { InboxItem } from '../storage/messages';

const recipientsOf = (ids: number[]) => Object.fromEntries(ids.map((id) => [String(id), { id }]));

export function dialogName(dialogId: number, viewer: number, name: StoredName): DialogName {
  return { id: dialogId, dialog_id: dialogId, recipient_id: viewer, ...pickName(name) };
}

const pickName = ({ key_id, key_from_id, nonce, name, created_at, updated_at }: StoredName) => ({ key_id, key_from_id, nonce, name, created_at, updated_at });

export function dialogView(head: DialogHead, viewer: number, name: StoredName | undefined): Dialog {
  return {
    id: head.id,
    group_id: head.group_id,
    created_at: head.created_at,
    updated_at: head.updated_at,
    created_by: head.created_by,
    updated_by: head.updated_by,
    Body: name ? { [String(viewer)]: dialogName(head.id, viewer, name) } : {},
    Recipients: recipientsOf(head.recipients),
  };
}

export function groupView(group: GroupRecord, viewer: number, rings: ReadonlyMap<number, Keyring>): Group {
  const name = group.bodies?.[String(viewer)];
  const body: GroupName | undefined = name ? { id: group.id, group_id: group.id, recipient_id: viewer, ...pickName(name) } : undefined;
  return {
    id: group.id,
    avatar: group.avatar,
    admin_id: group.admin_id,
    created_at: group.created_at,
    updated_at: group.updated_at,
    created_by: group.created_by,
    updated_by: group.updated_by,
    Recipients: Object.fromEntries(
      Object.values(group.members).map((m) => {
        const ring = rings.get(m.id);
        return [String(m.id), { id: m.id, username: m.username, domain_id: m.domain_id, key: ring ? defaultKeyOf(ring) : null }];
      }),
    ),
    // Every member has a name; a viewer without one is a programming error, shown as an empty body rather than a crash.
    Body: body ?? { id: group.id, group_id: group.id, recipient_id: viewer, key_id: 0, key_from_id: 0, nonce: '', name: '', created_at: group.created_at, updated_at: group.updated_at },
  };
}

/** A recipient's copy as a message; `light` (lightweight connections) leaves out Body and Attachments. */
export function messageView(copy: InboxItem, light = false): Message {
  const header: Message = {
    id: copy.id,
    dialog_id: copy.dialog_id,
    type: copy.type,
    edited_at: copy.edited_at,
    created_by: copy.created_by,
    created_at: copy.created_at,
    updated_by: copy.updated_by,
    updated_at: copy.updated_at,
    Creator: { id: copy.creator.id, username: copy.creator.username, domain_id: copy.creator.domain_id },
  };
  if (light) return header;
  const { body } = copy;
  return {
    ...header,
    Body: {
      id: copy.id,
      body: body.body,
      nonce: body.nonce,
      key_id: body.key_id,
      key_from_id: body.key_from_id,
      read_date: body.read_date,
      is_received: body.read_date !== null,
      props: null,
      message_id: copy.id,
      recipient_id: copy.recipient_id,
      created_at: copy.created_at,
      updated_at: body.updated_at,
    },
    Attachments: copy.attachments.map((a) => ({
      id: a.id,
      unique: a.unique,
      size: a.size,
      message_id: copy.id,
      created_at: copy.created_at,
      updated_at: copy.updated_at,
      Body: {
        id: a.id,
        name: a.name,
        crypto: a.crypto,
        nonce: a.nonce,
        attachment_id: a.id,
        recipient_id: copy.recipient_id,
        key_id: a.key_id,
        key_from_id: a.key_from_id,
        created_at: copy.created_at,
        updated_at: copy.updated_at,
      },
    })),
  };
}
