/**
 * Frame names, and for each the payload and the result: one source of truth
 * for the server's route table and the client SDK's types.
 */
import type { z } from 'zod/mini';
import type { schemas } from './schemas';
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

export interface ClientEvents {
  'auth by credentials': { data: z.input<typeof schemas.authByCredentials>; result: AuthResult };
  'auth by token': { data: z.input<typeof schemas.authByToken>; result: AuthResult };
  subscribe: { data: z.input<typeof schemas.authByCredentials>; result: AuthResult };
  'who am i': { data: void; result: SelfUser };
  'log me out': { data: void; result: null };
  ping: { data: void; result: { time: string } };
  // The start-up reads of protocol §2.5.
  'give me keys': { data: void; result: Key[] };
  'give me users': { data: void; result: ContactUser[] };
  'give me groups': { data: void; result: Group[] };
  'give me dialogs': { data: void; result: Dialog[] };
  'give me presence': { data: void; result: Presence };
  'give me messages': { data: void; result: Message[] };
  'find contacts': { data: z.input<typeof schemas.findContacts>; result: FoundUser[] };
  'handle userlink': { data: z.input<typeof schemas.handleUserlink>; result: UserContainer | 'success' };
  'new key': { data: z.input<typeof schemas.newKey>; result: Key };
  'set default key': { data: z.input<typeof schemas.setDefaultKey>; result: Key };
  'change profile': { data: z.input<typeof schemas.changeProfile>; result: null };
  'change password': { data: z.input<typeof schemas.changePassword>; result: null };
  'change avatar': { data: z.input<typeof schemas.changeAvatar>; result: null };
  'delete avatar': { data: z.input<typeof schemas.deleteAvatar>; result: null };
  'new dialog': { data: z.input<typeof schemas.newDialog>; result: Dialog };
  'rename dialog': { data: z.input<typeof schemas.renameDialog>; result: Dialog };
  'new group': { data: z.input<typeof schemas.newGroup>; result: Group };
  'edit group': { data: z.input<typeof schemas.editGroup>; result: EditedGroup };
  'new message': { data: z.input<typeof schemas.newMessage>; result: Message };
  'get messages before': { data: z.input<typeof schemas.getMessagesBefore>; result: Message[] };
  'update message': { data: z.input<typeof schemas.updateMessage>; result: Message };
  'read messages': { data: z.input<typeof schemas.readMessages>; result: null };
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
