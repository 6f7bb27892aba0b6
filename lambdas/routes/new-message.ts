import { newMessage } from '../domain/messages';
import { userRoute } from '../middleware/chain';
import type { NewMessageRequest } from '../protocol/schemas';

export const handler = userRoute<NewMessageRequest>('new message', (session, request, deps) => newMessage(deps, session, request));
