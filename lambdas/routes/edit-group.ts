import { editGroup } from '../domain/groups';
import { userRoute } from '../middleware/chain';
import type { EditGroupRequest } from '../protocol/schemas';

export const handler = userRoute<EditGroupRequest>('edit group', (session, request, deps) => editGroup(deps, session, request));
