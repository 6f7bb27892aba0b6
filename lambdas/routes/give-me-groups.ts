import { giveMeGroups } from '../domain/groups';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me groups', (session, _data, deps) => giveMeGroups(deps, session.userId));
