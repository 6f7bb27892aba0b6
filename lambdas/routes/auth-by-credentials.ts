import { loginWithPassword } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';

export const handler = publicRoute('auth by credentials', (caller, credentials, deps) =>
  loginWithPassword(deps, caller.connectionId, credentials),
);
