/**
 * The frames as the SDK types them: each client frame's payload and result,
 * each push's data. Plain TypeScript, so an app type-checks without zod; the
 * payloads mirror the server's schemas (lambdas/protocol/schemas.ts), and
 * test/client-types.ts fails the typecheck when the two drift apart.
 */
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
  MessageType,
  Presence,
  SelfUser,
  StorageUrls,
  SubscribeReason,
  UserContainer,
  UserlinkUpdate,
} from '../lambdas/protocol/objects';

/** `auth by credentials` (and `subscribe`). */
export interface Credentials {
  username: string;
  password: string;
}

/** `auth by token`. */
export interface TokenLogin {
  userId: number;
  token: string;
  isLightweight?: boolean | null;
}

export type UserlinkAction = 'request' | 'accept' | 'reject' | 'withdraw' | 'remove' | 'read';

/** Who a body is for and which keys encrypt it: the recipient's key, and the sender's own. */
export interface KeyIds {
  recipient_id: number;
  key_id: number;
  key_from_id: number;
}

/** An encrypted dialog or group name for one recipient (base64 fields). */
export interface NameBodyInput extends KeyIds {
  nonce: string;
  name: string;
}

/** An encrypted message body for one recipient (base64 fields). */
export interface MessageBodyInput extends KeyIds {
  nonce: string;
  body: string;
}

/** An attachment's encrypted name and key material for one recipient. */
export interface AttachmentBodyInput extends KeyIds {
  nonce: string;
  name: string;
  crypto: string;
}

export interface AttachmentInput {
  /** The file's UUID v4 on the file server. */
  unique: string;
  size: number;
  bodies: AttachmentBodyInput[];
}

/** Types a client may send; `message.updated` / `message.deleted` come from `update message`. */
export type SendableMessageType = Exclude<MessageType, 'message.updated' | 'message.deleted'>;

/** Bodies, attachments and read flag of a new message (`new message`, and `edit group`'s service messages). */
export interface MessageContent {
  /** One per recipient of the dialog, the sender included. */
  bodies: MessageBodyInput[];
  attachments?: AttachmentInput[] | null;
  /** Store it as already read for every recipient. */
  as_read?: boolean | null;
}

export interface FindContactsPayload {
  search: string;
}

export interface HandleUserlinkPayload {
  /** Must be the caller. */
  from_user_id: number;
  to_user_id: number;
  action: UserlinkAction;
}

export interface NewKeyPayload {
  /** The public key: base64 of 32 bytes. */
  name: string;
  is_default: boolean;
}

export interface SetDefaultKeyPayload {
  id: number;
}

export interface ChangeProfilePayload {
  first_name: string;
  last_name: string;
}

export interface ChangePasswordPayload {
  current: string;
  new: string;
  newAgain: string;
}

export interface ChangeAvatarPayload {
  /** The avatar file's UUID v4 (anything else: `please provide avatar uuid`). */
  avatar: string;
  is_group?: boolean | null;
  /** The group, with `is_group: true`. */
  id?: number | null;
}

export type DeleteAvatarPayload = { is_group?: boolean | null; id?: number | null } | undefined;

export interface NewDialogPayload {
  bodies: NameBodyInput[];
  /** The creator included. */
  recipients: number[];
  dialog?: { group_id?: number | null } | null;
}

export interface RenameDialogPayload {
  id: number;
  bodies: NameBodyInput[];
}

export interface NewGroupPayload {
  bodies: NameBodyInput[];
  /** The caller included. */
  recipients: number[];
  /** Must be the caller. */
  admin_id: number;
  avatar?: string | null;
}

export interface EditGroupPayload {
  group: {
    id: number;
    /** Members after the change: members − kicked + added. */
    recipients: number[];
    added?: number[] | null;
    kicked?: number[] | null;
    bodies?: NameBodyInput[] | null;
  };
  dialogs?: { id: number; bodies: NameBodyInput[]; recipients: number[] }[] | null;
  messages?: ServiceMessageInput[] | null;
}

/** A service message of `edit group` (`service.group.user.invited`, …), sent with the change. */
export interface ServiceMessageInput extends MessageContent {
  message: { dialog_id: number; type: SendableMessageType };
}

export interface NewMessagePayload extends MessageContent {
  message: {
    dialog_id: number;
    /** @default 'message.default' */
    type?: SendableMessageType | null;
    /** 1–64 characters: a retry with the same one stores nothing new and answers the first message. */
    client_id?: string | null;
  };
}

export interface GetMessagesBeforePayload {
  dialog_id: number;
  /** `YYYY-MM-DD HH:mm:ss` (UTC) or ISO 8601; inclusive. */
  last_date: string;
  first_date?: string | null;
  /** Extension (a cursor): only messages with a smaller id — the oldest id of the previous page. */
  before_id?: number | null;
  /** @default 30; at most 100 */
  limit?: number | null;
}

export interface UpdateMessagePayload {
  id: number;
  bodies?: MessageBodyInput[] | null;
  toDelete?: boolean | null;
}

export interface ReadMessagesPayload {
  ids: number[];
}

/** Client frames: payload (`void` = none) and ack result. */
export interface ClientEvents {
  'auth by credentials': { data: Credentials; result: AuthResult };
  'auth by token': { data: TokenLogin; result: AuthResult };
  subscribe: { data: Credentials; result: AuthResult };
  'who am i': { data: void; result: SelfUser };
  'log me out': { data: void; result: null };
  ping: { data: void; result: { time: string } };
  'give me keys': { data: void; result: Key[] };
  'give me users': { data: void; result: ContactUser[] };
  'give me groups': { data: void; result: Group[] };
  'give me dialogs': { data: void; result: Dialog[] };
  'give me presence': { data: void; result: Presence };
  'give me messages': { data: void; result: Message[] };
  'find contacts': { data: FindContactsPayload; result: FoundUser[] };
  'handle userlink': { data: HandleUserlinkPayload; result: UserContainer | 'success' };
  'new key': { data: NewKeyPayload; result: Key };
  'set default key': { data: SetDefaultKeyPayload; result: Key };
  'change profile': { data: ChangeProfilePayload; result: null };
  'change password': { data: ChangePasswordPayload; result: null };
  'change avatar': { data: ChangeAvatarPayload; result: null };
  'delete avatar': { data: DeleteAvatarPayload; result: null };
  'new dialog': { data: NewDialogPayload; result: Dialog };
  'rename dialog': { data: RenameDialogPayload; result: Dialog };
  'new group': { data: NewGroupPayload; result: Group };
  'edit group': { data: EditGroupPayload; result: EditedGroup };
  'new message': { data: NewMessagePayload; result: Message };
  'get messages before': { data: GetMessagesBeforePayload; result: Message[] };
  'update message': { data: UpdateMessagePayload; result: Message };
  'read messages': { data: ReadMessagesPayload; result: null };
}

/** Pushes: event name → data. */
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
