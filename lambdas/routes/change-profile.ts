import { changeProfile } from '../domain/profile';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('change profile', async (session, change, deps) => {
  await changeProfile(deps, session, change);
  return null;
});
