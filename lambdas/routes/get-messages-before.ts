import { getMessagesBefore } from '../domain/messages';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('get messages before', (session, request, deps) => getMessagesBefore(deps, session, request));
