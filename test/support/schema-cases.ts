/**
 * Accepted and refused payloads of every frame schema (lambdas/protocol/schemas.ts),
 * at their boundaries: what the server takes, what the handler then gets
 * (trimmed, defaulted, unknown keys dropped), and why the rest is refused
 * (`path: issue code` of every issue, as the log line names them).
 *
 * A case without `out` expects the payload back unchanged.
 */
import { LIMITS, type schemas } from '../../lambdas/protocol/schemas';

export type SchemaName = keyof typeof schemas;

export interface Accepted {
  in: unknown;
  out?: unknown;
  note?: string;
}

export interface Refused {
  in: unknown;
  /** Every issue, `path: code` (path joined with dots, empty at the root). */
  issues: string[];
  note?: string;
}

export interface SchemaCases {
  accept: Accepted[];
  refuse: Refused[];
}

const MAX = Number.MAX_SAFE_INTEGER;

/** A base64 string of `n` characters (no padding: valid unless n % 4 === 1). */
export const b64 = (n: number) => 'QUJD'.repeat(Math.ceil(n / 4)).slice(0, n);
/** A canonical public key: 43 base64 characters (the last of 16) and `=`. */
export const KEY = `${'A'.repeat(42)}w=`;
export const UUID = '0b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d';

const ids3 = { recipient_id: 1, key_id: 2, key_from_id: 3 };
export const nameBody = { ...ids3, nonce: 'bm9uY2U=', name: 'bmFtZQ==' };
export const messageBody = { ...ids3, nonce: 'bm9uY2U=', body: 'Ym9keQ==' };
const attachmentBody = { ...ids3, nonce: 'bm9uY2U=', name: 'bmFtZQ==', crypto: 'a2V5' };
const attachment = { unique: UUID, size: 10, bodies: [attachmentBody] };
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const idsUpTo = (n: number) => many(n, (i) => i + 1);

/** `new message` as sent, and as the handler gets it. */
const message = { message: { dialog_id: 7 }, bodies: [messageBody] };
const messageOut = { message: { dialog_id: 7, type: 'message.default' }, bodies: [messageBody], attachments: [], as_read: false };

const group = { id: 4, recipients: [1, 2] };
const groupOut = { ...group, added: [], kicked: [], bodies: [] };

