/**
 * Payload schemas of the client-emitted frames (protocol §4). A payload that
 * fails its schema is answered `wrong data provided` before anything is read
 * or written. Unknown keys are dropped, not refused: old clients send extras.
 */
import { z } from 'zod';
import { UUID_V4 } from './file-ids';
import { MESSAGE_TYPES } from './objects';

export const LIMITS = {
  username: 64,
  password: 1024,
  token: 4096,
  search: 64,
  /** first_name / last_name, in characters. */
  name: 128,
  /**
   * Members of a group, recipients of a dialog. Bounded by DynamoDB's 100
   * actions per transaction: a message to n recipients is n + 3 actions (n + 2
   * more link checks outside groups), and `edit group` must fit a kick, an
   * invitation and two service messages in one transaction (see
   * docs/access-patterns.md, "Transactions").
   */
  recipients: 30,
  /** Dialogs of one group: a kick rewrites every dialog the kicked member is in, in the same transaction. */
  groupDialogs: 10,
  /** Service messages in one `edit group`. */
  editMessages: 4,
  /** Encrypted message body (base64 characters): a message must fit API Gateway's 128 KB anyway. */
  messageBody: 100_000,
  /** Nonces (base64 characters). */
  nonce: 256,
  /** Encrypted dialog, group or attachment names (base64 characters). */
  encryptedName: 2048,
  /** An attachment's encrypted key material (base64 characters). */
  crypto: 2048,
  /** Attachments of a message: their ids are the message id + 1 … + 15. */
  attachments: 15,
  /**
   * A whole `new message` / `edit group` payload, as JSON: API Gateway's
   * message limit. Keeps a transaction far below DynamoDB's 4 MB and every
   * item (one recipient's copy) far below 400 KB.
   */
  payloadBytes: 128 * 1024,
  /** `get messages before`: default and greatest `limit`. */
  pageDefault: 30,
  pageMax: 100,
  /** Ids in one `read messages`. */
  readIds: 1000,
  /** `message.client_id`. */
  clientId: 64,
} as const;

export const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const noData = z.unknown();

/** A public key: canonical base64 of exactly 32 bytes (43 characters and one `=`; the last character carries 4 bits). */
export const publicKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'base64 of 32 bytes');

/**
 * An opaque encrypted field: base64, standard or URL-safe alphabet, padded or
 * not (clients' crypto libraries differ). The server never decodes it.
 */
export function isBase64(value: string): boolean {
  if (!/^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/.test(value)) return false;
  const bare = value.replace(/=+$/, '');
  if (bare.length % 4 === 1) return false;
  return bare.length === value.length || value.length % 4 === 0;
}

const base64 = (max: number) => z.string().max(max).refine(isBase64, 'base64');

/** Dates in: the protocol's `YYYY-MM-DD HH:mm:ss` (UTC), or ISO 8601 as JSON.stringify(Date) writes it. */
export function parseDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m) return undefined;
  const zone = m[8] === undefined || m[8] === 'Z' ? 'Z' : m[8].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const date = z.string().max(40).refine((v) => parseDate(v) !== undefined, 'a date YYYY-MM-DD HH:mm:ss');

const ids = (max: number) => z.array(id).max(max);

const keyIds = { recipient_id: id, key_id: id, key_from_id: id };

/** An encrypted dialog or group name for one recipient. */
export const nameBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), name: base64(LIMITS.encryptedName) });

/** A message body for one recipient. */
export const messageBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), body: base64(LIMITS.messageBody) });

const attachmentBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), name: base64(LIMITS.encryptedName), crypto: base64(LIMITS.crypto) });

const attachment = z.object({
  unique: z.string().regex(UUID_V4, 'a UUID v4'),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  bodies: z.array(attachmentBody).max(LIMITS.recipients),
});

/** Types a client may send; `message.updated` / `message.deleted` come from `update message` only. */
export const SENDABLE_TYPES = MESSAGE_TYPES.filter((t) => t !== 'message.updated' && t !== 'message.deleted') as Exclude<
  (typeof MESSAGE_TYPES)[number],
  'message.updated' | 'message.deleted'
>[];

const messageContent = {
  bodies: z.array(messageBody).min(1).max(LIMITS.recipients),
  attachments: z.array(attachment).max(LIMITS.attachments).nullish().transform((a) => a ?? []),
  as_read: z.boolean().nullish().transform((v) => v ?? false),
};

/** A payload that would not fit API Gateway's message limit (and so DynamoDB's item and transaction limits). */
const withinPayloadLimit = (value: unknown) => JSON.stringify(value).length <= LIMITS.payloadBytes;

export const USERLINK_ACTIONS = ['request', 'accept', 'reject', 'withdraw', 'remove', 'read'] as const;

const credentials = z.object({
  username: z.string().trim().min(1).max(LIMITS.username),
  password: z.string().min(1).max(LIMITS.password),
});

