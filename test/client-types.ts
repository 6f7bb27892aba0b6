/**
 * Type-level test, run by `npm run typecheck` (not by vitest): the SDK's
 * plain payload, result and push types (client/protocol.ts) are the server's
 * — the schemas' input types and lambdas/protocol/events.ts. A field added,
 * dropped, renamed or retyped on one side only fails the typecheck here.
 */
import type { z } from 'zod/mini';
import type * as Sdk from '../client/protocol';
import type * as Server from '../lambdas/protocol/events';
import type { schemas } from '../lambdas/protocol/schemas';

/** Exactly the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Every value of A is a B: the SDK may ask more than the schema checks (the handler checks the rest). */
type Within<A, B> = [A] extends [B] ? true : false;
const holds = <T extends true>(): T => true as T;

type In<S extends keyof typeof schemas> = z.input<(typeof schemas)[S]>;
type Data<E extends keyof Sdk.ClientEvents> = Sdk.ClientEvents[E]['data'];

// Every frame of the server's map, and no other; the same results; the same pushes.
holds<Same<keyof Sdk.ClientEvents, keyof Server.ClientEvents>>();
holds<Same<{ [E in keyof Sdk.ClientEvents]: Sdk.ClientEvents[E]['result'] }, { [E in keyof Server.ClientEvents]: Server.ClientEvents[E]['result'] }>>();
holds<Same<Sdk.ServerPushes, Server.ServerPushes>>();

// Payloads: the schema's input type, field for field.
holds<Same<Data<'auth by credentials'>, In<'authByCredentials'>>>();
holds<Same<Data<'subscribe'>, In<'authByCredentials'>>>();
holds<Same<Data<'auth by token'>, In<'authByToken'>>>();
holds<Same<Data<'find contacts'>, In<'findContacts'>>>();
holds<Same<Data<'handle userlink'>, In<'handleUserlink'>>>();
holds<Same<Data<'new key'>, In<'newKey'>>>();
holds<Same<Data<'set default key'>, In<'setDefaultKey'>>>();
holds<Same<Data<'change profile'>, In<'changeProfile'>>>();
holds<Same<Data<'change password'>, In<'changePassword'>>>();
// `avatar` is `unknown` to the schema: the handler answers `please provide avatar uuid`.
holds<Within<Data<'change avatar'>, In<'changeAvatar'>>>();
holds<Same<Omit<Data<'change avatar'>, 'avatar'>, Omit<In<'changeAvatar'>, 'avatar'>>>();
holds<Same<Data<'delete avatar'>, In<'deleteAvatar'>>>();
holds<Same<Data<'new dialog'>, In<'newDialog'>>>();
holds<Same<Data<'rename dialog'>, In<'renameDialog'>>>();
holds<Same<Data<'new group'>, In<'newGroup'>>>();
holds<Same<Data<'edit group'>, In<'editGroup'>>>();
holds<Same<Data<'new message'>, In<'newMessage'>>>();
holds<Same<Data<'get messages before'>, In<'getMessagesBefore'>>>();
holds<Same<Data<'update message'>, In<'updateMessage'>>>();
holds<Same<Data<'read messages'>, In<'readMessages'>>>();
