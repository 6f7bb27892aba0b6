import { changePassword } from '../domain/profile';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('change password', async (session, change, deps) => {
  await changePassword(deps, session, change);
  return null;
});
