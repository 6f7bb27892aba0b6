/**
 * Payload schemas of the client-emitted frames (protocol §4). A payload that
 * fails its schema is answered `wrong data provided` before anything is read
 * or written. Unknown keys are dropped, not refused: old clients send extras.
 *
 * Written with `zod/mini`, zod 4's functional API: every Lambda bundles this
 * module (through the route table), and unlike the classic API's methods,
 * mini's functions leave out of the bundle what no schema uses. Classic
 * `z.string().min(1).max(n)` is `z.string().check(z.minLength(1), z.maxLength(n))`,
 * `x.nullish()` is `z.nullish(x)`, `x.refine(f, m)` is `x.check(z.refine(f, m))`.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { UUID_V4 } from './file-ids';
import { MESSAGE_TYPES } from './objects';

/**
 * The classic API sets English issue messages on first use; mini leaves them
 * to us (otherwise every message is `Invalid input`). They end up in the log
 * line of a refused frame (`wrong data provided: username: Too big: …`).
 */
z.config(en());

export const LIMITS = {
  username: 64,
  password: 1024,
  token: 4096,
  search: 64,
  /** first_name / last_name, in characters. */
  name: 128,
  /**
   * Members of a group, recipients of a dialog: what the per-recipient bodies
   * of a short message still fit in API Gateway's 128 KB for. No transaction
   * grows with it: a message commits its item with the head, and the copies
   * and memberships follow by BatchWrite (docs/access-patterns.md).
   */
  recipients: 256,
  /**
   * Dialogs of one group: a kick rewrites the head and names of every dialog
   * the kicked member is in, in one transaction with the group and the
   * service messages: 1 + 2 · 40 + 4 = 85 of DynamoDB's 100 actions.
   */
  groupDialogs: 40,
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

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const id = z.int().check(z.positive(), z.maximum(MAX_SAFE));

/** A public key: canonical base64 of exactly 32 bytes (43 characters and one `=`; the last character carries 4 bits). */
export const publicKey = z.string().check(z.regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'base64 of 32 bytes'));

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

/**
 * zod runs its length checks on any value that has a `length`, even after the
 * type check failed: `{ "length": { "valueOf": "x" } }` where a string is due
 * then throws while comparing (`something went wrong` instead of `wrong data
 * provided`). Ours run only on a value of the right type (`when` is zod's
 * own hook for that; its params type leaves it out).
 */
const onlyOn = (is: (value: unknown) => boolean) => ({ when: (payload: { value: unknown }) => is(payload.value) }) as object;
const ifString = onlyOn((v) => typeof v === 'string');
const ifArray = onlyOn(Array.isArray);
const stringLength = (min: number, max: number) => [...(min > 0 ? [z.minLength(min, ifString)] : []), z.maxLength(max, ifString)];
const arrayLength = (min: number, max: number) => [...(min > 0 ? [z.minLength(min, ifArray)] : []), z.maxLength(max, ifArray)];

/** A string of at most `max` characters. */
const text = (max: number) => z.string().check(...stringLength(0, max));
/** A string of 1 to `max` characters. */
const nonEmpty = (max: number) => z.string().check(...stringLength(1, max));

const base64 = (max: number) => text(max).check(z.refine(isBase64, 'base64'));

/** Dates in: the protocol's `YYYY-MM-DD HH:mm:ss` (UTC), or ISO 8601 as JSON.stringify(Date) writes it. */
export function parseDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m) return undefined;
  const zone = m[8] === undefined || m[8] === 'Z' ? 'Z' : m[8].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const date = text(40).check(z.refine((v: string) => parseDate(v) !== undefined, 'a date YYYY-MM-DD HH:mm:ss'));

/** An array of at most `max` items. */
const upTo = <T extends z.core.SomeType>(item: T, max: number) => z.array(item).check(...arrayLength(0, max));
/** An array of 1 to `max` items. */
const oneTo = <T extends z.core.SomeType>(item: T, max: number) => z.array(item).check(...arrayLength(1, max));

const ids = (max: number) => upTo(id, max);
const someIds = (max: number) => oneTo(id, max);

/**
 * `schema`, or null / absent, turned into what the handler gets by `then`:
 * classic zod's `schema.nullish().transform(then)`.
 */
const nullishThen = <T extends z.core.SomeType, O>(schema: T, then: (value: z.output<T> | null | undefined) => O) =>
  z.pipe(z.nullish(schema), z.transform(then));

/** An array that may be null or absent: then empty. */
const listOrEmpty = <T extends z.core.SomeType>(list: z.ZodMiniArray<T>) => nullishThen(list, (a): z.output<T>[] => a ?? []);
const flagOrFalse = nullishThen(z.boolean(), (v) => v ?? false);

const keyIds = { recipient_id: id, key_id: id, key_from_id: id };

/** An encrypted dialog or group name for one recipient. */
export const nameBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), name: base64(LIMITS.encryptedName) });

/** A message body for one recipient. */
export const messageBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), body: base64(LIMITS.messageBody) });

const attachmentBody = z.object({ ...keyIds, nonce: base64(LIMITS.nonce), name: base64(LIMITS.encryptedName), crypto: base64(LIMITS.crypto) });

const attachment = z.object({
  unique: z.string().check(z.regex(UUID_V4, 'a UUID v4')),
  size: z.int().check(z.minimum(0), z.maximum(MAX_SAFE)),
  bodies: upTo(attachmentBody, LIMITS.recipients),
});

