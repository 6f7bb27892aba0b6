import { updateMessage } from '../domain/messages';
import { userRoute } from '../middleware/chain';
import type { UpdateMessageRequest } from '../protocol/schemas';

export const handler = userRoute<UpdateMessageRequest>('update message', (session, request, deps) => updateMessage(deps, session, request));
