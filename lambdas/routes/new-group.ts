import { newGroup } from '../domain/groups';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('new group', (session, request, deps) => newGroup(deps, session, request));
