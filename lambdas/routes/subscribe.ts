import { loginWithPassword } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';
import type { Credentials } from '../protocol/schemas';

/** Deprecated alias of `auth by credentials`, kept for old clients. */
export const handler = publicRoute<Credentials>('subscribe', (caller, credentials, deps) =>
  loginWithPassword(deps, caller.connectionId, credentials),
);
