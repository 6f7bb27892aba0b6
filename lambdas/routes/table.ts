/**
 * The route table: one entry per frame. It drives the middleware chain
 * (schema, auth), the CDK stack (one route + one function each), the local
 * gateway (route selection), the docs and the frame contract. Adding a frame =
 * its schema (protocol/schemas.ts), one entry here, its result type
 * (protocol/events.ts `FrameResults`; the compiler asks for it) and one handler
 * module `lambdas/routes/<module>.ts`, whose data and result types follow.
 */
import type { ZodMiniType } from 'zod/mini';
import { schemas } from '../protocol/schemas';
import type { BucketLimit } from '../storage/rate-limits';
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
  /**
   * Sends frames to, or closes, connections through the Management API:
   * execute-api:ManageConnections on AWS, and the local stack refuses it to the others.
   */
  pushes: boolean;
  /** Reads the token signing secret. */
  tokenSecret?: boolean;
  /**
   * A frame that costs: limited per user by a token bucket of this size by
   * default (`RATE_LIMITS` overrides it by frame name), and only for the
   * payloads `applies` accepts when it is given.
   */
  rateLimit?: BucketLimit & { applies?: (data: never) => boolean };
  /** One line for the docs. */
  summary: string;
}

const rw = { Connections: 'write', Data: 'write' } as const;
const read = { Connections: 'read', Data: 'read' } as const;

const table = [
  { event: '$connect', auth: false, access: { Connections: 'write' }, pushes: false, summary: 'Checks the Origin, records the connection.' },
  { event: '$disconnect', auth: false, access: rw, pushes: true, summary: 'Forgets the connection; ends its presence (`offline` to contacts if it was the last).' },
  { event: '$default', auth: false, access: {}, pushes: false, summary: 'Unknown or malformed frames: `unknown event` / `wrong data provided`.' },
  { event: 'auth by credentials', schema: schemas.authByCredentials, auth: false, access: rw, pushes: true, memoryMb: 1024, tokenSecret: true, summary: 'Password login → `{ userId, token }`.' },
  { event: 'subscribe', schema: schemas.authByCredentials, auth: false, access: rw, pushes: true, memoryMb: 1024, tokenSecret: true, summary: 'Deprecated alias of `auth by credentials`.' },
  { event: 'auth by token', schema: schemas.authByToken, auth: false, access: rw, pushes: true, tokenSecret: true, summary: 'Token login; rotates the token.' },
  { event: 'who am i', auth: true, access: { Connections: 'read', Data: 'read' }, pushes: false, summary: 'The caller\'s own user, keys and domain.' },
  { event: 'log me out', auth: true, access: rw, pushes: true, summary: 'Revokes this login, unbinds the connection.' },
  { event: 'ping', auth: true, access: { Connections: 'read' }, pushes: false, summary: 'Keep-alive: `{ time }`.' },
  { event: 'give me users', auth: true, access: { Connections: 'read', Data: 'read' }, pushes: false, summary: 'The contact list, with link fields.' },
  { event: 'find contacts', schema: schemas.findContacts, auth: true, access: { Connections: 'read', Data: 'read' }, pushes: false, rateLimit: { burst: 30, intervalMs: 1000 }, summary: 'Users of the caller\'s domain by username or name prefix (at most 50).' },
  { event: 'handle userlink', schema: schemas.handleUserlink, auth: true, access: rw, pushes: true, rateLimit: { burst: 30, intervalMs: 10_000, applies: (data: { action: string }) => data.action === 'request' }, summary: 'Request, accept, reject, withdraw, remove or read a contact link.' },
  { event: 'give me presence', auth: true, access: { Connections: 'read', Data: 'read' }, pushes: false, summary: 'Which contacts are online.' },
  { event: 'give me keys', auth: true, access: { Connections: 'read', Data: 'read' }, pushes: false, summary: 'Every public key of the caller, their contacts and group co-members.' },
  { event: 'new key', schema: schemas.newKey, auth: true, access: rw, pushes: true, rateLimit: { burst: 10, intervalMs: 10_000 }, summary: 'Adds a public key; a default one is announced to contacts.' },
  { event: 'set default key', schema: schemas.setDefaultKey, auth: true, access: rw, pushes: true, summary: 'Makes one of the caller\'s keys the default; announced to contacts.' },
  { event: 'change profile', schema: schemas.changeProfile, auth: true, access: { Connections: 'read', Data: 'write' }, pushes: false, summary: 'Sets the caller\'s first and last name.' },
  { event: 'change password', schema: schemas.changePassword, auth: true, access: rw, pushes: true, memoryMb: 1024, summary: 'Checks `current` (rate-limited like login), stores the new hash, revokes the user\'s other logins.' },
  { event: 'change avatar', schema: schemas.changeAvatar, auth: true, access: rw, pushes: true, summary: 'Sets the caller\'s avatar (file UUID), or a group\'s (admin; `group` push).' },
  { event: 'delete avatar', schema: schemas.deleteAvatar, auth: true, access: rw, pushes: true, summary: 'Clears the caller\'s avatar, or a group\'s (admin; `group` push).' },
  { event: 'give me dialogs', auth: true, access: read, pushes: false, summary: 'Every dialog the caller is a recipient of.' },
  { event: 'new dialog', schema: schemas.newDialog, auth: true, access: rw, pushes: true, rateLimit: { burst: 20, intervalMs: 3000 }, summary: 'Creates a dialog with accepted contacts or group members; `dialog` push.' },
  { event: 'rename dialog', schema: schemas.renameDialog, auth: true, access: rw, pushes: true, summary: 'New encrypted names of a dialog (a recipient); `dialog` push.' },
  { event: 'give me groups', auth: true, access: read, pushes: false, summary: 'Every group the caller is a member of, with members\' default keys.' },
  { event: 'new group', schema: schemas.newGroup, auth: true, access: rw, pushes: true, rateLimit: { burst: 10, intervalMs: 10_000 }, summary: 'Creates a group of the caller\'s accepted contacts; `group` push.' },
  { event: 'edit group', schema: schemas.editGroup, auth: true, access: rw, pushes: true, rateLimit: { burst: 20, intervalMs: 3000 }, summary: 'Admin: members, names, dialogs and service messages in one transaction.' },
  { event: 'new message', schema: schemas.newMessage, auth: true, access: rw, pushes: true, rateLimit: { burst: 60, intervalMs: 250 }, summary: 'Stores a copy per recipient (idempotent by `client_id`); `messages` push.' },
  { event: 'give me messages', auth: true, access: read, pushes: false, summary: 'The newest message of each dialog and the unread ones.' },
  { event: 'get messages before', schema: schemas.getMessagesBefore, auth: true, access: read, pushes: false, summary: 'A page of a dialog\'s history between two dates, newest first.' },
  { event: 'update message', schema: schemas.updateMessage, auth: true, access: rw, pushes: true, rateLimit: { burst: 30, intervalMs: 1000 }, summary: 'Creator: edits or deletes a message; `messages` push.' },
  { event: 'read messages', schema: schemas.readMessages, auth: true, access: { Connections: 'read', Data: 'write' }, pushes: false, summary: 'Marks the caller\'s own copies read.' },
] as const satisfies readonly RouteDefinition[];

