/**
 * Payload schemas of the client-emitted frames (protocol §4). A payload that
 * fails its schema is answered `wrong data provided` before anything is read
 * or written. Unknown keys are dropped, not refused: old clients send extras.
 */
import { z } from 'zod';

export const LIMITS = {
  username: 64,
  password: 1024,
  token: 4096,
  search: 64,
  /** first_name / last_name, in characters. */
  name: 128,
} as const;

export const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const noData = z.unknown();

/** A public key: canonical base64 of exactly 32 bytes (43 characters and one `=`; the last character carries 4 bits). */
export const publicKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'base64 of 32 bytes');

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
