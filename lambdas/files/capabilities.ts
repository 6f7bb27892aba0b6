/**
 * File capabilities: the per-login part of the `storage urls` (the protocol's
 * prefixes are opaque, so clients append the file id as before). A capability
 * is a JWT (HS256) naming the user and the login (token family), expiring
 * with the connection it was pushed to. It is signed with a key derived from
 * the login-token secret for this one purpose, so a capability is never
 * accepted as a login token, nor a login token as a capability.
 */
import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config';
import { signingKey } from '../domain/tokens';

export interface FileCapability {
  userId: number;
  familyId: string;
}

type KeyConfig = Pick<Config, 'tokenSecret' | 'tokenSecretArn' | 'region'>;

const PURPOSE = 'file server capability v1';

async function capabilityKey(config: KeyConfig): Promise<Uint8Array> {
  return createHmac('sha256', await signingKey(config)).update(PURPOSE).digest();
}

export async function issueFileCapability(config: KeyConfig, capability: FileCapability, lifetimeSeconds: number, now = new Date()): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ fid: capability.familyId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(capability.userId))
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(await capabilityKey(config));
}

/** The claims of a genuine, unexpired capability, or undefined. */
export async function readFileCapability(config: KeyConfig, capability: string, now = new Date()): Promise<FileCapability | undefined> {
  try {
    const { payload } = await jwtVerify(capability, await capabilityKey(config), { algorithms: ['HS256'], currentDate: now });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.fid !== 'string') return undefined;
    return { userId, familyId: payload.fid };
  } catch {
    return undefined;
  }
}
