import { updateMessage } from '../domain/messages';
import { userRoute } from '../middleware/chain';

export const handler = userRoute('update message', (session, request, deps) => updateMessage(deps, session, request));
