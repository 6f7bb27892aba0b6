import { handleUserlink } from '../domain/contacts';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('handle userlink', (session, request, deps) => handleUserlink(deps, session, request));
