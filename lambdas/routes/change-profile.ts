import { changeProfile } from '../domain/profile';
import { userRoute } from '../middleware/chain';
import type { ProfileChange } from '../protocol/schemas';

export const handler = userRoute<ProfileChange>('change profile', async (session, change, deps) => {
  await changeProfile(deps, session, change);
  return null;
});
