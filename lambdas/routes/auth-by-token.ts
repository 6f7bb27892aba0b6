import { loginWithToken } from '../domain/sessions';
import { publicRoute } from '../middleware/chain';
import type { TokenLogin } from '../protocol/schemas';

export const handler = publicRoute<TokenLogin>('auth by token', (caller, login, deps) =>
  loginWithToken(deps, caller.connectionId, login),
);
