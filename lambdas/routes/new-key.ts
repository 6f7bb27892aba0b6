import { newKey } from '../domain/keys';
import { userRoute } from '../middleware/chain';
import type { NewKeyRequest } from '../protocol/schemas';

export const handler = userRoute<NewKeyRequest>('new key', (session, request, deps) => newKey(deps, session, request));
