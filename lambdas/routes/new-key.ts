import { newKey } from '../domain/keys';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('new key', (session, request, deps) => newKey(deps, session, request));
