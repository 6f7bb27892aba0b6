import { changePassword } from '../domain/profile';
import { userRoute } from '../middleware/chain';
import type { PasswordChange } from '../protocol/schemas';

export const handler = userRoute<PasswordChange>('change password', async (session, change, deps) => {
  await changePassword(deps, session, change);
  return null;
});
