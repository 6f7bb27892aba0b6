import { loginWithPassword } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';
import type { Credentials } from '../protocol/schemas';

export const handler = publicRoute<Credentials>('auth by credentials', (caller, credentials, deps) =>
  loginWithPassword(deps, caller.connectionId, credentials),
);
