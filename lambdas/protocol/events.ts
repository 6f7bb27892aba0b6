/**
 * Frame names, and for each the payload and the result: one source of truth
 * for the server's route table and the client SDK's types.
 */
import type { z } from 'zod';
import type { schemas } from './schemas';
import type {
  AuthResult,
  ContactUser,
  Dialog,
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

export interface ClientEvents {
  'auth by credentials': { data: z.input<typeof schemas.authByCredentials>; result: AuthResult };
  'auth by token': { data: z.input<typeof schemas.authByToken>; result: AuthResult };
  subscribe: { data: z.input<typeof schemas.authByCredentials>; result: AuthResult };
  'who am i': { data: void; result: SelfUser };
  'log me out': { data: void; result: null };
  ping: { data: void; result: { time: string } };
  'change profile': { data: z.input<typeof schemas.changeProfile>; result: null };
  'change password': { data: z.input<typeof schemas.changePassword>; result: null };
  'change avatar': { data: z.input<typeof schemas.changeAvatar>; result: null };
  'delete avatar': { data: z.input<typeof schemas.deleteAvatar>; result: null };
  // The start-up reads of protocol §2.5 (routes on their way; until then the server answers `unknown event`).
  'give me keys': { data: void; result: Key[] };
  'give me users': { data: void; result: ContactUser[] };
  'give me groups': { data: void; result: Group[] };
  'give me dialogs': { data: void; result: Dialog[] };
  'give me presence': { data: void; result: Presence };
  'give me messages': { data: void; result: Message[] };
}

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

export type ClientEventName = keyof ClientEvents;
export type PushName = keyof ServerPushes;
