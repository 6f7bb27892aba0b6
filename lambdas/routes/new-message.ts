import { newMessage } from '../domain/messages';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('new message', (session, request, deps) => newMessage(deps, session, request));
