import { giveMeUsers } from '../domain/contacts';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me users', (session, _data, deps) => giveMeUsers(deps, session.userId));
