/** The objects of protocol §3, as the server sends them. */

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