/** Every entry with its literal types: what protocol/events.ts derives the frames' payload types from. */
export type RouteTable = typeof table;


/**
 * Every frame may arrive in chunks (docs/protocol.md, *Chunked frames*), so
 * every frame route keeps pieces in the Chunks table.
 */
export const routes: readonly RouteDefinition[] = table.map((route) =>
  route.event.startsWith('$') ? route : { ...route, access: { ...route.access, Chunks: 'write' } },
);

/** The frames that cost (a `rateLimit` in their entry). */
export const rateLimitedFrames: readonly string[] = routes.filter((route) => route.rateLimit).map((route) => route.event);

/** API Gateway route key of a frame name: one function, so the mapping can change in one place. */
export const routeKeyOf = (event: string): string => event;

/** Handler module of a route: `auth by token` → `auth-by-token`, `$connect` → `connect`. */
export const moduleOf = (event: string): string => event.replace(/^\$/, '').replaceAll(' ', '-');

export const isFrameRoute = (route: RouteDefinition) => !route.event.startsWith('$');

/**
 * May use the Management API (execute-api:ManageConnections): routes that
 * push, and every frame route, since an ack larger than one API Gateway
 * message goes out as chunks through it (outbound.ts). IAM cannot narrow the
 * grant to the caller's own connection, so `pushes` cannot narrow it for frames.
 */
export const postsToConnections = (route: RouteDefinition): boolean => route.pushes || isFrameRoute(route);

export function routeOf(event: string): RouteDefinition {
  const route = routes.find((r) => r.event === event);
  if (!route) throw new Error(`no route for ${event}`);
  return route;
}

/**
 * The bucket a frame of `route` with payload `data` takes a token of: the
 * route's own limit, or its `RATE_LIMITS` override; none for a frame that
 * does not cost, a payload `applies` declines, or limits turned `off`.
 */
export function rateLimitOf(route: RouteDefinition, overrides: Readonly<Record<string, BucketLimit>> | 'off', data: unknown): BucketLimit | undefined {
  if (!route.rateLimit || overrides === 'off') return undefined;
  if (route.rateLimit.applies && !route.rateLimit.applies(data as never)) return undefined;
  const { burst, intervalMs } = overrides[route.event] ?? route.rateLimit;
  return { burst, intervalMs };
}

/** `RATE_LIMITS` names of frames that take no bucket (a typo would otherwise be ignored). */
export const unlimitedFramesIn = (overrides: Readonly<Record<string, BucketLimit>> | 'off'): string[] =>
  overrides === 'off' ? [] : Object.keys(overrides).filter((event) => !rateLimitedFrames.includes(event));
