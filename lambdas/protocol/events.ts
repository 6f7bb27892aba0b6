/**
 * Frame names, and for each the payload and the result: one source of truth
 * for the server's route table and the client SDK's types.
 */
import type { z } from 'zod';
import type { schemas } from './schemas';
import type { AuthResult, LogOutReason, SelfUser, StorageUrls, SubscribeReason } from './objects';

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
}

export interface ServerPushes {
  'storage urls': StorageUrls;
  'log out please': LogOutReason;
  'subscribe please': SubscribeReason;
}

export type ClientEventName = keyof ClientEvents;
export type PushName = keyof ServerPushes;
