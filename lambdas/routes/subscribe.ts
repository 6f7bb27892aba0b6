import { loginWithPassword } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';

/** Deprecated alias of `auth by credentials`, kept for old clients. */
export const handler = publicRoute('subscribe', (caller, credentials, deps) =>
  loginWithPassword(deps, caller.connectionId, credentials),
);
