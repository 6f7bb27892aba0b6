/**
 * The `$default` function of `routing=dispatcher` (lib/routing.ts): API Gateway
 * sends every frame here, and this runs the handler the route table names
 * for the frame's `event` — each through its own chain (parser, session,
 * schema, ack), exactly as its own function would. Unknown and malformed
 * frames go to the `$default` route's handler. Static imports, so esbuild
 * bundles every handler into the one function.
 */
import type { LambdaContext, RouteResponse, WebSocketEvent } from '../middleware/aws-event';
import type { FrameName } from '../protocol/events';
import { isPlainObject } from '../protocol/frames';
import { handler as unknownFrame } from './default';
import { isFrameRoute, routes } from './table';
import { handler as authByCredentials } from './auth-by-credentials';
import { handler as subscribe } from './subscribe';
import { handler as authByToken } from './auth-by-token';
import { handler as whoAmI } from './who-am-i';
import { handler as logMeOut } from './log-me-out';
import { handler as ping } from './ping';
import { handler as giveMeUsers } from './give-me-users';
import { handler as findContacts } from './find-contacts';
import { handler as handleUserlink } from './handle-userlink';
import { handler as giveMePresence } from './give-me-presence';
import { handler as giveMeKeys } from './give-me-keys';
import { handler as newKey } from './new-key';
import { handler as setDefaultKey } from './set-default-key';
import { handler as changeProfile } from './change-profile';
import { handler as changePassword } from './change-password';
import { handler as changeAvatar } from './change-avatar';
import { handler as deleteAvatar } from './delete-avatar';
import { handler as giveMeDialogs } from './give-me-dialogs';
import { handler as newDialog } from './new-dialog';
import { handler as renameDialog } from './rename-dialog';
import { handler as giveMeGroups } from './give-me-groups';
import { handler as newGroup } from './new-group';
import { handler as editGroup } from './edit-group';
import { handler as newMessage } from './new-message';
import { handler as giveMeMessages } from './give-me-messages';
import { handler as getMessagesBefore } from './get-messages-before';
import { handler as updateMessage } from './update-message';
import { handler as readMessages } from './read-messages';

type Handler = (event: WebSocketEvent, context: LambdaContext) => Promise<RouteResponse>;

/** One handler per frame of the route table: a frame missing here (or one too many) is a compile error. */
const handlers = {
  'auth by credentials': authByCredentials,
  'subscribe': subscribe,
  'auth by token': authByToken,
  'who am i': whoAmI,
  'log me out': logMeOut,
  'ping': ping,
  'give me users': giveMeUsers,
  'find contacts': findContacts,
  'handle userlink': handleUserlink,
  'give me presence': giveMePresence,
  'give me keys': giveMeKeys,
  'new key': newKey,
  'set default key': setDefaultKey,
  'change profile': changeProfile,
  'change password': changePassword,
  'change avatar': changeAvatar,
  'delete avatar': deleteAvatar,
  'give me dialogs': giveMeDialogs,
  'new dialog': newDialog,
  'rename dialog': renameDialog,
  'give me groups': giveMeGroups,
  'new group': newGroup,
  'edit group': editGroup,
  'new message': newMessage,
  'give me messages': giveMeMessages,
  'get messages before': getMessagesBefore,
  'update message': updateMessage,
  'read messages': readMessages,
} satisfies Record<FrameName, Handler>;

export const FRAME_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>(Object.entries(handlers));

// The compiler checks the list against the table's types; this checks it against the table as loaded.
const missing = routes.filter((route) => isFrameRoute(route) && !FRAME_HANDLERS.has(route.event)).map((route) => route.event);
if (missing.length > 0) throw new Error(`dispatcher has no handler for ${missing.join(', ')}`);

/** The frame's `event`, as API Gateway's `$request.body.event` would select on it. */
function eventOf(event: WebSocketEvent): string | undefined {
  if (event.isBase64Encoded) return undefined;
  try {
    const frame: unknown = JSON.parse(event.body ?? '');
    return isPlainObject(frame) && typeof frame.event === 'string' ? frame.event : undefined;
  } catch {
    return undefined;
  }
}

export const handler: Handler = (event, context) => {
  const name = eventOf(event);
  return ((name !== undefined && FRAME_HANDLERS.get(name)) || unknownFrame)(event, context);
};
