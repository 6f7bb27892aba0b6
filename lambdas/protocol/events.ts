/**
 * The frame contract, the one source of truth for the server and the client
 * SDK: a frame's name and payload schema come from the route table (its
 * payload type is the schema's), its result type is declared once here, and
 * so is every push's payload. `userRoute` / `publicRoute` check a handler's
 * data and result against this, the pusher checks a push's name and payload,
 * and the SDK's event maps are `ClientEvents` / `ServerPushes`.
 */
import type { z } from 'zod/mini';
import type { RouteTable } from '../routes/table';
import type {
  AuthResult,
  ContactUser,
  Dialog,
  EditedGroup,
  FoundUser,
  Group,
  Key,
  LogOutReason,
  Message,
  Presence,
  SelfUser,
  StorageUrls,
  SubscribeReason,
  UserContainer,
  UserlinkUpdate,
} from './objects';

/** What each frame's ack carries as `result`. */
export interface FrameResults {
  'auth by credentials': AuthResult;
  'auth by token': AuthResult;
  subscribe: AuthResult;
  'who am i': SelfUser;
  'log me out': null;
  ping: { time: string };
  // The start-up reads of protocol §2.5.
  'give me keys': Key[];
  'give me users': ContactUser[];
  'give me groups': Group[];
  'give me dialogs': Dialog[];
  'give me presence': Presence;
  'give me messages': Message[];
  'find contacts': FoundUser[];
  'handle userlink': UserContainer | 'success';
  'new key': Key;
  'set default key': Key;
  'change profile': null;
  'change password': null;
  'change avatar': null;
  'delete avatar': null;
  'new dialog': Dialog;
  'rename dialog': Dialog;
  'new group': Group;
  'edit group': EditedGroup;
  'new message': Message;
  'get messages before': Message[];
  'update message': Message;
  'read messages': null;
}

/** Every push (server-initiated frame) and its `data`. */
export interface ServerPushes {
  'storage urls': StorageUrls;
  'log out please': LogOutReason;
  'subscribe please': SubscribeReason;
  online: number[];
  offline: number[];
  'user changed key': Key;
  'user container': UserContainer;
  'userlink update': UserlinkUpdate;
  messages: Message[];
  dialog: Dialog;
  group: Group;
}

export type PushName = keyof ServerPushes;

type Route = RouteTable[number];
type RouteOf<E> = Extract<Route, { event: E }>;

/** A frame a client can send (the `$…` routes are API Gateway's). */
export type FrameName = Exclude<Route['event'], `$${string}`>;
/** Frames that need a session, and those that do not. */
export type UserFrame = Extract<Route, { auth: true }>['event'] & FrameName;
export type PublicFrame = Extract<Route, { auth: false }>['event'] & FrameName;

type SchemaOf<E> = RouteOf<E> extends { schema: infer S extends z.core.SomeType } ? S : undefined;

/** What a handler gets: the payload after its schema (defaults filled in); undefined for a frame without one. */
export type FrameData<E extends FrameName> = SchemaOf<E> extends z.core.SomeType ? z.output<SchemaOf<E>> : undefined;
/** What a client sends. */
type FrameInput<E extends FrameName> = SchemaOf<E> extends z.core.SomeType ? z.input<SchemaOf<E>> : void;
export type FrameResult<E extends FrameName> = FrameResults[E];

/** Client frame → payload and ack result: the SDK's event map. */
export type ClientEvents = { [E in FrameName]: { data: FrameInput<E>; result: FrameResult<E> } };

// Every route has a result type and every result a route: a frame added to one and not the other fails here.
type Unmatched = Exclude<FrameName, keyof FrameResults> | Exclude<keyof FrameResults, FrameName>;
const everyFrameHasAResult: [Unmatched] extends [never] ? true : Unmatched = true;
void everyFrameHasAResult;
