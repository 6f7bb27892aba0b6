import { deleteAvatar } from '../domain/profile';
import { userRoute } from '../middleware/chain';

/** The caller's own avatar, or with `is_group: true` a group's (admin only). */
export const handler = userRoute('delete avatar', async (session, deletion, deps) => {
  await deleteAvatar(deps, session, deletion);
  return null;
});
