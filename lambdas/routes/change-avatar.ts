import { changeAvatar } from '../domain/profile';
import { userRoute } from '../middleware/chain';
import type { AvatarChange } from '../protocol/schemas';

/** Own avatar (`is_group: false`); the group variant is the groups issue's (refused for now). */
export const handler = userRoute<AvatarChange>('change avatar', async (session, change, deps) => {
  await changeAvatar(deps, session, change);
  return null;
});
