/**
 * Login tokens: JWTs (HS256) carrying the user, the token family, a token id
 * and the user's domain (so a token login can read the user and the domain
 * while the family rotates). The server keeps only the family's current token
 * id, never a token.
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config';

export interface TokenClaims {
  userId: number;
  familyId: string;
  jti: string;
  /** Absent in tokens issued before tokens named it. */
  domainId?: number;
}

const keys = new Map<string, Promise<Uint8Array>>();

export function signingKey(config: Pick<Config, 'tokenSecret' | 'tokenSecretArn' | 'region'>): Promise<Uint8Array> {
  const id = config.tokenSecret ?? config.tokenSecretArn!;
  let key = keys.get(id);
  if (!key) {
    key = config.tokenSecret
      ? Promise.resolve(new TextEncoder().encode(config.tokenSecret))
      : new SecretsManagerClient({ region: config.region })
          .send(new GetSecretValueCommand({ SecretId: config.tokenSecretArn }))
          .then((out) => new TextEncoder().encode(out.SecretString!));
    key.catch(() => keys.delete(id));
    keys.set(id, key);
  }
  return key;
}

export async function issueToken(config: Config, claims: TokenClaims, now = new Date()): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ fid: claims.familyId, ...(claims.domainId !== undefined ? { did: claims.domainId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(claims.userId))
    .setJti(claims.jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + config.tokenTtlSeconds)
    .sign(await signingKey(config));
}

/** The claims of a genuine, unexpired token, or undefined. */
export async function readToken(config: Config, token: string, now = new Date()): Promise<TokenClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, await signingKey(config), { algorithms: ['HS256'], currentDate: now });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.fid !== 'string' || typeof payload.jti !== 'string') return undefined;
    const domainId = Number.isSafeInteger(payload.did) ? (payload.did as number) : undefined;
    return { userId, familyId: payload.fid, jti: payload.jti, ...(domainId !== undefined ? { domainId } : {}) };
  } catch {
    return undefined;
  }
}

export const newTokenId = () => randomUUID();