export const schemas = {
  authByCredentials: credentials,
  authByToken: z.object({
    userId: id,
    token: z.string().min(1).max(LIMITS.token),
    isLightweight: z.boolean().optional(),
  }),
  noData,
  findContacts: z.object({ search: z.string().min(1).max(LIMITS.search) }),
  handleUserlink: z.object({ from_user_id: id, to_user_id: id, action: z.enum(USERLINK_ACTIONS) }),
  newKey: z.object({ name: publicKey, is_default: z.boolean() }),
  setDefaultKey: z.object({ id }),
  // Blank names pass here and get `enter name and last name` from the handler.
  changeProfile: z.object({
    first_name: z.string().max(LIMITS.name),
    last_name: z.string().max(LIMITS.name),
  }),
  changePassword: z.object({
    current: z.string().min(1).max(LIMITS.password),
    new: z.string().min(1).max(LIMITS.password),
    newAgain: z.string().max(LIMITS.password),
  }),
  // `avatar` is checked by the handler: a missing or bad one is `please provide avatar uuid`.
  changeAvatar: z.object({
    avatar: z.unknown().optional(),
    is_group: z.boolean().optional(),
    id: id.optional(),
  }),
  deleteAvatar: z
    .object({
      is_group: z.boolean().optional(),
      id: id.optional(),
    })
    .optional(),
  newDialog: z.object({
    bodies: z.array(nameBody).min(1).max(LIMITS.recipients),
    recipients: ids(LIMITS.recipients).min(1),
    dialog: z
      .object({ group_id: id.nullish() })
      .nullish()
      .transform((d) => ({ group_id: d?.group_id ?? null })),
  }),
  renameDialog: z.object({ id, bodies: z.array(nameBody).min(1).max(LIMITS.recipients) }),
  newGroup: z.object({
    bodies: z.array(nameBody).min(1).max(LIMITS.recipients),
    recipients: ids(LIMITS.recipients).min(1),
    admin_id: id,
    // Checked by the handler (a UUID v4 or nothing).
    avatar: z.string().max(64).nullish(),
  }),
  editGroup: z
    .object({
      group: z.object({
        id,
        recipients: ids(LIMITS.recipients).min(1),
        added: ids(LIMITS.recipients).nullish().transform((a) => a ?? []),
        kicked: ids(LIMITS.recipients).nullish().transform((a) => a ?? []),
        bodies: z.array(nameBody).max(LIMITS.recipients).nullish().transform((a) => a ?? []),
      }),
      dialogs: z
        .array(z.object({ id, bodies: z.array(nameBody).min(1).max(LIMITS.recipients), recipients: ids(LIMITS.recipients).min(1) }))
        .max(LIMITS.groupDialogs)
        .nullish()
        .transform((a) => a ?? []),
      messages: z
        .array(z.object({ message: z.object({ dialog_id: id, type: z.enum(SENDABLE_TYPES) }), ...messageContent }))
        .max(LIMITS.editMessages)
        .nullish()
        .transform((a) => a ?? []),
    })
    .refine(withinPayloadLimit, 'over 128 KB'),
  newMessage: z
    .object({
      message: z.object({
        dialog_id: id,
        type: z.enum(SENDABLE_TYPES).nullish().transform((t) => t ?? 'message.default'),
        client_id: z.string().min(1).max(LIMITS.clientId).nullish(),
      }),
      ...messageContent,
    })
    .refine(withinPayloadLimit, 'over 128 KB'),
  getMessagesBefore: z.object({
    dialog_id: id,
    last_date: date,
    first_date: date.nullish(),
    // Over the maximum is clamped, not refused: old clients ask for more.
    limit: z.number().int().positive().nullish().transform((l) => Math.min(l ?? LIMITS.pageDefault, LIMITS.pageMax)),
  }),
  updateMessage: z
    .object({
      id,
      bodies: z.array(messageBody).max(LIMITS.recipients).nullish().transform((a) => a ?? []),
      toDelete: z.boolean().nullish().transform((v) => v ?? false),
    })
    .refine(withinPayloadLimit, 'over 128 KB'),
  readMessages: z.object({ ids: ids(LIMITS.readIds) }),
} as const;

export type Credentials = z.infer<typeof credentials>;
export type TokenLogin = z.infer<typeof schemas.authByToken>;
export type UserlinkRequest = z.infer<typeof schemas.handleUserlink>;
export type NewKeyRequest = z.infer<typeof schemas.newKey>;
export type FindContactsRequest = z.infer<typeof schemas.findContacts>;
export type SetDefaultKeyRequest = z.infer<typeof schemas.setDefaultKey>;
export type ProfileChange = z.infer<typeof schemas.changeProfile>;
export type PasswordChange = z.infer<typeof schemas.changePassword>;
export type AvatarChange = z.infer<typeof schemas.changeAvatar>;
export type AvatarDeletion = z.infer<typeof schemas.deleteAvatar>;
export type NameBodyInput = z.infer<typeof nameBody>;
export type MessageBodyInput = z.infer<typeof messageBody>;
export type AttachmentInput = z.infer<typeof attachment>;
export type NewDialogRequest = z.infer<typeof schemas.newDialog>;
export type RenameDialogRequest = z.infer<typeof schemas.renameDialog>;
export type NewGroupRequest = z.infer<typeof schemas.newGroup>;
export type EditGroupRequest = z.infer<typeof schemas.editGroup>;
export type NewMessageRequest = z.infer<typeof schemas.newMessage>;
export type GetMessagesBeforeRequest = z.infer<typeof schemas.getMessagesBefore>;
export type UpdateMessageRequest = z.infer<typeof schemas.updateMessage>;
export type ReadMessagesRequest = z.infer<typeof schemas.readMessages>;
