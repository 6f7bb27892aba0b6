/** The objects of protocol §3, as the server sends them. */

/** Who made and last changed an object, and when (dates as `YYYY-MM-DD HH:mm:ss` UTC). */
export interface Stamps {
  created_at: string;
  updated_at: string;
  created_by: number;
  updated_by: number;
}

export interface Key {
  id: number;
  user_id: number;
  name: string;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export interface DomainConfig {
  key_management_by_user: boolean;
  contactlist_management_by_user: boolean;
}

export interface Domain {
  id: number;
  name: string;
  url: string;
  passphrase: string;
  is_base: boolean;
  config: DomainConfig;
}

export interface SelfUser {
  id: number;
  first_name: string;
  last_name: string;
  avatar: string | null;
  username: string;
  is_planned_password_change: boolean;
  is_planned_client_update: boolean;
  PublicKeys: Key[];
  Domain: Domain;
}

export interface AuthResult {
  userId: number;
  token: string;
}

export interface StorageUrls {
  get: string;
  put: string;
  putRaw: string;
  delete: string;
}

export type LogOutReason = null | 'another device logged in';
export type SubscribeReason = null | 'token expired';

export type LinkStatus = 'requested' | 'received' | 'accepted' | 'rejected' | 'withdrawn';

export interface Link extends Stamps {
  id: number;
  from_user_id: number;
  to_user_id: number;
  status: LinkStatus;
  read: boolean;
}

/** A contact (`give me users`): names and avatar are empty until the link is `accepted`. */
export interface ContactUser {
  id: number;
  first_name: string;
  last_name: string;
  username: string;
  avatar: string | null;
  domain_id: number;
  LinkedWith: Link[];
  PublicKeys: Key[];
  key: Key | null;
  link_status: LinkStatus;
  link_status_read: boolean;
  link_status_date: string;
}

/** An encrypted dialog or group name, addressed to one recipient (its `id` is the dialog's or group's: one body per recipient). */
export interface EncryptedNameFields {
  id: number;
  recipient_id: number;
  key_id: number;
  key_from_id: number;
  nonce: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface DialogName extends EncryptedNameFields {
  dialog_id: number;
}

export interface GroupName extends EncryptedNameFields {
  group_id: number;
}

export interface Dialog extends Stamps {
  id: number;
  /** null for a dialog outside groups. */
  group_id: number | null;
  /** Only the body addressed to the receiving user, under their id. */
  Body: Record<string, DialogName>;
  Recipients: Record<string, { id: number }>;
}

export interface GroupMember {
  id: number;
  username: string;
  domain_id: number;
  /** The member's default public key. */
  key: Key | null;
}

export interface Group extends Stamps {
  id: number;
  avatar: string | null;
  admin_id: number;
  Recipients: Record<string, GroupMember>;
  /** The receiving member's own body. */
  Body: GroupName;
}

export const MESSAGE_TYPES = [
  'message.default',
  'message.updated',
  'message.deleted',
  'service.call.audio.missed',
  'service.call.audio.finished',
  'service.call.audio.noanswer',
  'service.call.video.missed',
  'service.call.video.finished',
  'service.call.video.noanswer',
  'service.group.created',
  'service.group.user.invited',
  'service.group.user.kicked',
  'service.group.renamed',
  'service.dialog.created',
  'service.dialog.renamed',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface MessageBody {
  /** The message's id: a user sees one body per message. */
  id: number;
  body: string;
  nonce: string;
  key_id: number;
  key_from_id: number;
  read_date: string | null;
  /** true once the recipient has read it (the sender's own body: always). */
  is_received: boolean;
  props: null;
  message_id: number;
  recipient_id: number;
  created_at: string;
  updated_at: string;
}

export interface AttachmentBody {
  /** The attachment's id: a user sees one body per attachment. */
  id: number;
  name: string;
  crypto: string;
  nonce: string;
  attachment_id: number;
  recipient_id: number;
  key_id: number;
  key_from_id: number;
  created_at: string;
  updated_at: string;
}

export interface Attachment {
  /** The message id + 1 … + 15, in the order sent. */
  id: number;
  /** The file's UUID on the file server. */
  unique: string;
  size: number;
  message_id: number;
  created_at: string;
  updated_at: string;
  Body: AttachmentBody;
}

export interface MessageCreator {
  id: number;
  username: string;
  domain_id: number;
}

export interface Message extends Stamps {
  id: number;
  dialog_id: number;
  type: MessageType;
  edited_at: string | null;
  Creator: MessageCreator;
  /** The receiving user's own body (absent on lightweight connections). */
  Body?: MessageBody;
  /** Absent on lightweight connections. */
  Attachments?: Attachment[];
}

/** `edit group`: the changed group, dialogs and the service messages, as the admin sees them. */
export interface EditedGroup {
  group: Group;
  dialogs: Record<string, Dialog>;
  messages: Record<string, Message>;
}

/** `give me presence`: contact id → online. */
export type Presence = Record<string, boolean>;

export interface UserContainer {
  user: ContactUser;
  dialogs: Dialog[];
  messages: Message[];
}

export interface UserlinkUpdate {
  user_id: number;
  date: string;
  status: LinkStatus;
}

/** A `find contacts` hit. */
export interface FoundUser {
  id: number;
  username: string;
  domain_id: number;
}
