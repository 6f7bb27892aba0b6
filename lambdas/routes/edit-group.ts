import { editGroup } from '../domain/groups';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('edit group', (session, request, deps) => editGroup(deps, session, request));