export const CASES: Record<SchemaName, SchemaCases> = {
  authByCredentials: {
    accept: [
      { in: { username: 'alice', password: 'secret' } },
      { in: { username: '  alice\t', password: ' secret ' }, out: { username: 'alice', password: ' secret ' }, note: 'username trimmed, password not' },
      { in: { username: 'a'.repeat(LIMITS.username), password: 'p'.repeat(LIMITS.password) } },
      { in: { username: ` ${'a'.repeat(LIMITS.username)} `, password: 'p' }, out: { username: 'a'.repeat(LIMITS.username), password: 'p' }, note: 'length counted after the trim' },
      { in: { username: 'alice', password: ' ' } },
      { in: { username: 'alice', password: 'secret', extra: 1, isLightweight: true }, out: { username: 'alice', password: 'secret' }, note: 'unknown keys dropped' },
    ],
    refuse: [
      { in: { username: '', password: 'secret' }, issues: ['username: too_small'] },
      { in: { username: '   ', password: 'secret' }, issues: ['username: too_small'], note: 'blank once trimmed' },
      { in: { username: 'a'.repeat(LIMITS.username + 1), password: 'secret' }, issues: ['username: too_big'] },
      { in: { username: 'alice', password: '' }, issues: ['password: too_small'] },
      { in: { username: 'alice', password: 'p'.repeat(LIMITS.password + 1) }, issues: ['password: too_big'] },
      { in: { username: 1, password: 2 }, issues: ['username: invalid_type', 'password: invalid_type'] },
      { in: { username: 'alice' }, issues: ['password: invalid_type'] },
      { in: {}, issues: ['username: invalid_type', 'password: invalid_type'] },
      { in: undefined, issues: [': invalid_type'] },
      { in: null, issues: [': invalid_type'] },
      { in: 'alice', issues: [': invalid_type'] },
      { in: [], issues: [': invalid_type'] },
    ],
  },
  authByToken: {
    accept: [
      { in: { userId: 1, token: 't' } },
      { in: { userId: MAX, token: 't'.repeat(LIMITS.token), isLightweight: false } },
      { in: { userId: 3, token: ' t ', isLightweight: true, extra: 'x' }, out: { userId: 3, token: ' t ', isLightweight: true } },
      { in: { userId: 3, token: 't', isLightweight: null } },
      { in: { userId: 3, token: 't', isLightweight: undefined } },
    ],
    refuse: [
      { in: { userId: '1', token: 't' }, issues: ['userId: invalid_type'], note: 'a number, not a numeric string' },
      { in: { userId: 0, token: 't' }, issues: ['userId: too_small'] },
      { in: { userId: -5, token: 't' }, issues: ['userId: too_small'] },
      { in: { userId: 1.5, token: 't' }, issues: ['userId: invalid_type'] },
      { in: { userId: MAX + 1, token: 't' }, issues: ['userId: too_big', 'userId: too_big'] },
      { in: { userId: 1, token: '' }, issues: ['token: too_small'] },
      { in: { userId: 1, token: 't'.repeat(LIMITS.token + 1) }, issues: ['token: too_big'] },
      { in: { userId: 1, token: 't', isLightweight: 'true' }, issues: ['isLightweight: invalid_type'] },
      { in: { token: 't' }, issues: ['userId: invalid_type'] },
    ],
  },
  findContacts: {
    accept: [{ in: { search: 'a' } }, { in: { search: ' al ' }, note: 'not trimmed' }, { in: { search: 's'.repeat(LIMITS.search), x: 1 }, out: { search: 's'.repeat(LIMITS.search) } }],
    refuse: [
      { in: { search: '' }, issues: ['search: too_small'] },
      { in: { search: 's'.repeat(LIMITS.search + 1) }, issues: ['search: too_big'] },
      { in: { search: 5 }, issues: ['search: invalid_type'] },
      { in: {}, issues: ['search: invalid_type'] },
    ],
  },
  handleUserlink: {
    accept: [
      { in: { from_user_id: 1, to_user_id: 2, action: 'request' } },
      ...['accept', 'reject', 'withdraw', 'remove', 'read'].map((action) => ({ in: { from_user_id: 2, to_user_id: 1, action } })),
      { in: { from_user_id: 1, to_user_id: 2, action: 'read', note: 'x' }, out: { from_user_id: 1, to_user_id: 2, action: 'read' } },
    ],
    refuse: [
      { in: { from_user_id: 1, to_user_id: 2, action: 'block' }, issues: ['action: invalid_value'] },
      { in: { from_user_id: 1, to_user_id: 2, action: 'Request' }, issues: ['action: invalid_value'] },
      { in: { from_user_id: 1, to_user_id: 2 }, issues: ['action: invalid_value'] },
      { in: { from_user_id: '1', to_user_id: 2, action: 'request' }, issues: ['from_user_id: invalid_type'] },
      { in: { from_user_id: 1, to_user_id: 0, action: 'request' }, issues: ['to_user_id: too_small'] },
    ],
  },
  newKey: {
    accept: [
      { in: { name: KEY, is_default: true } },
      { in: { name: `${'A'.repeat(42)}A=`, is_default: false } },
      { in: { name: `${'/'.repeat(42)}8=`, is_default: false, id: 3 }, out: { name: `${'/'.repeat(42)}8=`, is_default: false } },
    ],
    refuse: [
      { in: { name: `${'A'.repeat(42)}B=`, is_default: true }, issues: ['name: invalid_format'], note: 'non-canonical: the last character carries 4 bits' },
      { in: { name: `${'A'.repeat(43)}`, is_default: true }, issues: ['name: invalid_format'], note: 'unpadded' },
      { in: { name: `${'A'.repeat(43)}==`, is_default: true }, issues: ['name: invalid_format'] },
      { in: { name: `${'_'.repeat(42)}A=`, is_default: true }, issues: ['name: invalid_format'], note: 'URL-safe alphabet' },
      { in: { name: `${'A'.repeat(86)}A=`, is_default: true }, issues: ['name: invalid_format'], note: '64 bytes' },
      { in: { name: '', is_default: true }, issues: ['name: invalid_format'] },
      { in: { name: KEY }, issues: ['is_default: invalid_type'] },
      { in: { name: KEY, is_default: 'true' }, issues: ['is_default: invalid_type'] },
      { in: { name: KEY, is_default: 1 }, issues: ['is_default: invalid_type'] },
    ],
  },
  setDefaultKey: {
    accept: [{ in: { id: 1 } }, { in: { id: MAX } }, { in: { id: 2, name: KEY }, out: { id: 2 } }],
    refuse: [
      { in: { id: 0 }, issues: ['id: too_small'] },
      { in: { id: 2.5 }, issues: ['id: invalid_type'] },
      { in: { id: '2' }, issues: ['id: invalid_type'] },
      { in: { id: null }, issues: ['id: invalid_type'] },
      { in: {}, issues: ['id: invalid_type'] },
    ],
  },
  changeProfile: {
    accept: [
      { in: { first_name: 'Ada', last_name: 'Lovelace' } },
      { in: { first_name: '', last_name: ' ' }, note: 'blank: the handler answers `enter name and last name`' },
      { in: { first_name: 'é'.repeat(LIMITS.name), last_name: 'x'.repeat(LIMITS.name), avatar: null }, out: { first_name: 'é'.repeat(LIMITS.name), last_name: 'x'.repeat(LIMITS.name) } },
    ],
    refuse: [
      { in: { first_name: 'x'.repeat(LIMITS.name + 1), last_name: 'L' }, issues: ['first_name: too_big'] },
      { in: { first_name: 'A', last_name: 'x'.repeat(LIMITS.name + 1) }, issues: ['last_name: too_big'] },
      { in: { first_name: 'A' }, issues: ['last_name: invalid_type'] },
      { in: { first_name: null, last_name: 'L' }, issues: ['first_name: invalid_type'] },
    ],
  },
  changePassword: {
    accept: [
      { in: { current: 'old', new: 'new', newAgain: 'new' } },
      { in: { current: 'o', new: 'n', newAgain: '' }, note: 'a mismatch is the handler\'s answer' },
      { in: { current: 'o'.repeat(LIMITS.password), new: 'n'.repeat(LIMITS.password), newAgain: 'n'.repeat(LIMITS.password), x: 1 }, out: { current: 'o'.repeat(LIMITS.password), new: 'n'.repeat(LIMITS.password), newAgain: 'n'.repeat(LIMITS.password) } },
    ],
    refuse: [
      { in: { current: '', new: 'n', newAgain: 'n' }, issues: ['current: too_small'] },
      { in: { current: 'o', new: '', newAgain: '' }, issues: ['new: too_small'] },
      { in: { current: 'o', new: 'n'.repeat(LIMITS.password + 1), newAgain: 'n' }, issues: ['new: too_big'] },
      { in: { current: 'o', new: 'n', newAgain: 'n'.repeat(LIMITS.password + 1) }, issues: ['newAgain: too_big'] },
      { in: { current: 'o', new: 'n' }, issues: ['newAgain: invalid_type'] },
    ],
  },
  changeAvatar: {
    accept: [
      { in: { avatar: UUID } },
      { in: {} },
      { in: { avatar: 42, is_group: true, id: 9 }, note: 'avatar is the handler\'s to check' },
      { in: { avatar: null, is_group: false, other: 1 }, out: { avatar: null, is_group: false } },
      // Old clients send null for what does not apply.
      { in: { avatar: UUID, is_group: null, id: null }, out: { avatar: UUID, is_group: null, id: null } },
    ],
    refuse: [
      { in: undefined, issues: [': invalid_type'] },
      { in: { avatar: UUID, is_group: 'yes' }, issues: ['is_group: invalid_type'] },
      { in: { avatar: UUID, id: 0 }, issues: ['id: too_small'] },
    ],
  },
  deleteAvatar: {
    accept: [{ in: undefined }, { in: {} }, { in: { is_group: true, id: 5 } }, { in: { is_group: false, avatar: UUID }, out: { is_group: false } }],
    refuse: [
      { in: null, issues: [': invalid_type'] },
      { in: 'me', issues: [': invalid_type'] },
      { in: { is_group: 1 }, issues: ['is_group: invalid_type'] },
      { in: { id: -1 }, issues: ['id: too_small'] },
    ],
  },
  newDialog: {
    accept: [
      { in: { bodies: [nameBody], recipients: [2] }, out: { bodies: [nameBody], recipients: [2], dialog: { group_id: null } } },
      { in: { bodies: [nameBody], recipients: [2], dialog: null }, out: { bodies: [nameBody], recipients: [2], dialog: { group_id: null } } },
      { in: { bodies: [nameBody], recipients: [2], dialog: {} }, out: { bodies: [nameBody], recipients: [2], dialog: { group_id: null } } },
      { in: { bodies: [nameBody], recipients: [2], dialog: { group_id: null, name: 'x' } }, out: { bodies: [nameBody], recipients: [2], dialog: { group_id: null } } },
      { in: { bodies: [nameBody], recipients: [2], dialog: { group_id: 8 } } },
      {
        in: { bodies: many(LIMITS.recipients, () => ({ ...nameBody, extra: true })), recipients: idsUpTo(LIMITS.recipients) },
        out: { bodies: many(LIMITS.recipients, () => nameBody), recipients: idsUpTo(LIMITS.recipients), dialog: { group_id: null } },
        note: 'unknown keys dropped in nested objects too',
      },
      {
        in: { bodies: [{ ...ids3, nonce: b64(LIMITS.nonce), name: b64(LIMITS.encryptedName) }], recipients: [2] },
        out: { bodies: [{ ...ids3, nonce: b64(LIMITS.nonce), name: b64(LIMITS.encryptedName) }], recipients: [2], dialog: { group_id: null } },
      },
      {
        in: { bodies: [{ ...ids3, nonce: '', name: 'a-_b' }], recipients: [2] },
        out: { bodies: [{ ...ids3, nonce: '', name: 'a-_b' }], recipients: [2], dialog: { group_id: null } },
        note: 'empty base64, URL-safe alphabet',
      },
      {
        in: { bodies: [{ ...ids3, nonce: 'QUI', name: 'QUI=' }], recipients: [2] },
        out: { bodies: [{ ...ids3, nonce: 'QUI', name: 'QUI=' }], recipients: [2], dialog: { group_id: null } },
        note: 'unpadded and padded',
      },
    ],
    refuse: [
      { in: { bodies: [], recipients: [2] }, issues: ['bodies: too_small'] },
      { in: { bodies: [nameBody], recipients: [] }, issues: ['recipients: too_small'] },
      { in: { bodies: many(LIMITS.recipients + 1, () => nameBody), recipients: [2] }, issues: ['bodies: too_big'] },
      { in: { bodies: [nameBody], recipients: idsUpTo(LIMITS.recipients + 1) }, issues: ['recipients: too_big'] },
      { in: { bodies: [nameBody], recipients: [2, '3'] }, issues: ['recipients.1: invalid_type'] },
      { in: { bodies: [nameBody], recipients: [2], dialog: { group_id: 0 } }, issues: ['dialog.group_id: too_small'] },
      { in: { bodies: [nameBody], recipients: [2], dialog: 5 }, issues: ['dialog: invalid_type'] },
      { in: { bodies: [{ ...nameBody, nonce: b64(LIMITS.nonce + 4) }], recipients: [2] }, issues: ['bodies.0.nonce: too_big'] },
      { in: { bodies: [{ ...nameBody, name: b64(LIMITS.encryptedName + 4) }], recipients: [2] }, issues: ['bodies.0.name: too_big'] },
      { in: { bodies: [{ ...nameBody, name: 'QUJDR' }], recipients: [2] }, issues: ['bodies.0.name: custom'], note: 'length % 4 === 1' },
      { in: { bodies: [{ ...nameBody, name: 'QUI' + '=' }, { ...nameBody, name: 'QQ=' }], recipients: [2] }, issues: ['bodies.1.name: custom'], note: 'padding short of a multiple of 4' },
      { in: { bodies: [{ ...nameBody, name: 'QQ===' }], recipients: [2] }, issues: ['bodies.0.name: custom'] },
      { in: { bodies: [{ ...nameBody, name: 'a+_b' }], recipients: [2] }, issues: ['bodies.0.name: custom'], note: 'mixed alphabets' },
      { in: { bodies: [{ ...nameBody, name: 'QU JD' }], recipients: [2] }, issues: ['bodies.0.name: custom'] },
      { in: { bodies: [{ ...nameBody, name: 'QU=I' }], recipients: [2] }, issues: ['bodies.0.name: custom'] },
      { in: { bodies: [{ ...nameBody, key_id: '2' }], recipients: [2] }, issues: ['bodies.0.key_id: invalid_type'] },
      { in: { bodies: [{ nonce: 'QUJD', name: 'QUJD' }], recipients: [2] }, issues: ['bodies.0.recipient_id: invalid_type', 'bodies.0.key_id: invalid_type', 'bodies.0.key_from_id: invalid_type'] },
      { in: { bodies: nameBody, recipients: [2] }, issues: ['bodies: invalid_type'] },
    ],
  },
  renameDialog: {
    accept: [{ in: { id: 3, bodies: [nameBody] } }, { in: { id: 3, bodies: many(LIMITS.recipients, () => nameBody), recipients: [1] }, out: { id: 3, bodies: many(LIMITS.recipients, () => nameBody) } }],
    refuse: [
      { in: { id: 3, bodies: [] }, issues: ['bodies: too_small'] },
      { in: { id: 3, bodies: many(LIMITS.recipients + 1, () => nameBody) }, issues: ['bodies: too_big'] },
      { in: { bodies: [nameBody] }, issues: ['id: invalid_type'] },
      { in: { id: 3, bodies: [{ ...nameBody, nonce: 5 }] }, issues: ['bodies.0.nonce: invalid_type'] },
    ],
  },
  newGroup: {
    accept: [
      { in: { bodies: [nameBody], recipients: [1, 2], admin_id: 1 } },
      { in: { bodies: [nameBody], recipients: [1, 2], admin_id: 1, avatar: null } },
      { in: { bodies: [nameBody], recipients: [1, 2], admin_id: 1, avatar: 'not a uuid' }, note: 'the handler checks it' },
      { in: { bodies: [nameBody], recipients: [1], admin_id: 1, avatar: 'a'.repeat(64), dialog: {} }, out: { bodies: [nameBody], recipients: [1], admin_id: 1, avatar: 'a'.repeat(64) } },
    ],
    refuse: [
      { in: { bodies: [nameBody], recipients: [1, 2], admin_id: 1, avatar: 'a'.repeat(65) }, issues: ['avatar: too_big'] },
      { in: { bodies: [nameBody], recipients: [1, 2], admin_id: 1, avatar: 5 }, issues: ['avatar: invalid_type'] },
      { in: { bodies: [nameBody], recipients: [1, 2] }, issues: ['admin_id: invalid_type'] },
      { in: { bodies: [nameBody], recipients: [], admin_id: 1 }, issues: ['recipients: too_small'] },
      { in: { bodies: [], recipients: [1], admin_id: 1 }, issues: ['bodies: too_small'] },
    ],
  },
  editGroup: {
    accept: [
      { in: { group }, out: { group: groupOut, dialogs: [], messages: [] } },
      { in: { group: { ...group, added: null, kicked: null, bodies: null }, dialogs: null, messages: null }, out: { group: groupOut, dialogs: [], messages: [] } },
      {
        in: {
          group: { ...group, added: [3], kicked: idsUpTo(LIMITS.recipients), bodies: [], name: 'x' },
          dialogs: many(LIMITS.groupDialogs, (i) => ({ id: i + 1, bodies: [nameBody], recipients: [1, 2] })),
          messages: many(LIMITS.editMessages, () => ({ message: { dialog_id: 5, type: 'service.group.user.invited' }, bodies: [messageBody] })),
        },
        out: {
          group: { ...group, added: [3], kicked: idsUpTo(LIMITS.recipients), bodies: [] },
          dialogs: many(LIMITS.groupDialogs, (i) => ({ id: i + 1, bodies: [nameBody], recipients: [1, 2] })),
          messages: many(LIMITS.editMessages, () => ({ message: { dialog_id: 5, type: 'service.group.user.invited' }, bodies: [messageBody], attachments: [], as_read: false })),
        },
      },
      {
        in: { group, messages: [{ message: { dialog_id: 5, type: 'message.default' }, bodies: [messageBody], attachments: [attachment], as_read: true }] },
        out: { group: groupOut, dialogs: [], messages: [{ message: { dialog_id: 5, type: 'message.default' }, bodies: [messageBody], attachments: [attachment], as_read: true }] },
      },
    ],
    refuse: [
      { in: {}, issues: ['group: invalid_type'] },
      { in: { group: { ...group, recipients: [] } }, issues: ['group.recipients: too_small'] },
      { in: { group: { ...group, added: idsUpTo(LIMITS.recipients + 1) } }, issues: ['group.added: too_big'] },
      { in: { group: { ...group, bodies: many(LIMITS.recipients + 1, () => nameBody) } }, issues: ['group.bodies: too_big'] },
      { in: { group, dialogs: many(LIMITS.groupDialogs + 1, (i) => ({ id: i + 1, bodies: [nameBody], recipients: [1] })) }, issues: ['dialogs: too_big'] },
      { in: { group, dialogs: [{ id: 1, bodies: [], recipients: [1] }] }, issues: ['dialogs.0.bodies: too_small'] },
      { in: { group, messages: many(LIMITS.editMessages + 1, () => ({ message: { dialog_id: 5, type: 'message.default' }, bodies: [messageBody] })) }, issues: ['messages: too_big'] },
      { in: { group, messages: [{ message: { dialog_id: 5 }, bodies: [messageBody] }] }, issues: ['messages.0.message.type: invalid_value'], note: 'type required here' },
      { in: { group, messages: [{ message: { dialog_id: 5, type: 'message.deleted' }, bodies: [messageBody] }] }, issues: ['messages.0.message.type: invalid_value'] },
      {
        in: { group: { ...group, bodies: many(LIMITS.recipients, () => ({ ...nameBody, name: b64(LIMITS.encryptedName) })) }, dialogs: many(2, (i) => ({ id: i + 1, bodies: many(LIMITS.recipients, () => ({ ...nameBody, name: b64(LIMITS.encryptedName) })), recipients: [1] })) },
        issues: [': custom'],
        note: 'every field within its limit, the whole over 128 KB',
      },
    ],
  },
  newMessage: {
    accept: [
      { in: message, out: messageOut },
      { in: { message: { dialog_id: 7, type: null, client_id: null }, bodies: [messageBody], attachments: null, as_read: null }, out: { ...messageOut, message: { dialog_id: 7, type: 'message.default', client_id: null } } },
      {
        in: { message: { dialog_id: 7, type: 'service.call.video.missed', client_id: 'c'.repeat(LIMITS.clientId), extra: 1 }, bodies: [messageBody], attachments: [], as_read: true, ackId: 5 },
        out: { message: { dialog_id: 7, type: 'service.call.video.missed', client_id: 'c'.repeat(LIMITS.clientId) }, bodies: [messageBody], attachments: [], as_read: true },
      },
      {
        in: { ...message, attachments: many(LIMITS.attachments, () => ({ ...attachment, unique: UUID.toUpperCase(), size: 0, bodies: [] })) },
        out: { ...messageOut, attachments: many(LIMITS.attachments, () => ({ ...attachment, unique: UUID.toUpperCase(), size: 0, bodies: [] })) },
        note: 'UUID in any case, empty file',
      },
      {
        in: { ...message, attachments: [{ ...attachment, size: MAX, bodies: many(LIMITS.recipients, () => attachmentBody) }] },
        out: { ...messageOut, attachments: [{ ...attachment, size: MAX, bodies: many(LIMITS.recipients, () => attachmentBody) }] },
      },
      {
        in: { ...message, bodies: [{ ...messageBody, body: b64(LIMITS.messageBody) }] },
        out: { ...messageOut, bodies: [{ ...messageBody, body: b64(LIMITS.messageBody) }] },
        note: 'the largest body fits the payload limit',
      },
    ],
    refuse: [
      { in: { bodies: [messageBody] }, issues: ['message: invalid_type'] },
      { in: { message: {}, bodies: [messageBody] }, issues: ['message.dialog_id: invalid_type'] },
      { in: { message: { dialog_id: 7, type: 'message.updated' }, bodies: [messageBody] }, issues: ['message.type: invalid_value'] },
      { in: { message: { dialog_id: 7, type: 'text' }, bodies: [messageBody] }, issues: ['message.type: invalid_value'] },
      { in: { message: { dialog_id: 7, client_id: '' }, bodies: [messageBody] }, issues: ['message.client_id: too_small'] },
      { in: { message: { dialog_id: 7, client_id: 'c'.repeat(LIMITS.clientId + 1) }, bodies: [messageBody] }, issues: ['message.client_id: too_big'] },
      { in: { message: { dialog_id: 7, client_id: 12 }, bodies: [messageBody] }, issues: ['message.client_id: invalid_type'] },
      { in: { ...message, bodies: [] }, issues: ['bodies: too_small'] },
      { in: { ...message, bodies: many(LIMITS.recipients + 1, () => messageBody) }, issues: ['bodies: too_big'] },
      { in: { ...message, bodies: [{ ...messageBody, body: b64(LIMITS.messageBody + 4) }] }, issues: ['bodies.0.body: too_big'] },
      { in: { ...message, bodies: [{ ...messageBody, body: '%%%' }] }, issues: ['bodies.0.body: custom'] },
      { in: { ...message, as_read: 'yes' }, issues: ['as_read: invalid_type'] },
      { in: { ...message, as_read: 0 }, issues: ['as_read: invalid_type'] },
      { in: { ...message, attachments: many(LIMITS.attachments + 1, () => attachment) }, issues: ['attachments: too_big'] },
      { in: { ...message, attachments: [{ ...attachment, unique: 'not-a-uuid' }] }, issues: ['attachments.0.unique: invalid_format'] },
      { in: { ...message, attachments: [{ ...attachment, unique: UUID.replace('-4', '-1') }] }, issues: ['attachments.0.unique: invalid_format'], note: 'UUID v1' },
      { in: { ...message, attachments: [{ ...attachment, size: -1 }] }, issues: ['attachments.0.size: too_small'] },
      { in: { ...message, attachments: [{ ...attachment, size: 1.5 }] }, issues: ['attachments.0.size: invalid_type'] },
      { in: { ...message, attachments: [{ ...attachment, size: '10' }] }, issues: ['attachments.0.size: invalid_type'] },
      { in: { ...message, attachments: [{ ...attachment, bodies: many(LIMITS.recipients + 1, () => attachmentBody) }] }, issues: ['attachments.0.bodies: too_big'] },
      { in: { ...message, attachments: [{ ...attachment, bodies: [{ ...attachmentBody, crypto: b64(LIMITS.crypto + 4) }] }] }, issues: ['attachments.0.bodies.0.crypto: too_big'] },
      { in: { ...message, attachments: [{ ...attachment, bodies: [{ ...attachmentBody, crypto: 'Q' }] }] }, issues: ['attachments.0.bodies.0.crypto: custom'] },
      { in: { ...message, attachments: attachment }, issues: ['attachments: invalid_type'] },
      { in: { ...message, bodies: many(2, () => ({ ...messageBody, body: b64(LIMITS.messageBody) })) }, issues: [': custom'], note: 'two largest bodies: over 128 KB' },
    ],
  },
  getMessagesBefore: {
    accept: [
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30' }, out: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: LIMITS.pageDefault } },
      { in: { dialog_id: 1, last_date: '2024-03-05T10:20:30.123Z', first_date: null, limit: null }, out: { dialog_id: 1, last_date: '2024-03-05T10:20:30.123Z', first_date: null, limit: LIMITS.pageDefault } },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30+02:00', first_date: '2024-03-01T00:00:00+0200', limit: 1 } },
      { in: { dialog_id: 1, last_date: '2024-03-05T10:20:30.123456789Z', limit: LIMITS.pageMax } },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: LIMITS.pageMax + 1 }, out: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: LIMITS.pageMax }, note: 'over the maximum is clamped' },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: 1e9, x: 1 }, out: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: LIMITS.pageMax } },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', before_id: 4096 }, out: { dialog_id: 1, last_date: '2024-03-05 10:20:30', before_id: 4096, limit: LIMITS.pageDefault }, note: 'the cursor extension' },
    ],
    refuse: [
      { in: { dialog_id: 1 }, issues: ['last_date: invalid_type'] },
      { in: { dialog_id: 1, last_date: '' }, issues: ['last_date: custom'] },
      { in: { dialog_id: 1, last_date: '2024-03-05' }, issues: ['last_date: custom'] },
      { in: { dialog_id: 1, last_date: '2024-13-05 10:20:30' }, issues: ['last_date: custom'] },
      { in: { dialog_id: 1, last_date: '05.03.2024 10:20:30' }, issues: ['last_date: custom'] },
      { in: { dialog_id: 1, last_date: `2024-03-05T10:20:30.${'1'.repeat(20)}Z` }, issues: ['last_date: too_big', 'last_date: custom'] },
      { in: { dialog_id: 1, last_date: 1709634030000 }, issues: ['last_date: invalid_type'] },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', first_date: 'yesterday' }, issues: ['first_date: custom'] },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: 0 }, issues: ['limit: too_small'] },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', before_id: 0 }, issues: ['before_id: too_small'] },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: 2.5 }, issues: ['limit: invalid_type'] },
      { in: { dialog_id: 1, last_date: '2024-03-05 10:20:30', limit: '30' }, issues: ['limit: invalid_type'] },
      { in: { dialog_id: 0, last_date: '2024-03-05 10:20:30' }, issues: ['dialog_id: too_small'] },
    ],
  },
  updateMessage: {
    accept: [
      { in: { id: 9 }, out: { id: 9, bodies: [], toDelete: false } },
      { in: { id: 9, bodies: null, toDelete: null }, out: { id: 9, bodies: [], toDelete: false } },
      { in: { id: 9, toDelete: true, body: 'x' }, out: { id: 9, bodies: [], toDelete: true } },
      { in: { id: 9, bodies: many(LIMITS.recipients, () => messageBody), toDelete: false } },
    ],
    refuse: [
      { in: {}, issues: ['id: invalid_type'] },
      { in: { id: 9, toDelete: 'true' }, issues: ['toDelete: invalid_type'] },
      { in: { id: 9, bodies: many(LIMITS.recipients + 1, () => messageBody) }, issues: ['bodies: too_big'] },
      { in: { id: 9, bodies: many(2, () => ({ ...messageBody, body: b64(LIMITS.messageBody) })) }, issues: [': custom'] },
    ],
  },
  readMessages: {
    accept: [{ in: { ids: [] } }, { in: { ids: idsUpTo(LIMITS.readIds) } }, { in: { ids: [MAX], dialog_id: 3 }, out: { ids: [MAX] } }],
    refuse: [
      { in: { ids: idsUpTo(LIMITS.readIds + 1) }, issues: ['ids: too_big'] },
      { in: { ids: [1, 0] }, issues: ['ids.1: too_small'] },
      { in: { ids: ['1'] }, issues: ['ids.0: invalid_type'] },
      { in: { ids: 1 }, issues: ['ids: invalid_type'] },
      { in: {}, issues: ['ids: invalid_type'] },
    ],
  },
};