/** Types a client may send; `message.updated` / `message.deleted` come from `update message` only. */
export const SENDABLE_TYPES = MESSAGE_TYPES.filter((t) => t !== 'message.updated' && t !== 'message.deleted') as Exclude<
  (typeof MESSAGE_TYPES)[number],
  'message.updated' | 'message.deleted'
>[];

const messageContent = {
  bodies: oneTo(messageBody, LIMITS.recipients),
  attachments: listOrEmpty(upTo(attachment, LIMITS.attachments)),
  as_read: flagOrFalse,
};

/** A payload that would not fit API Gateway's message limit (and so DynamoDB's item and transaction limits). */
const withinPayloadLimit = () => z.refine((value: unknown) => JSON.stringify(value).length <= LIMITS.payloadBytes, 'over 128 KB');

export const USERLINK_ACTIONS = ['request', 'accept', 'reject', 'withdraw', 'remove', 'read'] as const;

const credentials = z.object({
  username: z.string().check(z.trim(), ...stringLength(1, LIMITS.username)),
  password: nonEmpty(LIMITS.password),
});

export const schemas = {
  authByCredentials: credentials,
  authByToken: z.object({
    userId: id,
    token: nonEmpty(LIMITS.token),
    isLightweight: z.nullish(z.boolean()),
  }),
  findContacts: z.object({ search: nonEmpty(LIMITS.search) }),
  handleUserlink: z.object({ from_user_id: id, to_user_id: id, action: z.enum(USERLINK_ACTIONS) }),
  newKey: z.object({ name: publicKey, is_default: z.boolean() }),
  setDefaultKey: z.object({ id }),
  // Blank names pass here and get `enter name and last name` from the handler.
  changeProfile: z.object({
    first_name: text(LIMITS.name),
    last_name: text(LIMITS.name),
  }),
  changePassword: z.object({
    current: nonEmpty(LIMITS.password),
    new: nonEmpty(LIMITS.password),
    newAgain: text(LIMITS.password),
  }),
  // `avatar` is checked by the handler: a missing or bad one is `please provide avatar uuid`.
  changeAvatar: z.object({
    avatar: z.optional(z.unknown()),
    is_group: z.nullish(z.boolean()),
    id: z.nullish(id),
  }),
  deleteAvatar: z.optional(
    z.object({
      is_group: z.nullish(z.boolean()),
      id: z.nullish(id),
    }),
  ),
  newDialog: z.object({
    bodies: oneTo(nameBody, LIMITS.recipients),
    recipients: someIds(LIMITS.recipients),
    dialog: nullishThen(z.object({ group_id: z.nullish(id) }), (d) => ({ group_id: d?.group_id ?? null })),
  }),
  renameDialog: z.object({ id, bodies: oneTo(nameBody, LIMITS.recipients) }),
  newGroup: z.object({
    bodies: oneTo(nameBody, LIMITS.recipients),
    recipients: someIds(LIMITS.recipients),
    admin_id: id,
    // Checked by the handler (a UUID v4 or nothing).
    avatar: z.nullish(text(64)),
  }),
  editGroup: z
    .object({
      group: z.object({
        id,
        recipients: someIds(LIMITS.recipients),
        added: listOrEmpty(ids(LIMITS.recipients)),
        kicked: listOrEmpty(ids(LIMITS.recipients)),
        bodies: listOrEmpty(upTo(nameBody, LIMITS.recipients)),
      }),
      dialogs: listOrEmpty(
        upTo(z.object({ id, bodies: oneTo(nameBody, LIMITS.recipients), recipients: someIds(LIMITS.recipients) }), LIMITS.groupDialogs),
      ),
      messages: listOrEmpty(upTo(z.object({ message: z.object({ dialog_id: id, type: z.enum(SENDABLE_TYPES) }), ...messageContent }), LIMITS.editMessages)),
    })
    .check(withinPayloadLimit()),
  newMessage: z
    .object({
      message: z.object({
        dialog_id: id,
        type: nullishThen(z.enum(SENDABLE_TYPES), (t) => t ?? 'message.default'),
        client_id: z.nullish(nonEmpty(LIMITS.clientId)),
      }),
      ...messageContent,
    })
    .check(withinPayloadLimit()),
  getMessagesBefore: z.object({
    dialog_id: id,
    last_date: date,
    first_date: z.nullish(date),
    /** Extension (a cursor): only messages with a smaller id — the oldest id of the previous page. */
    before_id: z.nullish(id),
    // Over the maximum is clamped, not refused: old clients ask for more.
    limit: nullishThen(z.int().check(z.positive()), (l) => Math.min(l ?? LIMITS.pageDefault, LIMITS.pageMax)),
  }),
  updateMessage: z
    .object({
      id,
      bodies: listOrEmpty(upTo(messageBody, LIMITS.recipients)),
      toDelete: flagOrFalse,
    })
    .check(withinPayloadLimit()),
  readMessages: z.object({ ids: ids(LIMITS.readIds) }),
} as const;

/** The payload types of frames are protocol/events.ts's `FrameData`; these are the parts several frames share. */
export type Credentials = z.infer<typeof credentials>;
export type NameBodyInput = z.infer<typeof nameBody>;
export type MessageBodyInput = z.infer<typeof messageBody>;
export type AttachmentInput = z.infer<typeof attachment>;
