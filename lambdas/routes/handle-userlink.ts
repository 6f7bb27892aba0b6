import { handleUserlink } from '../domain/contacts';
import { userRoute } from '../middleware/chain';
import type { UserlinkRequest } from '../protocol/schemas';

export const handler = userRoute<UserlinkRequest>('handle userlink', (session, request, deps) => handleUserlink(deps, session, request));
