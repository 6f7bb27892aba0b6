import { changeAvatar } from '../domain/profile';
import { userRoute } from '../middleware/chain';

/** The caller's own avatar, or with `is_group: true` a group's (admin only). */
export const handler = userRoute('change avatar', async (session, change, deps) => {
  await changeAvatar(deps, session, change);
  return null;
});
