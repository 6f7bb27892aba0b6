/**
 * Who may upload and delete (docs/files.md): the holder of a capability from
 * the `storage urls` of a login that is still live. The same code checks it
 * locally and on AWS; it reads its settings from the environment on first
 * use (the local stack sets them after the file server has started).
 */
import { readFileAuthorityConfig } from '../config';
import { createDynamoClient } from '../deps';
import { familyIsLive } from '../storage/token-families';
import { readFileCapability } from './capabilities';
import type { FileAuthority } from './server';

export function loginAuthority(env: NodeJS.ProcessEnv = process.env): FileAuthority {
  let ready: { config: ReturnType<typeof readFileAuthorityConfig>; db: ReturnType<typeof createDynamoClient> } | undefined;
  return {
    async userOf(capability) {
      if (!ready) {
        const config = readFileAuthorityConfig(env);
        ready = { config, db: createDynamoClient(config) };
      }
      const claims = await readFileCapability(ready.config, capability);
      if (!claims) return undefined;
      // A revoked login (logged out, replayed, password changed) loses its capabilities at once: one GetItem.
      return (await familyIsLive(ready, claims.familyId, claims.userId)) ? claims.userId : undefined;
    },
  };
}
