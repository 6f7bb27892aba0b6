import { logout } from '../domain/sessions';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('log me out', async (session, _data, deps) => {
  await logout(deps, session);
  return null;
});
