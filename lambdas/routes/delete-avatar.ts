import { deleteAvatar } from '../domain/profile';
import { userRoute } from '../middleware/chain';
import type { AvatarDeletion } from '../protocol/schemas';

/** Own avatar (`is_group: false`); the group variant is the groups issue's (refused for now). */
export const handler = userRoute<AvatarDeletion>('delete avatar', async (session, deletion, deps) => {
  await deleteAvatar(deps, session, deletion);
  return null;
});
