import { giveMeKeys } from '../domain/keys';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('give me keys', (session, _data, deps) => giveMeKeys(deps, session.userId));
