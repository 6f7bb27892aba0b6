import { setDefaultKey } from '../domain/keys';
import { userRoute } from '../middleware/chain';
import type { SetDefaultKeyRequest } from '../protocol/schemas';

export const handler = userRoute<SetDefaultKeyRequest>('set default key', (session, { id }, deps) => setDefaultKey(deps, session, id));
