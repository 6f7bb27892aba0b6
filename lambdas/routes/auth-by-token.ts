import { loginWithToken } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';

export const handler = publicRoute('auth by token', (caller, login, deps) =>
  loginWithToken(deps, caller.connectionId, login),
);
