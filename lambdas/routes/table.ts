/**
 * The route table: one entry per frame. It drives the middleware chain
 * (schema, auth), the CDK stack (one route + one function each), the local
 * gateway (route selection) and the docs. Adding a frame = one entry here and
 * one handler module `lambdas/routes/<module>.ts`.
 */
import type { ZodMiniType } from 'zod/mini';
import { schemas } from '../protocol/schemas';
import type { TableDefinition } from '../storage/tables';

export interface RouteDefinition {
  /** Frame name (the `event` field), or `$connect` / `$disconnect` / `$default`. */
  event: string;
  /** Payload schema; frames without one take no data. */
  schema?: ZodMiniType;
  /** A session (authenticated connection) is required. */
  auth: boolean;
  /** What the function may do with each table (least privilege on AWS). */
  access: Partial<Record<TableDefinition['name'], 'read' | 'write'>>;
  /** Lambda memory; scrypt at N=2^17 needs 128 MiB on its own. @default 256 */
  memoryMb?: number;
  /** Reads the token signing secret. */
  tokenSecret?: boolean;
  /** One line for the docs. */
  summary: string;
}

const rw = { Connections: 'write', Data: 'write' } as const;
const read = { Connections: 'read', Data: 'read' } as const;

const declared: readonly RouteDefinition[] = [
  { event: '$connect', auth: false, access: { Connections: 'write' }, summary: 'Checks the Origin, records the connection.' },
  { event: '$disconnect', auth: false, access: rw, summary: 'Forgets the connection; ends its presence (`offline` to contacts if it was the last).' },
  { event: '$default', auth: false, access: {}, summary: 'Unknown or malformed frames: `unknown event` / `wrong data provided`.' },
  { event: 'auth by credentials', schema: schemas.authByCredentials, auth: false, access: rw, memoryMb: 1024, tokenSecret: true, summary: 'Password login → `{ userId, token }`.' },
  { event: 'subscribe', schema: schemas.authByCredentials, auth: false, access: rw, memoryMb: 1024, tokenSecret: true, summary: 'Deprecated alias of `auth by credentials`.' },
  { event: 'auth by token', schema: schemas.authByToken, auth: false, access: rw, tokenSecret: true, summary: 'Token login; rotates the token.' },
  { event: 'who am i', auth: true, access: { Connections: 'read', Data: 'read' }, summary: 'The caller\'s own user, keys and domain.' },
  { event: 'log me out', auth: true, access: rw, summary: 'Revokes this login, unbinds the connection.' },
  { event: 'ping', auth: true, access: { Connections: 'read' }, summary: 'Keep-alive: `{ time }`.' },
  { event: 'give me users', auth: true, access: { Connections: 'read', Data: 'read' }, summary: 'The contact list, with link fields.' },
  { event: 'find contacts', schema: schemas.findContacts, auth: true, access: { Connections: 'read', Data: 'read' }, summary: 'Users of the caller\'s domain by username or name prefix (at most 50).' },
  { event: 'handle userlink', schema: schemas.handleUserlink, auth: true, access: rw, summary: 'Request, accept, reject, withdraw, remove or read a contact link.' },
  { event: 'give me presence', auth: true, access: { Connections: 'read', Data: 'read' }, summary: 'Which contacts are online.' },
  { event: 'give me keys', auth: true, access: { Connections: 'read', Data: 'read' }, summary: 'Every public key of the caller, their contacts and group co-members.' },
  { event: 'new key', schema: schemas.newKey, auth: true, access: rw, summary: 'Adds a public key; a default one is announced to contacts.' },
  { event: 'set default key', schema: schemas.setDefaultKey, auth: true, access: rw, summary: 'Makes one of the caller\'s keys the default; announced to contacts.' },
  { event: 'change profile', schema: schemas.changeProfile, auth: true, access: { Connections: 'read', Data: 'write' }, summary: 'Sets the caller\'s first and last name.' },
  { event: 'change password', schema: schemas.changePassword, auth: true, access: rw, memoryMb: 1024, summary: 'Checks `current` (rate-limited like login), stores the new hash, revokes the user\'s other logins.' },
  { event: 'change avatar', schema: schemas.changeAvatar, auth: true, access: rw, summary: 'Sets the caller\'s avatar (file UUID), or a group\'s (admin; `group` push).' },
  { event: 'delete avatar', schema: schemas.deleteAvatar, auth: true, access: rw, summary: 'Clears the caller\'s avatar, or a group\'s (admin; `group` push).' },
  { event: 'give me dialogs', auth: true, access: read, summary: 'Every dialog the caller is a recipient of.' },
  { event: 'new dialog', schema: schemas.newDialog, auth: true, access: rw, summary: 'Creates a dialog with accepted contacts or group members; `dialog` push.' },
  { event: 'rename dialog', schema: schemas.renameDialog, auth: true, access: rw, summary: 'New encrypted names of a dialog (a recipient); `dialog` push.' },
  { event: 'give me groups', auth: true, access: read, summary: 'Every group the caller is a member of, with members\' default keys.' },
  { event: 'new group', schema: schemas.newGroup, auth: true, access: rw, summary: 'Creates a group of the caller\'s accepted contacts; `group` push.' },
  { event: 'edit group', schema: schemas.editGroup, auth: true, access: rw, summary: 'Admin: members, names, dialogs and service messages in one transaction.' },
  { event: 'new message', schema: schemas.newMessage, auth: true, access: rw, summary: 'Stores a copy per recipient (idempotent by `client_id`); `messages` push.' },
  { event: 'give me messages', auth: true, access: read, summary: 'The newest message of each dialog and the unread ones.' },
  { event: 'get messages before', schema: schemas.getMessagesBefore, auth: true, access: read, summary: 'A page of a dialog\'s history between two dates, newest first.' },
  { event: 'update message', schema: schemas.updateMessage, auth: true, access: rw, summary: 'Creator: edits or deletes a message; `messages` push.' },
  { event: 'read messages', schema: schemas.readMessages, auth: true, access: { Connections: 'read', Data: 'write' }, summary: 'Marks the caller\'s own copies read.' },
];

/**
 * Every frame may arrive in chunks (docs/chunked-frames.md), so every frame
 * route keeps pieces in the Chunks table — and, as a writer, may post its
 * own chunked ack through the Management API.
 */
export const routes: readonly RouteDefinition[] = declared.map((route) =>
  route.event.startsWith('$') ? route : { ...route, access: { ...route.access, Chunks: 'write' } },
);

/** API Gateway route key of a frame name: one function, so the mapping can change in one place. */
export const routeKeyOf = (event: string): string => event;

/** Handler module of a route: `auth by token` → `auth-by-token`, `$connect` → `connect`. */
export const moduleOf = (event: string): string => event.replace(/^\$/, '').replaceAll(' ', '-');

export const isFrameRoute = (route: RouteDefinition) => !route.event.startsWith('$');

export function routeOf(event: string): RouteDefinition {
  const route = routes.find((r) => r.event === event);
  if (!route) throw new Error(`no route for ${event}`);
  return route;
}
