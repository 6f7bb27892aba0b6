import { setDefaultKey } from '../domain/keys';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('set default key', (session, { id }, deps) => setDefaultKey(deps, session, id));
