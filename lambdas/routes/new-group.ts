import { newGroup } from '../domain/groups';
import { userRoute } from '../middleware/chain';
import type { NewGroupRequest } from '../protocol/schemas';

export const handler = userRoute<NewGroupRequest>('new group', (session, request, deps) => newGroup(deps, session, request));
